// How stored rows become a CoValue's verified state again: the inverse of
// session_batches.hpp. What we stored was verified when it came, so it is taken as it is
// (no signature checks), but a row that no longer parses is not trusted: its session is
// cut at the last checkpoint before it, and content peers send for that range later
// replaces the damaged rows (covalue_write's replace flags).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/sync/covalue_state.hpp"
#include "storage/covalue_store.hpp"

namespace moai::storage {

// A damaged row, for the log.
struct restore_problem {
  std::string what;        // "stored header is invalid …", "stored transaction is invalid …"
  std::string session_id;  // empty for the header
  std::size_t index = 0;   // the transaction's index in its session
  std::string error;
};

struct restore_report {
  bool header_unreadable = false;      // the header did not parse or hash to the ID: nothing restored
  std::set<std::string> cut_sessions;  // sessions with rows that could not be read
  std::vector<restore_problem> problems;
};

// Fills `state` (empty, for `stored.id`) from `stored`.
restore_report restore_state(stored_covalue&& stored, protocol::covalue_state& state);

// What catch_up_state added.
struct catch_up_report {
  bool header_new = false;                        // the state had no header and now has one
  bool deleted_new = false;                       // storage says deleted; the state did not
  std::map<std::string, std::uint32_t> appended;  // session → the count it had before
  std::size_t transactions = 0;                   // how many were appended
  std::vector<restore_problem> problems;
};

// Appends to `state` what `newer` (a load since the state's own counts,
// load_query::since) holds beyond it: rows other nodes stored in a shared database.
// Taken as it is, like restore_state (the node that stored it verified it), with the
// stored checkpoints; whatever `state` gained meanwhile is skipped. A row that does not
// parse cuts its session at the last stored checkpoint before it.
catch_up_report catch_up_state(stored_covalue&& newer, protocol::covalue_state& state);

}  // namespace moai::storage
