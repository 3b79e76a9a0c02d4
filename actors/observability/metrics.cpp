#include "actors/observability/metrics.hpp"

#include <iterator>

namespace moai::actors {

std::string_view action_name(action a) {
  static constexpr std::string_view names[] = {"load", "known", "content", "done", "reconcile", "reconcile-ack"};
  return names[static_cast<std::size_t>(a)];
}

void latency_histogram::observe(std::uint64_t nanoseconds) {
  const double seconds = static_cast<double>(nanoseconds) / 1e9;
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  sum_ns.fetch_add(nanoseconds, std::memory_order_relaxed);
}

std::string_view rejection_name(rejection r) {
  static constexpr std::string_view names[] = {"invalid_json",      "invalid_message",     "invalid_header",
                                                "invalid_signature", "unknown_signer",      "invalid_transaction",
                                                "invalid_delete",    "missing_schema",      "too_many_messages"};
  static_assert(std::size(names) == static_cast<std::size_t>(rejection::count));
  return names[static_cast<std::size_t>(r)];
}

std::string_view refusal_name(refusal r) {
  static constexpr std::string_view names[] = {"missing_key", "unknown_key", "revoked_key", "key_connections",
                                                "ip_connections"};
  return names[static_cast<std::size_t>(r)];
}

}  // namespace moai::actors
