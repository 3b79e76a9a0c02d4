// The typed messages and actor interfaces that connect moai's actors:
//
//   gateway ──frames──▶ peer_actor ──from_peer──▶ sync_manager ──▶ covalue_actor
//                          ▲                        ▲                 │   │
//                          └──── outgoing_messages ─┼─────────────────┘   ▼
//                                   storage_changed │                storage_writer
//                                            change_listener (other nodes' commits)
//
// Messages stay inside one process, so protocol values travel as plain C++ types.
#pragma once

#include <caf/all.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/sync/covalue_state.hpp"
#include "protocol/sync/known_state.hpp"
#include "protocol/sync/messages.hpp"
#include "storage/covalue_store.hpp"

namespace moai::actors {

// ---- a sync peer: whoever speaks the sync protocol with us -----------------------

// Encoded sync messages to send, in order, at one priority (0 high, 3 medium, 6 low).
// Content carries its CoValue and what the sender believed the peer held before it: a
// peer whose queue is over its limit holds the content back (drops it) and later asks
// for it again from there (dependency_push::resend_from).
struct outgoing_messages {
  std::vector<std::string> messages;
  int priority = 0;
  std::string content_of;  // the CoValue whose content this is; empty for other messages
  protocol::known_state known_before;
  bool resend = false;  // the answer to such a request: queued whatever the queue holds
  // On a resend: the CoValue's dependencies, so that a peer still holding one of them
  // back sends that first (its content may have changed after this was held).
  std::vector<std::string> dependencies;
};

// "End this connection with `code`": the peer sees why (e.g. 1011 when what it sent
// could not be stored for a while); a cojson client reconnects and syncs anew.
struct disconnect_request {
  std::uint16_t code = 1011;
  std::string reason;
};

// What the sync core sends a peer. Implemented by the peer actor (a /sync WebSocket, or
// the link to an upstream moai) and by the agent node (the server's own account).
using sync_peer = caf::typed_actor<caf::reacts_to<outgoing_messages>, caf::reacts_to<disconnect_request>>;

// ---- what a connection tells the actor that reads it ----------------------------

struct incoming_frame {
  std::string text;
  // Transactions access control already paced from the text as it was read
  // (count_frame); the decoded count paces the rest.
  std::uint64_t paced_transactions = 0;
};
// The socket caught up (sync_connection::notify_when_unsent_below).
struct frame_sent {
  std::uint64_t bytes = 0;
};
struct connection_closed {
  std::string reason;
};
// A link to an upstream server came (back) up. Sent to the actor that reads the link,
// after the frames of the old connection, so it marks where the new one begins.
struct upstream_connected {};

// A peer actor as its connection (gateway/sync_connection.hpp) sees it.
using connection_peer =
    sync_peer::extend<caf::reacts_to<incoming_frame>, caf::reacts_to<frame_sent>, caf::reacts_to<connection_closed>,
                      caf::reacts_to<upstream_connected>>;

// ---- CoValue actors and the sync manager that routes to them ----------------

// A load / known / content / done message from a peer, about message_id(message).
struct from_peer {
  sync_peer peer;
  std::uint64_t peer_id = 0;
  protocol::sync_message message;
};

// "Tell me once you have a header" (content waits for its dependencies). If the
// CoValue is nowhere, it asks `ask` (the peer that sent the dependent content).
struct availability_query {
  std::string id;
  sync_peer ask;
  std::uint64_t ask_id = 0;
};
struct availability {
  std::string id;
  bool available = false;
  bool is_account = false;
  std::string initial_admin;  // accounts: the agent whose signer signs account sessions
};

// "Send `peer` what it lacks of you, your dependencies first; answer when queued."
struct dependency_push {
  std::string id;
  sync_peer peer;
  std::uint64_t peer_id = 0;
  std::vector<std::string> visited;  // the chain that asked, to cut cycles
  // Set by a peer that held content back: it holds this much (replacing what we
  // believed, plus what it told us since); send the rest as a resend.
  std::optional<protocol::known_state> resend_from;
};
struct push_done {
  std::string id;
};

// The server's known state of a CoValue (for reconcile), from memory or storage.
struct known_query {
  std::string id;
};
struct known_reply {
  std::string id;
  bool found = false;
  protocol::session_counts sessions;
};

// A copy of a CoValue's verified state: groups, for permission checks.
struct snapshot_query {
  std::string id;
};
struct snapshot_reply {
  std::string id;
  std::shared_ptr<const protocol::covalue_state> state;  // null when not available
};

// The admin page's lookup: what a CoValue actor holds of its CoValue and which
// connections hold it. Routed like any message about the CoValue (one not in memory is
// loaded from storage, and retires again when idle); asks nothing of the upstream.
struct inspect_query {
  std::string id;
  bool in_memory = false;  // set by the manager: the CoValue was in memory before this query
};
struct inspected_session {
  std::string session_id;
  std::uint32_t transactions = 0;
  std::uint32_t private_transactions = 0;  // ciphertext only
  std::uint64_t size = 0;                  // cojson's measure: the changes' (or ciphertext's) length
  std::string last_signature;
  std::uint64_t last_made_at = 0;
};
struct inspected_peer {
  std::uint64_t peer_id = 0;  // the connection's number (as in the logs)
  bool upstream = false;
  // What the peer itself said it holds (load, known, content).
  bool has_header = false;
  std::uint64_t transactions = 0;
};
struct inspect_reply {
  std::string id;
  bool found = false;  // a header is held
  bool in_memory = false;
  bool deleted = false;
  std::string header;  // canonical JSON
  std::vector<inspected_session> sessions;
  std::vector<inspected_peer> peers;
};

// An idle CoValue actor asks to stop; granted only if nothing was routed to it since.
struct retire_request {
  std::string id;
  std::uint64_t received = 0;
};
struct retire_decision {
  bool granted = false;
};

struct manager_stats {
  std::uint64_t covalues_in_memory = 0;
  std::uint64_t covalues_spawned = 0;
  std::uint64_t covalues_retired = 0;
  std::uint64_t messages_routed = 0;
};
struct stats_query {};

// Sync mode with an upstream moai (PEER_MOAI): the peer actor of the link to it. Sent to
// the manager at start and on every (re)connection; the manager passes it to every
// CoValue actor, which subscribes there again (a cojson client does the same with its
// server peer after a reconnect).
struct upstream_link {
  sync_peer peer;
  std::uint64_t peer_id = 0;
};
// Several nodes on one database (storage/change_feed.hpp): another node committed a
// change of this CoValue (change listener → manager → the CoValue's actor, if in memory).
struct storage_changed {
  storage::stored_change change;
};
// The change feed was lost and is back: announcements were missed, so every CoValue in
// memory compares itself with storage.
struct storage_resync {};

// Manager → CoValue actor: retire now if idle (too many CoValues in memory).
using evict_atom = caf::atom_constant<caf::atom("evict")>;

using covalue_actor =
    caf::typed_actor<caf::reacts_to<from_peer>, caf::replies_to<availability_query>::with<availability>,
                     caf::replies_to<dependency_push>::with<push_done>, caf::replies_to<known_query>::with<known_reply>,
                     caf::replies_to<snapshot_query>::with<snapshot_reply>,
                     caf::replies_to<inspect_query>::with<inspect_reply>, caf::reacts_to<retire_decision>,
                     caf::reacts_to<evict_atom>, caf::reacts_to<upstream_link>,
                     caf::reacts_to<storage_changed>, caf::reacts_to<storage_resync>>;

using sync_manager_actor =
    caf::typed_actor<caf::reacts_to<from_peer>, caf::replies_to<availability_query>::with<availability>,
                     caf::replies_to<dependency_push>::with<push_done>, caf::replies_to<known_query>::with<known_reply>,
                     caf::replies_to<snapshot_query>::with<snapshot_reply>,
                     caf::replies_to<inspect_query>::with<inspect_reply>,
                     caf::reacts_to<retire_request>, caf::replies_to<stats_query>::with<manager_stats>,
                     caf::reacts_to<upstream_link>,
                     caf::reacts_to<storage_changed>, caf::reacts_to<storage_resync>>;

// ---- storage writer: the only writer of the database --------------------------

struct load_request {
  std::string id;
  // Only what storage holds beyond these counts (a CoValue in memory catching up with
  // what other nodes stored); a whole load when empty.
  std::optional<protocol::session_counts> since;
};
// Sent once the read succeeded (a failed read is retried by the storage writer: an
// unreadable CoValue must not look absent).
struct load_reply {
  std::optional<storage::stored_covalue> covalue;
};
struct write_request {
  storage::covalue_write write;
};
// A page of stored CoValues (storage::covalue_store::list_known).
struct list_request {
  std::string after;
  std::size_t limit = 0;
};
struct list_reply {
  std::vector<storage::stored_known> covalues;
};
struct write_ack {
  bool ok = false;
};
// "Commit everything queued before this": answered once it is (shutdown waits for it).
struct flush_request {};
struct flush_reply {
  bool ok = false;  // false: the last commit failed (what failed is retried by its writers)
};

using storage_actor =
    caf::typed_actor<caf::replies_to<load_request>::with<load_reply>, caf::replies_to<write_request>::with<write_ack>,
                     caf::replies_to<known_query>::with<known_reply>, caf::replies_to<list_request>::with<list_reply>,
                     caf::replies_to<flush_request>::with<flush_reply>>;

}  // namespace moai::actors

// Local-only messages: they never cross a process boundary, so no serialization.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::incoming_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::frame_sent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::connection_closed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::upstream_connected)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::outgoing_messages)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::disconnect_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::from_peer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::availability_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::availability)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::dependency_push)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::push_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::known_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::known_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::snapshot_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::snapshot_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::inspect_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::inspect_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::retire_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::retire_decision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::manager_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::stats_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::upstream_link)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::storage_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::storage_resync)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::load_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::load_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::write_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::list_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::list_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::flush_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::flush_reply)
