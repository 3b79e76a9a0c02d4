// Several moai nodes on one database: each commit announces the CoValues it changed
// (PostgreSQL NOTIFY on moai_changes:<schema>, sent with the commit), and every node
// listens (LISTEN on a connection of its own), so a node that holds one of them in
// memory reads what it lacks. This is the storage side: the announcement's text and the listening
// connection; actors/sync/change_listener turns what it hears into messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moai::storage {

// A CoValue that another node changed in storage.
struct stored_change {
  std::string id;
  // Storage holds at least these counts (the writer's view; a concurrent write may have
  // stored more). Empty with `complete` false: the list did not fit the announcement.
  std::map<std::string, std::uint32_t> sessions;
  bool complete = true;
  bool header = false;            // the write stored the header (the CoValue may be new)
  bool deleted = false;           // the write deleted the CoValue
  std::int64_t committed_ms = 0;  // the writer's wall clock (ms since the epoch) when it committed
};

// The announcement's text (at most `limit` bytes: PostgreSQL takes 8000): "m1 NODE MS
// FLAGS ID [SESSION COUNT]…", FLAGS a mix of h (header), d (deleted), * (sessions left
// out) or "-". IDs never contain spaces.
std::string encode_change(const std::string& node, const stored_change& change, std::size_t limit = 7900);
// nullopt for a text that is not an announcement; `node` is the writer's.
std::optional<stored_change> parse_change(const std::string& text, std::string& node);

class change_feed {
 public:
  virtual ~change_feed() = default;
  // Waits up to `timeout` for changes other nodes committed, and returns them (changes
  // this process committed are left out). Connects and listens first when it is not
  // connected; `reconnected` is then set: changes committed before that were not heard,
  // so everything in memory must be compared with storage. Throws when the database
  // cannot be reached (call again later).
  virtual std::vector<stored_change> wait(std::chrono::milliseconds timeout, bool& reconnected) = 0;
};

}  // namespace moai::storage
