// Group commit for the PostgreSQL store's changes to the feed.
//
// Every change holds the feed head's row lock from its first statement to
// its COMMIT (see postgres_store.cc), so changes commit one after the other,
// across all instances, each paying a disk flush. One thread here
// (stores::GroupCommit) runs all the jobs that queued up meanwhile in one
// transaction, each in its own savepoint, and acknowledges them once COMMIT
// has returned: N concurrent revocations cost one flush, and none is
// acknowledged before it is durable (synchronous_commit is on, see
// pg_connector.h).
#ifndef JWTGUARD_POSTGRES_PG_WRITER_H_
#define JWTGUARD_POSTGRES_PG_WRITER_H_

#include <functional>

#include "jwtguard/error.h"
#include "pg_conn.h"
#include "pg_connector.h"
#include "pg_pool.h"
#include "store/group_commit.h"

namespace jwtguard::pg {

class Writer {
 public:
  using Body = std::function<Result<void>(Conn&)>;

  // `pool` and `connector` must outlive the writer.
  Writer(Pool& pool, const Connector& connector);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs `body` on the writer's thread, inside the next batch's transaction
  // on a pooled connection (the feed head's row lock already taken), and
  // returns once that transaction has ended, as stores::GroupCommit::write
  // says: `body`'s own result when it committed (a failing body is undone
  // alone), else the batch's failure (a lease, BEGIN, a savepoint or COMMIT
  // failed; after COMMIT's answer is lost the write may or may not have
  // happened). A batch that commits NOTIFYs the feed's followers. Runs what
  // is queued before it is destroyed. Thread-safe.
  Result<void> write(const Body& body);

 private:
  stores::GroupCommit group_commit_;
};

}  // namespace jwtguard::pg

#endif  // JWTGUARD_POSTGRES_PG_WRITER_H_
