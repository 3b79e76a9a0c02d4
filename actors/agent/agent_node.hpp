// The server's own cojson account as a node of the sync network (cojson's LocalNode).
// It loads CoValues the way a client peer does (the server sends dependencies first),
// verifies and keeps them, reads them with the account's keys, and writes signed
// transactions in its own session, answering only once the server acknowledged them.
//
// Its peer is the in-process sync manager (PEER_MODE=sync) or an upstream moai over
// WebSocket (PEER_MODE=agent). Either way it speaks the sync protocol, so whatever it
// writes goes through the same verification as any client's content.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"
#include "protocol/crypto/identity.hpp"

namespace moai::actors {

// What a read returns: the content as the account sees it.
struct covalue_snapshot {
  std::string id;
  std::string type;                            // header type: comap, colist, costream, coplaintext
  std::string meta_type;                       // header meta.type ("account" for accounts)
  std::string meta_schema;                     // header meta.$schema (MaiaOS)
  std::string owner_group;                     // ownedByGroup CoValues: the owning group
  bool is_group = false;                       // groups and accounts
  std::string content_json;                    // comap/group: an object; colist: an array; otherwise null
  std::map<std::string, std::string> entries;  // comap/group: key → value JSON
  std::vector<std::string> items;              // colist: item JSON
  std::size_t undecryptable = 0;               // private transactions the account cannot read
};

// status follows HTTP: 200, 404 (unavailable), 403 (no rights), 504 (timed out), 500.
struct node_error {
  node_error() = default;
  node_error(int s, std::string m, std::string cv = {}) : status(s), message(std::move(m)), covalue(std::move(cv)) {}

  int status = 200;
  std::string message;
  std::string covalue;  // the CoValue that could not be loaded or stored, when that was the failure
  bool ok() const { return status == 200; }
};

struct read_request {
  std::string id;
};
struct read_result {
  node_error error;
  covalue_snapshot value;
};

// A CoMap edit: set `key` to `value_json`, or delete it when nullopt.
struct map_edit {
  std::string key;
  std::optional<std::string> value_json;
};
struct update_map_request {
  std::string id;
  std::vector<map_edit> edits;
};
struct append_list_request {
  std::string id;
  std::vector<std::string> items_json;
};
// A new CoMap or CoList owned by `owner_group` (a group the account can write to), or,
// when owner_group is empty, by a new group the account administers. A CoMap's init is
// one transaction (createMap(init)); an empty init still writes one without changes.
struct create_request {
  std::string type;  // "comap" | "colist"
  std::string owner_group;
  std::vector<map_edit> map_init;
  std::vector<std::string> list_init;
  std::string meta_json = "null";
  bool public_read = false;  // a new group: also "everyone: reader"
  // A new group: the groups it extends, with the role their members get (admin, writer,
  // reader, or "extend" to inherit), and whether the account then leaves it (MaiaOS's
  // createCoValueForSpark: the guardian keeps the value, the account keeps no direct role).
  std::vector<std::pair<std::string, std::string>> extends;
  bool leave_group = false;
};

// Start-up: the account is loaded, or, when no peer has it, created from the secret in
// the JavaScript moai's shape (protocol/content/account_factory.hpp) and uploaded.
struct bootstrap_request {
  std::string name;  // the profile name of a new account
};
struct bootstrap_result {
  node_error error;
  bool created = false;
};
struct write_result {
  node_error error;
  std::string id;  // the CoValue written or created
};

// A sync peer (of the in-process sync manager), the reader of its upstream link in agent
// mode, and what the agent gateway asks of the account.
using agent_node_actor = sync_peer::extend<caf::reacts_to<incoming_frame>, caf::reacts_to<connection_closed>,
                                           caf::reacts_to<upstream_connected>,
                                           caf::replies_to<read_request>::with<read_result>,
                                           caf::replies_to<update_map_request>::with<write_result>,
                                           caf::replies_to<append_list_request>::with<write_result>,
                                           caf::replies_to<create_request>::with<write_result>,
                                           caf::replies_to<bootstrap_request>::with<bootstrap_result>>;

struct agent_node_options {
  std::chrono::milliseconds load_timeout{25000};
  std::chrono::milliseconds ack_timeout{25000};
};

// Where the node's messages go. In sync mode: the in-process sync manager.
struct agent_link {
  sync_manager_actor manager;  // set in sync mode
  // Set in agent mode: sends one text frame to the upstream (any thread).
  std::function<void(std::string frame)> send_frame;
};

agent_node_actor spawn_agent_node(caf::actor_system& system, protocol::agent_identity identity, agent_link link,
                                  agent_node_options options, sync_metrics* metrics);

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::read_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::read_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::update_map_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::append_list_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::create_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::write_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::bootstrap_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::bootstrap_result)
