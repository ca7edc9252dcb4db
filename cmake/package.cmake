# The Debian package (make package, or cpack -G DEB in the build tree):
# /usr/bin/jwtguard, the conffile /etc/jwtguard/jwtguard.toml, the systemd
# unit, the man page, the docs and the maintainer scripts of packaging/.
#
# Its files form the install component "deb", left out of a plain
# `cmake --install` (EXCLUDE_FROM_ALL): their destinations are relative to
# "/" (etc/, lib/systemd/), which only the package's prefix makes right.
# Included from the top-level CMakeLists.txt after src/ is added.

set(JWTGUARD_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(JWTGUARD_PKG_BUILD ${PROJECT_BINARY_DIR}/packaging)
set(JWTGUARD_DOC_DEST usr/share/doc/jwtguard)

# The man page is --help's text, made when the binary changes, so it never
# drifts from the program; Debian wants man pages and changelogs gzipped
# (-n: no timestamp, so the package is reproducible).
add_custom_command(
  OUTPUT ${JWTGUARD_PKG_BUILD}/jwtguard.1.gz ${JWTGUARD_PKG_BUILD}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -DJWTGUARD=$<TARGET_FILE:jwtguard_cli>
          -DOUTPUT=${JWTGUARD_PKG_BUILD}/jwtguard.1 -DVERSION=${PROJECT_VERSION}
          -P ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
  COMMAND gzip -9nf ${JWTGUARD_PKG_BUILD}/jwtguard.1
  COMMAND gzip -9nc ${JWTGUARD_PKG_DIR}/changelog > ${JWTGUARD_PKG_BUILD}/changelog.gz
  DEPENDS jwtguard_cli ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake ${JWTGUARD_PKG_DIR}/changelog
  COMMENT "Man page from jwtguard --help, and the package's changelog"
  VERBATIM)
add_custom_target(jwtguard_package_files ALL
                  DEPENDS ${JWTGUARD_PKG_BUILD}/jwtguard.1.gz ${JWTGUARD_PKG_BUILD}/changelog.gz)

install(TARGETS jwtguard_cli RUNTIME DESTINATION usr/bin COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${JWTGUARD_PKG_DIR}/jwtguard.toml DESTINATION etc/jwtguard
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${JWTGUARD_PKG_DIR}/jwtguard.service DESTINATION lib/systemd/system
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${JWTGUARD_PKG_BUILD}/jwtguard.1.gz DESTINATION usr/share/man/man1
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${JWTGUARD_PKG_DIR}/copyright ${JWTGUARD_PKG_BUILD}/changelog.gz
              ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${JWTGUARD_DOC_DEST}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT deb EXCLUDE_FROM_ALL)
# Every document of docs/ (openapi.yaml too, when it exists), and the alert
# rules docs/operations.md describes.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${JWTGUARD_DOC_DEST}/docs
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        COMPONENT deb EXCLUDE_FROM_ALL
        FILES_MATCHING PATTERN "*.md" PATTERN "*.yaml")
install(FILES ${JWTGUARD_PKG_DIR}/jwtguard.rules.yml DESTINATION ${JWTGUARD_DOC_DEST}/examples
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jwtguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "jwtguard maintainers <jwtguard@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "JWT authentication service with revocation")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the text below it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "jwtguard issues and checks JSON Web Tokens for applications: logins, refresh
token rotation, revocation of tokens, sessions and users shared through SQLite,
Redis or PostgreSQL, trusted identity servers and Token Status Lists. This
package runs it as the systemd service jwtguard.service.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /)
# The "deb" component alone: the static library, headers and CMake files
# that `cmake --install` also installs are for developers, not the service.
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};jwtguard;deb;/")
set(CPACK_STRIP_FILES ON)
# Depends: the shared libraries the binary links, as dpkg-shlibdeps finds
# them, and adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${JWTGUARD_PKG_DIR}/postinst ${JWTGUARD_PKG_DIR}/prerm
    ${JWTGUARD_PKG_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Where `make package` (cpack in the build directory) writes the .deb; the
# tests give cpack a directory of their own (-B).
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
