// GET /metrics: the process's counters in Prometheus text exposition format 0.0.4.
#pragma once

#include <string>
#include <vector>

#include "actors/observability/inspection.hpp"
#include "actors/observability/metrics.hpp"
#include "gateway/server/server_counters.hpp"

namespace moai::actors {

struct process_stats {
  double resident_bytes = 0;
  double cpu_seconds = 0;
  double uptime_seconds = 0;
};
// Read from /proc/self/statm and getrusage.
process_stats read_process_stats(double uptime_seconds);

std::string render_prometheus(const sync_metrics& metrics, const gateway::server_counters& server,
                              const std::vector<actor_kind_summary>& actors, const process_stats& process);

}  // namespace moai::actors
