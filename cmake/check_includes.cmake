# Fails when a source under ROOT includes a header by a path that climbs out
# of its folder ("../redis/redis_client.h"). The layers' include paths keep a
# layer from naming another's headers (docs/architecture.md, "Layers"), but a
# relative path would walk around them; this check closes that door. Run by
# the build before any library compiles, and by tests/layering.
#
#   cmake -DROOT=<dir> -P check_includes.cmake
if(NOT ROOT)
  message(FATAL_ERROR "check_includes.cmake: set ROOT")
endif()
file(GLOB_RECURSE sources "${ROOT}/*.h" "${ROOT}/*.cc")
set(offenders "")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][^\">]*\\.\\./")
  foreach(line IN LISTS lines)
    file(RELATIVE_PATH shown "${ROOT}" "${source}")
    string(STRIP "${line}" line)
    list(APPEND offenders "  ${shown}: ${line}")
  endforeach()
endforeach()
if(offenders)
  list(JOIN offenders "\n" text)
  message(FATAL_ERROR
          "an include climbs out of its folder (layers include by their include paths only):\n"
          "${text}")
endif()
