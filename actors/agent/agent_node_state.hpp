// The agent node's own header, shared by its two files only: agent_node.cpp (the link,
// loading, receiving, reading, timeouts and its messages) and agent_node_writes.cpp
// (writing: edits, new CoValues, the account's bootstrap).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/agent/agent_node.hpp"
#include "actors/observability/inspection.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/groups/read_keys.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace moai::actors::agent_node_internal {

// The node's own timer: loads and writes that waited too long.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using agent_node_impl = agent_node_actor::extend<caf::reacts_to<tick_atom>>;

using steady = std::chrono::steady_clock;
using protocol::known_state;
using done_callback = std::function<void(const node_error&)>;

inline std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

struct load_waiter {
  steady::time_point deadline;
  done_callback done;
};

// A write waiting for the server to hold `count` transactions of `session` (with
// `count` 0: to hold the CoValue's header).
struct ack_waiter {
  std::string session;
  std::uint32_t count = 0;
  steady::time_point deadline;
  done_callback done;
};

struct tracked_covalue {
  std::unique_ptr<protocol::covalue_state> state;
  known_state confirmed;  // what the server told us it holds
  known_state sent;       // confirmed, plus what we sent since
  bool load_sent = false;
  bool settled = false;  // the server answered our load
  bool found = false;
  std::optional<protocol::session_counts> expect;  // more pieces announced
  std::vector<load_waiter> load_waiters;
  std::vector<ack_waiter> acks;
  std::deque<protocol::content_message> blocked;  // waiting for an account to verify with
};

struct node_state {
  protocol::agent_identity identity;
  std::unique_ptr<protocol::local_writer> writer;
  agent_link link;
  agent_node_options options;
  std::unordered_map<std::string, tracked_covalue> covalues;
  bool sweep_scheduled = false;
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "agent_node";
};

using self_ptr = agent_node_impl::stateful_pointer<node_state>;

// ---- agent_node.cpp ----
tracked_covalue& track(self_ptr self, const std::string& id);
// Sends the server what it lacks of `t`, as far as we know.
void upload(self_ptr self, tracked_covalue& t);
// Calls `done` once the server has answered a load of `id` (found or not).
void ensure_loaded(self_ptr self, const std::string& id, done_callback done);
protocol::key_resolver resolver(self_ptr self);
void schedule_sweep(self_ptr self);
void check_acks(tracked_covalue& t);

// ---- agent_node_writes.cpp ----
void update_map(self_ptr self, update_map_request req, std::function<void(write_result)> reply);
void append_list(self_ptr self, append_list_request req, std::function<void(write_result)> reply);
void create(self_ptr self, create_request req, std::function<void(write_result)> reply);
void bootstrap(self_ptr self, bootstrap_request req, std::function<void(bootstrap_result)> reply);

}  // namespace moai::actors::agent_node_internal
