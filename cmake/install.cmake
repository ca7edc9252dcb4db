# Install rules: the static library with its headers, a CMake package
# (find_package(jwtguard)), a pkg-config file, and the command-line tool.
#
# Included from the top-level CMakeLists.txt after src/ is added, so the
# targets exist; install(TARGETS) may name targets of another directory.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(JWTGUARD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/jwtguard
    CACHE STRING "Where jwtguardConfig.cmake is installed, relative to the prefix")

# One export set per part, so that find_package(jwtguard COMPONENTS core
# sqlite) reads only those parts' targets and looks only for their
# dependencies: an embedder using SQLite alone needs neither hiredis nor
# libpq installed. The umbrella (jwtguard::jwtguard) is the "all" part.
foreach(part core sqlite redis postgres)
  install(TARGETS jwtguard_${part}
          EXPORT jwtguard-${part}-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT jwtguard-${part}-targets
          NAMESPACE jwtguard::
          FILE jwtguard-${part}-targets.cmake
          DESTINATION ${JWTGUARD_INSTALL_CMAKEDIR})
endforeach()
install(TARGETS jwtguard
        EXPORT jwtguard-all-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The consumer sees the umbrella as jwtguard::jwtguard, the name the build
# tree's alias gives it, so code links the same way in-tree and installed.
install(EXPORT jwtguard-all-targets
        NAMESPACE jwtguard::
        FILE jwtguard-all-targets.cmake
        DESTINATION ${JWTGUARD_INSTALL_CMAKEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/jwtguard
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

install(TARGETS jwtguard_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

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
# One file per part (jwtguard-core, jwtguard-sqlite, jwtguard-redis,
# jwtguard-postgres), each requiring what it links, and jwtguard.pc for all.
foreach(pc jwtguard jwtguard-core jwtguard-sqlite jwtguard-redis jwtguard-postgres)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/pkgconfig/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc
                 @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
