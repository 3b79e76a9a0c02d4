// Process-wide counters that actors bump and /metrics and the inspection log read.
// Relaxed atomics: they are statistics, not synchronization.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "actors/observability/inspection.hpp"

namespace moai::actors {

enum class action : std::size_t { load, known, content, done, reconcile, reconcile_ack, count };
std::string_view action_name(action a);

enum class rejection : std::size_t {
  invalid_json,     // a frame that is not JSON
  invalid_message,  // JSON that is not a usable sync message
  invalid_header,   // header malformed or not hashing to the ID
  invalid_signature,
  unknown_signer,  // account not available or not an account
  invalid_transaction,
  invalid_delete,
  missing_schema,  // storage.require_schema: a CoValue without header meta.$schema
  too_many_messages,  // a frame over limits.max_messages_per_frame
  count
};
std::string_view rejection_name(rejection r);

// Why a /sync upgrade was refused by access control (README, Access control).
enum class refusal : std::size_t {
  missing_key,      // access.require_key and no ?key=
  unknown_key,      // a key not in the key table
  revoked_key,      // a key revoked with moai keys revoke
  key_connections,  // the key's max_connections reached
  ip_connections,   // limits.max_connections_per_ip reached (connections without a key)
  count
};
std::string_view refusal_name(refusal r);

struct access_counters {
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(refusal::count)> refused{};
  // Frames after which reading a connection paused, by the limit that asked for it.
  std::atomic<std::uint64_t> rate_limited_key{0};
  std::atomic<std::uint64_t> rate_limited_ip{0};
  // Connections closed: their key was revoked (4401), or its stored bytes quota was
  // reached (4507).
  std::atomic<std::uint64_t> closed_revoked{0};
  std::atomic<std::uint64_t> closed_storage_quota{0};
};

// A Prometheus-style histogram with fixed bounds, in seconds.
struct latency_histogram {
  static constexpr std::array<double, 12> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets{};  // last: above every bound
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum_ns{0};

  void observe(std::uint64_t nanoseconds);
};

struct sync_metrics {
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(action::count)> messages_in{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(action::count)> messages_out{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(rejection::count)> rejections{};
  std::atomic<std::uint64_t> transactions_accepted{0};
  std::atomic<std::uint64_t> storage_batches{0};
  std::atomic<std::uint64_t> storage_writes{0};
  std::atomic<std::uint64_t> storage_failures{0};
  std::atomic<std::uint64_t> storage_loads{0};
  std::atomic<std::uint64_t> storage_read_failures{0};
  std::atomic<std::uint64_t> slow_consumers_closed{0};
  std::atomic<std::uint64_t> content_held_back{0};
  latency_histogram storage_write_latency;
  // The last write batch succeeded (a full disk, an I/O error: false until one does),
  // and the last reads did (a damaged page, a failing disk: false until all succeed).
  std::atomic<bool> storage_writes_ok{true};
  std::atomic<bool> storage_reads_ok{true};
  bool storage_ok() const { return storage_writes_ok.load() && storage_reads_ok.load(); }
  // Several nodes on one PostgreSQL (storage/change_feed.hpp): commits announced,
  // announcements heard from other nodes, CoValues in memory read again because another
  // node stored more (and the transactions that brought), comparisons of everything in
  // memory after the feed was lost, and the lag from another node's commit to our
  // subscribers (by the two machines' clocks).
  std::atomic<std::uint64_t> changes_announced{0};
  std::atomic<std::uint64_t> changes_heard{0};
  std::atomic<std::uint64_t> catch_up_reads{0};
  std::atomic<std::uint64_t> catch_up_transactions{0};
  std::atomic<std::uint64_t> resyncs{0};
  latency_histogram cross_node_lag;
  // The database link, as the change feed sees it: -1 no shared database (SQLite,
  // memory), 0 down, 1 up.
  std::atomic<int> database_link{-1};
  access_counters access;
  // Every actor's probe: mailbox depths and message rates per actor kind.
  actor_registry actors;

  void count_in(action a) { messages_in[static_cast<std::size_t>(a)].fetch_add(1, std::memory_order_relaxed); }
  void count_out(action a) { messages_out[static_cast<std::size_t>(a)].fetch_add(1, std::memory_order_relaxed); }
  void reject(rejection r) { rejections[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace moai::actors
