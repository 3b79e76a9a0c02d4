// The HTTP routes of a running server, as one table: /health, /metrics, /debug/actors,
// the agent API, the LLM proxy and the admin page's data (gateway actors), the admin
// page's files, CORS preflight; everything else 404.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "actors/http_gateway.hpp"
#include "actors/observability/inspection.hpp"
#include "actors/observability/metrics.hpp"
#include "gateway/server/router.hpp"
#include "gateway/server/server_counters.hpp"

namespace moai::actors {

struct route_targets {
  const std::atomic<bool>* ready = nullptr;  // storage open and actors up, not shutting down
  std::chrono::steady_clock::time_point started;
  std::string storage_kind;
  sync_metrics* metrics = nullptr;
  std::function<const gateway::server_counters&()> server_counters;
  inspector_actor inspector;
  http_gateway_actor agent;
  http_gateway_actor llm;
  std::optional<http_gateway_actor> admin;  // set when admin.token is: the admin page is on
  bool debug_endpoints = false;
};

gateway::router make_routes(const route_targets& targets);

// The body of GET /health.
// `database_link`: sync_metrics::database_link (-1: not a shared database, not shown).
std::string health_body(bool ready, bool storage_ok, double uptime_seconds, const std::string& storage_kind,
                        int database_link);

}  // namespace moai::actors
