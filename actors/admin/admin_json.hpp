// The admin page's data as JSON: a snapshot of the same counters /metrics exposes (the
// page turns successive snapshots into rates), and a CoValue as its actor sees it.
#pragma once

#include <string>
#include <vector>

#include "actors/observability/inspection.hpp"
#include "actors/observability/metrics.hpp"
#include "actors/observability/prometheus.hpp"
#include "actors/sync/messages.hpp"
#include "gateway/server/server_counters.hpp"

namespace moai::actors {

// GET /admin/api/stats.
std::string render_admin_stats(const sync_metrics& metrics, const gateway::server_counters& server,
                               const std::vector<actor_kind_summary>& kinds, const std::vector<actor_mailbox>& busiest,
                               const process_stats& process, double now_ms);

// GET /admin/api/covalues/{id}: header (and what it says), sessions with their author,
// transaction count, size, private (ciphertext-only) count and last signature, whether
// the CoValue is private, and the connections that said they hold it.
std::string render_inspection(const inspect_reply& reply);

}  // namespace moai::actors
