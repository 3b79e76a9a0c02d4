#include "actors/admin/admin_gateway.hpp"

#include <caf/all.hpp>

#include "actors/admin/admin_json.hpp"
#include "base/json_text.hpp"
#include "gateway/server/bearer_token.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::actors {
namespace {

constexpr std::size_t kBusiest = 8;  // actors listed by mailbox depth
const std::string kCovalues = "/admin/api/covalues/";

gateway::http_response error(unsigned status, const std::string& message) {
  std::string body = "{\"error\":";
  base::append_json_string(body, message);
  body += '}';
  auto r = gateway::json_response(status, std::move(body));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

void stats(const admin_targets& t, const gateway::responder& respond) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - t.started).count();
  respond(gateway::json_response(
      200, render_admin_stats(*t.metrics, t.server_counters(), t.metrics->actors.summary(), t.metrics->actors.busiest(kBusiest),
                              read_process_stats(uptime), std::chrono::duration<double, std::milli>(now).count())));
}

caf::behavior admin_actor(caf::event_based_actor* self, admin_targets t) {
  return {
      [=](http_call& call) {
        auto& req = call.request;
        auto respond = std::move(call.respond);
        if (req.method != "GET") return respond(error(405, "method not allowed"));
        if (!gateway::bearer_matches(req.header("authorization"), t.token)) {
          return respond(error(401, "unauthorized: send Authorization: Bearer <admin token>"));
        }
        if (req.path == "/admin/api/stats") return stats(t, respond);
        if (req.path.compare(0, kCovalues.size(), kCovalues) == 0) {
          std::string id = req.path.substr(kCovalues.size());
          if (!protocol::is_covalue_id(id)) return respond(error(400, "not a CoValue ID: " + id));
          self->request(t.manager, t.lookup_timeout, inspect_query{id, false})
              .then(
                  [respond](inspect_reply& reply) {
                    respond(gateway::json_response(reply.found ? 200 : 404, render_inspection(reply)));
                  },
                  [respond, self](caf::error& err) {
                    respond(error(504, "the lookup did not answer: " + self->system().render(err)));
                  });
          return;
        }
        respond(error(404, "not found"));
      },
  };
}

}  // namespace

http_gateway_actor spawn_admin_gateway(caf::actor_system& system, admin_targets targets) {
  return caf::actor_cast<http_gateway_actor>(system.spawn<caf::hidden>(admin_actor, std::move(targets)));
}

}  // namespace moai::actors
