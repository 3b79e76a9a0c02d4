// The agent gateway's own header, shared by its files only: agent_gateway.cpp (the
// actor, dispatch, start-up and the generic /covalues routes), maia_routes.cpp (the
// JavaScript moai's routes with its answers) and maia_migration.cpp (its start-up
// migration of the account).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/agent/agent_node.hpp"
#include "actors/http_gateway.hpp"
#include "actors/observability/inspection.hpp"
#include "config/config.hpp"
#include "protocol/json/json.hpp"

namespace moai::actors::agent_api {

// One HTTP request in flight; answered exactly once (by its flow or its deadline).
struct call {
  gateway::http_request request;
  gateway::responder respond;
  bool answered = false;

  void answer(unsigned status, std::string body);
};
using call_ptr = std::shared_ptr<call>;

// A request reached its deadline (agent.request_timeout_ms).
struct call_expired {
  call_ptr c;
};

}  // namespace moai::actors::agent_api

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::agent_api::call_expired)

namespace moai::actors::agent_api {

// Start-up: try the account's bootstrap again.
using bootstrap_atom = caf::atom_constant<caf::atom("bootstrap")>;
using gateway_impl = http_gateway_actor::extend<caf::reacts_to<call_expired>, caf::reacts_to<bootstrap_atom>>;

struct gateway_state {
  config cfg;
  agent_node_actor node;
  bool ready = false;  // the account is loaded (or created): the routes may act as it
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "agent_gateway";
};

using self_ptr = gateway_impl::stateful_pointer<gateway_state>;

// ---- JSON text ----
std::string json_quoted(std::string_view text);
std::string failure(std::string_view message);  // {"ok":false,"error":…}
// The string inside a JSON value's text; nullopt when it is not a JSON string.
std::optional<std::string> json_string_value(const std::string& json_text);
// The CoValue ID a CoMap key holds, when it holds one.
std::optional<std::string> id_at(const covalue_snapshot& map, const std::string& key);
std::string trim(std::string_view s);
std::string compact(const protocol::json_value& v);

// ---- the node, with continuations ----
using on_failure = std::function<void(const node_error&)>;
void read(self_ptr self, const std::string& id, std::function<void(const covalue_snapshot&)> next, on_failure failed);
void write(self_ptr self, update_map_request req, std::function<void(const std::string&)> next, on_failure failed);
void write(self_ptr self, append_list_request req, std::function<void(const std::string&)> next, on_failure failed);
void write(self_ptr self, create_request req, std::function<void(const std::string&)> next, on_failure failed);
// Follows CoMap keys from `id` (each value a CoValue ID) and continues with the last one.
// A key that holds no ID fails with 404 "Path <key> not found" (the original's words).
void follow(self_ptr self, const std::string& id, std::vector<std::string> keys,
            std::function<void(const covalue_snapshot&)> next, on_failure failed);

// ---- maia_routes.cpp: the JavaScript moai's routes ----
void on_added(self_ptr self, call_ptr c);
void register_human(self_ptr self, call_ptr c);
void trigger(self_ptr self, call_ptr c);
void profile(self_ptr self, call_ptr c);

// ---- maia_migration.cpp ----
// The account exists (or was just created): MaiaOS's start-up migration, in the
// background; failures are logged, never fatal (as the original's).
void migrate_account(self_ptr self);

}  // namespace moai::actors::agent_api
