#include "actors/agent/agent_gateway.hpp"

#include <caf/all.hpp>
#include <utility>

#include "actors/agent/agent_access.hpp"
#include "actors/agent/agent_gateway_state.hpp"
#include "actors/agent/agent_requests.hpp"
#include "base/json_text.hpp"
#include "config/log.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::actors::agent_api {

void call::answer(unsigned status, std::string body) {
  if (answered) return;
  answered = true;
  respond(gateway::json_response(status, std::move(body)));
}

// ---- JSON text -------------------------------------------------------------------

std::string json_quoted(std::string_view text) {
  std::string out;
  base::append_json_string(out, text);
  return out;
}

std::string failure(std::string_view message) {
  return "{\"ok\":false,\"error\":" + json_quoted(message) + "}";
}

std::optional<std::string> json_string_value(const std::string& json_text) {
  protocol::json_document doc;
  std::string error;
  if (!protocol::parse_json(json_text, doc, error) || !doc.IsString()) return std::nullopt;
  return std::string(protocol::view_of(doc));
}

std::optional<std::string> id_at(const covalue_snapshot& map, const std::string& key) {
  auto it = map.entries.find(key);
  if (it == map.entries.end()) return std::nullopt;
  auto id = json_string_value(it->second);
  if (!id || !protocol::is_covalue_id(*id)) return std::nullopt;
  return id;
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string compact(const protocol::json_value& v) {
  std::string out;
  protocol::append_stable_json(out, v);
  return out;
}

// ---- the node, with continuations ---------------------------------------------------

namespace {

caf::duration node_timeout(self_ptr self) {
  // The node answers 504 itself after the load or ack timeout; this only guards a lost reply.
  return caf::duration{std::chrono::milliseconds(self->state.cfg.agent_load_timeout_ms + 5000)};
}

node_error lost(self_ptr self, const caf::error& err) {
  return {504, "timed out waiting for the agent node: " + self->system().render(err)};
}

template <class Request>
void write_any(self_ptr self, Request req, std::function<void(const std::string&)> next, on_failure failed) {
  self->request(self->state.node, node_timeout(self), std::move(req))
      .then([=](write_result& r) { r.error.ok() ? next(r.id) : failed(r.error); },
            [=](caf::error& err) { failed(lost(self, err)); });
}

}  // namespace

void read(self_ptr self, const std::string& id, std::function<void(const covalue_snapshot&)> next, on_failure failed) {
  self->request(self->state.node, node_timeout(self), read_request{id})
      .then([=](read_result& r) { r.error.ok() ? next(r.value) : failed(r.error); },
            [=](caf::error& err) { failed(lost(self, err)); });
}

void write(self_ptr self, update_map_request req, std::function<void(const std::string&)> next, on_failure failed) {
  write_any(self, std::move(req), std::move(next), std::move(failed));
}
void write(self_ptr self, append_list_request req, std::function<void(const std::string&)> next, on_failure failed) {
  write_any(self, std::move(req), std::move(next), std::move(failed));
}
void write(self_ptr self, create_request req, std::function<void(const std::string&)> next, on_failure failed) {
  write_any(self, std::move(req), std::move(next), std::move(failed));
}

void follow(self_ptr self, const std::string& id, std::vector<std::string> keys,
            std::function<void(const covalue_snapshot&)> next, on_failure failed) {
  read(
      self, id,
      [=](const covalue_snapshot& value) {
        if (keys.empty()) return next(value);
        auto target = id_at(value, keys.front());
        if (!target) return failed(node_error{404, "Path " + keys.front() + " not found"});
        follow(self, *target, std::vector<std::string>(keys.begin() + 1, keys.end()), next, failed);
      },
      failed);
}

namespace {

on_failure answer_failure(call_ptr c) {
  return [c](const node_error& e) { c->answer(e.status == 200 ? 500 : static_cast<unsigned>(e.status), failure(e.message)); };
}

// ---- moai's generic CoValue routes (not the original's) ----------------------------

std::string snapshot_json(const covalue_snapshot& v) {
  std::string out = "{\"id\":" + json_quoted(v.id) + ",\"type\":" + json_quoted(v.type);
  if (!v.meta_type.empty()) out += ",\"metaType\":" + json_quoted(v.meta_type);
  if (!v.owner_group.empty()) out += ",\"group\":" + json_quoted(v.owner_group);
  out += ",\"content\":" + v.content_json;
  if (v.undecryptable) out += ",\"undecryptable\":" + std::to_string(v.undecryptable);
  return out + "}";
}

void create_covalue(self_ptr self, call_ptr c) {
  auto read_body = read_create_covalue(c->request.body);
  if (auto* a = std::get_if<early_answer>(&read_body)) return c->answer(a->status, a->body);
  write(
      self, std::move(std::get<create_request>(read_body)),
      [=](const std::string& id) {
        read(self, id, [=](const covalue_snapshot& v) { c->answer(201, snapshot_json(v)); }, answer_failure(c));
      },
      answer_failure(c));
}

void patch_covalue(self_ptr self, call_ptr c, const std::string& id) {
  auto read_body = read_patch_covalue(id, c->request.body);
  if (auto* a = std::get_if<early_answer>(&read_body)) return c->answer(a->status, a->body);
  auto show = [=](const std::string&) {
    read(self, id, [=](const covalue_snapshot& v) { c->answer(200, snapshot_json(v)); }, answer_failure(c));
  };
  std::visit([&](auto&& req) { write(self, std::move(req), show, answer_failure(c)); },
             std::get<covalue_patch>(std::move(read_body)));
}

// ---- start-up and dispatch ----------------------------------------------------------

// The account is loaded, or created from PEER_SECRET when no peer has it; then the
// routes act as it, and MaiaOS's migration runs. Retried until it succeeds.
void bootstrap(self_ptr self) {
  self->request(self->state.node, node_timeout(self), bootstrap_request{"Maia Sync Server"})
      .then(
          [=](bootstrap_result& r) {
            if (!r.error.ok()) {
              log::error(actor_origin(self), "the server account could not be loaded or created; retrying",
                         {{"account", self->state.cfg.peer_id}, {"error", r.error.message}});
              self->delayed_send(self, std::chrono::seconds(5), bootstrap_atom::value);
              return;
            }
            self->state.ready = true;
            log::info(actor_origin(self), r.created ? "server account created" : "server account loaded",
                      {{"account", self->state.cfg.peer_id}});
            migrate_account(self);
          },
          [=](caf::error& err) {
            log::error(actor_origin(self), "the agent node did not answer the bootstrap; retrying",
                       {{"error", self->system().render(err)}});
            self->delayed_send(self, std::chrono::seconds(5), bootstrap_atom::value);
          });
}

void dispatch(self_ptr self, call_ptr c) {
  const auto& req = c->request;
  const std::string& path = req.path;
  const auto refusal = check_agent_access({self->state.cfg.agent_api_token, self->state.cfg.peer_id}, req);
  if (refusal.status != 0) {
    if (std::uint64_t suppressed = 0; log::sample("agent request refused", std::chrono::seconds(5), suppressed)) {
      log::info(actor_origin(self), "agent request refused",
                {{"path", path}, {"status", refusal.status}, {"remote", req.remote_address},
                 {"refusals_not_logged", suppressed}});
    }
    return c->answer(refusal.status, failure(refusal.error));
  }
  // The original answers its routes this way until its account is ready.
  if (!self->state.ready) return c->answer(503, "{\"error\":\"Initializing\",\"status\":503}");
  auto method_not_allowed = [&] { c->answer(405, failure(req.method + " is not allowed on " + path)); };
  if (path == "/on-added") return req.method == "POST" ? on_added(self, c) : method_not_allowed();
  if (path == "/register-human") return req.method == "POST" ? register_human(self, c) : method_not_allowed();
  if (path == "/trigger") return req.method == "POST" ? trigger(self, c) : method_not_allowed();
  if (path == "/profile") return req.method == "GET" ? profile(self, c) : method_not_allowed();
  if (path == "/covalues") return req.method == "POST" ? create_covalue(self, c) : method_not_allowed();
  const std::string id = path.substr(std::string("/covalues/").size());
  if (!protocol::is_covalue_id(id)) return c->answer(400, failure("not a CoValue ID: " + id));
  if (req.method == "GET") {
    return read(self, id, [=](const covalue_snapshot& v) { c->answer(200, snapshot_json(v)); }, answer_failure(c));
  }
  if (req.method == "PATCH") return patch_covalue(self, c, id);
  method_not_allowed();
}

gateway_impl::behavior_type gateway_behavior(self_ptr self, config cfg, agent_node_actor node, sync_metrics* metrics) {
  self->state.cfg = std::move(cfg);
  self->state.node = std::move(node);
  self->state.probe = metrics->actors.enroll(gateway_state::name, self->id());
  bootstrap(self);
  return {
      probed(self,
             [=](http_call& m) {
               auto c = std::make_shared<call>();
               c->request = std::move(m.request);
               c->respond = std::move(m.respond);
               self->delayed_send(self, std::chrono::milliseconds(self->state.cfg.agent_request_timeout_ms),
                                  call_expired{c});
               dispatch(self, c);
             }),
      probed(self,
             [=](call_expired& m) {
               if (m.c->answered) return;
               log::warn(actor_origin(self), "agent request timed out", {{"path", m.c->request.path}});
               m.c->answer(504, failure(m.c->request.path + " timed out after " +
                                        std::to_string(self->state.cfg.agent_request_timeout_ms) + "ms"));
             }),
      probed(self, [=](bootstrap_atom) { bootstrap(self); }),
  };
}

// Without credentials: 503 that names what to set (agent-api.md's "Initializing").
http_gateway_actor::behavior_type unconfigured_gateway(std::string missing) {
  return {
      [missing](http_call& m) {
        m.respond(gateway::json_response(
            503, "{\"error\":\"Initializing\",\"status\":503,\"message\":" +
                     json_quoted("the server account is not configured: set " + missing + " (see moai agent generate)") +
                     "}"));
      },
  };
}

}  // namespace
}  // namespace moai::actors::agent_api

namespace moai::actors {

http_gateway_actor spawn_agent_gateway(caf::actor_system& system, const config& cfg,
                                       std::optional<agent_node_actor> node, sync_metrics* metrics) {
  if (!node) {
    std::string missing;
    if (cfg.peer_id.empty()) missing = "PEER_ID";
    if (cfg.peer_secret.empty()) missing += missing.empty() ? "PEER_SECRET" : " and PEER_SECRET";
    return system.spawn(agent_api::unconfigured_gateway, missing.empty() ? "PEER_ID and PEER_SECRET" : missing);
  }
  return caf::actor_cast<http_gateway_actor>(system.spawn(agent_api::gateway_behavior, cfg, *node, metrics));
}

}  // namespace moai::actors
