// store_bench's join case (store_join.cc): what an instance joining a
// cluster pays to load a large store's revocations before it can serve.
#ifndef JWTGUARD_BENCH_STORE_JOIN_H_
#define JWTGUARD_BENCH_STORE_JOIN_H_

#include <cstdint>
#include <string>

#include "jwtguard/clock.h"

namespace jwtguard::bench {

// Runs the join case when the command line asks for it (--join, or
// --join-load=URL in the child that measures one load) and returns the
// exit status; returns -1, touching nothing, when it does not ask.
int run_join_if_asked(int argc, char** argv);

// store_join_pg.cc: fills the PostgreSQL store at `url` (its schema made
// already) with what the join case writes through the interface, in SQL.
bool fill_postgres_with_sql(const std::string& url, std::uint64_t revocations,
                            std::uint64_t sessions, Timestamp now);

}  // namespace jwtguard::bench

#endif  // JWTGUARD_BENCH_STORE_JOIN_H_
