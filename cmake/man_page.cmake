# Writes the man page jwtguard(1) from the program's own --help texts, so the
# page says what the installed binary accepts. Run as
#   cmake -DJWTGUARD=path/to/jwtguard -DOUTPUT=jwtguard.1 -DVERSION=x.y.z -P man_page.cmake
# The page has the top-level help, then one section per subcommand that the
# top-level help lists, each with that subcommand's --help.

foreach(var JWTGUARD OUTPUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "man_page.cmake needs -D${var}=...")
  endif()
endforeach()

# The output of `jwtguard ARGS... --help`; a failure stops the build.
function(help_text out)
  execute_process(COMMAND ${JWTGUARD} ${ARGN} --help
                  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${JWTGUARD} ${ARGN} --help failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Help text as roff that prints it verbatim: backslashes escaped, and no line
# starting with "." or "'" (a roff request otherwise).
function(verbatim out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REGEX REPLACE "\n+$" "" text "${text}")
  set(${out} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

help_text(top)
# CLI11 lists subcommands under "SUBCOMMANDS:" (or "Subcommands:"), one per
# line, indented: the name first.
string(REGEX MATCH "[Ss][Uu][Bb][Cc][Oo][Mm][Mm][Aa][Nn][Dd][Ss]:\n(([ \t]+[^\n]*\n?)+)" block "${top}")
string(REGEX MATCHALL "(^|\n)[ \t]+[a-z][a-z-]*" names "${CMAKE_MATCH_1}")
if(NOT names)
  message(FATAL_ERROR "no subcommands found in `${JWTGUARD} --help`:\n${top}")
endif()

verbatim(top_roff "${top}")
string(CONCAT page
  ".TH JWTGUARD 1 \"\" \"jwtguard ${VERSION}\" \"User Commands\"\n"
  ".SH NAME\n"
  "jwtguard \\- JWT authentication service with revocation\n"
  ".SH SYNOPSIS\n"
  ".B jwtguard\n"
  ".I command\n"
  "[\\fIoptions\\fR]\n"
  ".SH DESCRIPTION\n"
  "\\fBjwtguard serve\\fR runs the HTTP service; the other commands issue and check\n"
  "tokens, make keys, and manage the users and revocations of a store.\n"
  "The texts below are the program's own \\fB\\-\\-help\\fR.\n"
  "${top_roff}")
foreach(name IN LISTS names)
  string(STRIP "${name}" name)
  help_text(sub ${name})
  verbatim(sub_roff "${sub}")
  string(APPEND page ".SH \"JWTGUARD ${name}\"\n${sub_roff}")
endforeach()
string(APPEND page
  ".SH FILES\n"
  ".TP\n.I /etc/jwtguard/jwtguard.toml\n"
  "The service's settings (the systemd unit jwtguard.service runs\n"
  "\\fBjwtguard serve \\-\\-config /etc/jwtguard/jwtguard.toml\\fR).\n"
  ".TP\n.I /etc/jwtguard/keys.jwks.json\n"
  "The signing keys, a JWK Set readable by the jwtguard group.\n"
  ".TP\n.I /var/lib/jwtguard\n"
  "The SQLite store.\n"
  ".SH \"SEE ALSO\"\n"
  "/usr/share/doc/jwtguard/docs/operations.md, configuration.md, cli.md and service.md.\n")
file(WRITE ${OUTPUT} "${page}")
