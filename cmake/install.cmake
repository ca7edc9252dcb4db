# Install rules: the static library with its headers, a CMake package
# (find_package(jwtguard)), a pkg-config file, and the command-line tool.
#
# Included from the top-level CMakeLists.txt after src/ is added, so the
# targets exist; install(TARGETS) may name targets of another directory.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(JWTGUARD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/jwtguard
    CACHE STRING "Where jwtguardConfig.cmake is installed, relative to the prefix")

install(TARGETS jwtguard
        EXPORT jwtguardTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/jwtguard
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

install(TARGETS jwtguard_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The consumer sees the library as jwtguard::jwtguard, the name the build
# tree's alias gives it, so code links the same way in-tree and installed.
install(EXPORT jwtguardTargets
        NAMESPACE jwtguard::
        FILE jwtguardTargets.cmake
        DESTINATION ${JWTGUARD_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/jwtguardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/jwtguardConfig.cmake
  INSTALL_DESTINATION ${JWTGUARD_INSTALL_CMAKEDIR})
# SameMajorVersion: find_package(jwtguard 0.1) accepts 0.1 and any later 0.x,
# the semantic-versioning promise the project makes for its API.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/jwtguardConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/jwtguardConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/jwtguardConfigVersion.cmake
        DESTINATION ${JWTGUARD_INSTALL_CMAKEDIR})

# pkg-config, for builds that do not use CMake. The prefix is found from the
# pc file's own location, so the file stays right whatever --prefix (or
# DESTDIR) the install is given, and after the tree is moved.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  # An absolute libdir or includedir cannot move with the prefix.
  set(JWTGUARD_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(JWTGUARD_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(JWTGUARD_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  # "/p" stands for any prefix: only the number of ".." matters.
  file(RELATIVE_PATH JWTGUARD_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" JWTGUARD_PC_UP "${JWTGUARD_PC_UP}")
  set(JWTGUARD_PC_PREFIX "\${pcfiledir}/${JWTGUARD_PC_UP}")
  set(JWTGUARD_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(JWTGUARD_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/jwtguard.pc.in ${PROJECT_BINARY_DIR}/jwtguard.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/jwtguard.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
