#include "actors/server/routes.hpp"

#include <memory>
#include <utility>

#include "actors/admin/admin_page.hpp"
#include "actors/observability/prometheus.hpp"
#include "gateway/server/static_files.hpp"

#ifndef MOAI_VERSION
#define MOAI_VERSION "0.0.0"
#endif

namespace moai::actors {

using gateway::http_request;
using gateway::http_response;
using gateway::responder;

namespace {

double uptime(const route_targets& t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t.started).count();
}

gateway::http_handler to_gateway(http_gateway_actor actor) {
  return [actor](http_request&& request, responder respond) {
    caf::anon_send(actor, http_call{std::move(request), std::move(respond)});
  };
}

}  // namespace

std::string health_body(bool ready, bool storage_ok, double uptime_seconds, const std::string& storage_kind,
                        int database_link) {
  std::string body = "{\"status\":\"ok\",\"service\":\"sync\",\"ready\":";
  body += ready ? "true" : "false";
  body += ",\"storage_ok\":";
  body += storage_ok ? "true" : "false";
  body += ",\"version\":\"" MOAI_VERSION "\",\"uptime_s\":";
  body += std::to_string(static_cast<long long>(uptime_seconds));
  body += ",\"storage\":\"";
  body += storage_kind;
  body += '"';
  // A shared database (PostgreSQL): whether this node hears the others (its change
  // feed's connection). "down" keeps the node serving, but its clients may miss other
  // nodes' edits until the link is back.
  if (database_link >= 0) {
    body += ",\"database\":\"";
    body += database_link ? "up" : "down";
    body += '"';
  }
  body += '}';
  return body;
}

gateway::router make_routes(const route_targets& t) {
  gateway::router routes;
  // Every answer carries CORS "*": browsers call these routes from any origin.
  routes.answers([](http_response r) {
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return r;
  });
  routes.prefix("OPTIONS", "/", [](http_request&&, responder respond) {
    http_response r;
    r.status = 204;
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, Authorization"}};
    respond(std::move(r));
  });
  routes.exact("", "/api/v0/llm/chat", to_gateway(t.llm));
  // The agent API (../shared/agent-api.md); the gateway answers 405 for other methods.
  const auto agent = to_gateway(t.agent);
  for (const char* path : {"/on-added", "/register-human", "/trigger", "/profile", "/covalues"}) {
    routes.exact("", path, agent);
  }
  routes.prefix("", "/covalues/", agent);
  // Any method, as the original answers it.
  routes.exact("", "/health", [t](http_request&&, responder respond) {
    // Not ready while storage writes or reads fail (disk full, database gone, a failing
    // disk): a load balancer then sends new clients elsewhere until they succeed again.
    const bool storage_ok = t.metrics->storage_ok();
    const bool ready = t.ready->load() && storage_ok;
    respond(gateway::json_response(
        ready ? 200 : 503,
        health_body(ready, storage_ok, uptime(t), t.storage_kind, t.metrics->database_link.load())));
  });
  routes.exact("GET", "/metrics", [t](http_request&&, responder respond) {
    caf::anon_send(t.inspector, actors_report_request{[t, respond](std::vector<actor_kind_summary> kinds) {
                     http_response r;
                     r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                     r.body = render_prometheus(*t.metrics, t.server_counters(), kinds,
                                                read_process_stats(uptime(t)));
                     respond(std::move(r));
                   }});
  });
  if (t.admin) {
    // The page asks for the token and sends it with every request for data; its files
    // hold none.
    routes.prefix("", "/admin/api/", to_gateway(*t.admin));
    auto page = gateway::static_files(admin_page_files(), "/admin/index.html");
    routes.exact("", "/admin", page);
    routes.prefix("", "/admin/", page);
  }
  if (t.debug_endpoints) {
    routes.exact("GET", "/debug/actors", [t](http_request&&, responder respond) {
      caf::anon_send(t.inspector, actors_report_request{[respond](std::vector<actor_kind_summary> kinds) {
                       respond(gateway::json_response(200, render_actor_summary_json(kinds)));
                     }});
    });
  }
  return routes;
}

}  // namespace moai::actors
