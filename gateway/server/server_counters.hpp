// What the gateway counts for /metrics. Relaxed atomics: statistics, not synchronization.
#pragma once

#include <atomic>
#include <cstdint>

namespace moai::gateway {

struct server_counters {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_rejected{0};
  std::atomic<std::uint64_t> accept_failures{0};  // e.g. out of file descriptors
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  // Incoming message bytes held across connections (limited by max_buffered_frame_bytes),
  // and connections closed because theirs would go beyond that.
  std::atomic<std::uint64_t> frame_bytes_buffered{0};
  std::atomic<std::uint64_t> closed_over_frame_budget{0};
};

}  // namespace moai::gateway
