// The files of an SQLite store, made private before SQLite touches them:
// they hold password hashes and sessions.
#ifndef JWTGUARD_SQLITE_SQLITE_FILES_H_
#define JWTGUARD_SQLITE_SQLITE_FILES_H_

#include <string>

#include "jwtguard/error.h"
#include "jwtguard/store.h"

namespace jwtguard::sqlite {

// Prepares `path` for Db::open:
//  * every missing parent directory is created with mode 0700;
//  * a missing database file is created empty with mode 0600, so that SQLite,
//    which gives the -wal and -shm files it creates the main file's mode,
//    creates those 0600 too (without touching the process-wide umask, which
//    other threads use);
//  * an existing database, -wal or -shm file that other users may read or
//    write is left as it is (the operator may share it on purpose), with a
//    warning through `warn` (stderr when unset) that names the file, its mode
//    and the chmod that fixes it.
// Existing directories are left alone. kStore when a directory or the file
// cannot be created, with the path and the reason.
Result<void> prepare_files(const std::string& path, const StoreWarning& warn);

}  // namespace jwtguard::sqlite

#endif  // JWTGUARD_SQLITE_SQLITE_FILES_H_
