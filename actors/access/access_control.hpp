// Who may use /sync, and how much (README, Access control): API keys with their limits
// (connections, transactions per second, stored bytes) and, for connections without a
// key, limits per IP address (connections, messages per second). A plain class: the
// gateway's upgrade gate asks admit(), the peer actor charges each frame to the grant
// its connection was let in with, and the key refresher hands it the key table. Safe
// to call from any thread (one mutex; connections with nothing to count never take it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/observability/metrics.hpp"
#include "gateway/sync/sync_connection.hpp"
#include "protocol/access/token_bucket.hpp"
#include "protocol/sync/messages.hpp"
#include "storage/api_key_store.hpp"

namespace moai::actors {

using access_clock = std::chrono::steady_clock;

// The documented close codes of /sync (4000 + the HTTP status that says the same).
constexpr std::uint16_t kCloseKeyRevoked = 4401;
constexpr std::uint16_t kCloseStorageQuota = 4507;

struct access_settings {
  bool require_key = false;
  std::uint32_t max_connections_per_ip = 0;      // 0 = unlimited
  std::uint32_t messages_per_second_per_ip = 0;  // 0 = unlimited
};

// What a frame counts for. Rates are paced from the frame's text as it is read (lines
// and transaction keys: count_frame), so reading pauses before the next frame; the
// decoded messages (charge_of) then correct the count and give the bytes to store.
struct frame_charge {
  std::uint64_t messages = 0;
  std::uint64_t transactions = 0;
  std::uint64_t transaction_bytes = 0;  // charge_of only
};

struct access_state;
struct key_entry;
struct ip_entry;

// What a connection was let in with; counted out when the connection lets go of it.
class access_grant final : public gateway::connection_admission {
 public:
  access_grant(std::shared_ptr<access_state> state, std::shared_ptr<key_entry> key, std::shared_ptr<ip_entry> ip,
               std::string ip_address);
  ~access_grant() override;

  // The key's id; empty for a connection without a key.
  const std::string& key_id() const { return key_id_; }
  // Whether frames are paced (by a key's transactions per second, an IP's messages per
  // second) and whether stored bytes are counted: both for any key.
  bool paces() const { return paces_; }
  bool counts_bytes() const { return key_ != nullptr; }
  // Takes a frame's messages (per IP) or transactions (per key) from the rate's bucket:
  // how long to read nothing more (zero while within the rate).
  access_clock::duration pace(const frame_charge& c, access_clock::time_point now = access_clock::now());
  // Counts `bytes` against the key's stored-bytes quota; false (nothing counted) when
  // they would exceed it: then the frame must not be taken.
  bool store(std::uint64_t bytes);
  // Called once, from the refreshing thread, if the key is revoked while connected.
  void on_revoked(std::function<void()> close);

 private:
  friend class access_control;
  std::shared_ptr<access_state> state_;
  std::shared_ptr<key_entry> key_;
  std::shared_ptr<ip_entry> ip_;
  std::string ip_address_;
  std::string key_id_;
  bool paces_ = false;
  std::function<void()> close_on_revoke_;  // guarded by the state's mutex
};

// An upgrade's answer: the grant (nullptr when there is nothing to count), or a refusal.
struct admission {
  unsigned status = 0;  // 0: let in; else 401 or 429
  std::string message;
  std::shared_ptr<access_grant> grant;
};

class access_control {
 public:
  access_control(access_settings settings, access_counters& counters);

  const access_settings& settings() const { return settings_; }

  // `key`: the ?key= of the upgrade, if any; `ip`: the peer's address.
  admission admit(const std::optional<std::string>& key, const std::string& ip,
                  access_clock::time_point now = access_clock::now());

  // The key table as stored now. Keys revoked (or gone) since the last call close their
  // connections (their on_revoked callbacks run after the lock is released); changed
  // limits apply at once. Stored bytes handed out by take_stored_bytes count as stored
  // from here on.
  void replace_keys(const std::vector<storage::api_key_record>& keys,
                    access_clock::time_point now = access_clock::now());

  // Bytes keys' connections brought in since the last call (id → bytes), to be added to
  // the table; give_back_stored_bytes when that failed.
  std::map<std::string, std::uint64_t> take_stored_bytes();
  void give_back_stored_bytes(const std::map<std::string, std::uint64_t>& bytes_by_id);

  // Valid (not revoked) keys known.
  std::size_t active_keys() const;
  // Connections open with a key, by key id (for /metrics and the log).
  std::map<std::string, std::size_t> connections_by_key() const;

  // Called (outside the lock) when an unknown key is refused: the table may be newer.
  void on_unknown_key(std::function<void()> wake) { on_unknown_key_ = std::move(wake); }

 private:
  access_settings settings_;
  std::shared_ptr<access_state> state_;
  std::function<void()> on_unknown_key_;
};

// A frame's count from its text: its lines (one message each) and its transactions
// (`"madeAt":` keys: inside a transaction's changes, a string, the quotes are escaped).
frame_charge count_frame(std::string_view text);
// A frame's count from its decoded messages (before coalescing), with the bytes of its
// transactions as they are stored.
frame_charge charge_of(const std::vector<protocol::sync_message>& messages);

}  // namespace moai::actors
