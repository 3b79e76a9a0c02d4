#include "actors/agent/agent_gateway.hpp"

#include <caf/all.hpp>

#include "actors/observability/inspection.hpp"
#include "base/json_text.hpp"
#include "config/log.hpp"
#include "gateway/server/bearer_token.hpp"
#include "protocol/encoding/ids.hpp"
#include "protocol/json/json.hpp"

namespace moai::actors {
namespace {

// One HTTP request in flight; answered exactly once (by its flow or its deadline).
struct call {
  gateway::http_request request;
  gateway::responder respond;
  bool answered = false;

  void answer(unsigned status, std::string body) {
    if (answered) return;
    answered = true;
    respond(gateway::json_response(status, std::move(body)));
  }
};
using call_ptr = std::shared_ptr<call>;

// A request reached its deadline (agent.request_timeout_ms).
struct call_expired {
  call_ptr c;
};

}  // namespace
}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::call_expired)

namespace moai::actors {
namespace {

std::string json_quoted(std::string_view text) {
  std::string out;
  base::append_json_string(out, text);
  return out;
}

// {"ok":false,"error":…}
std::string failure(std::string_view message) {
  return "{\"ok\":false,\"error\":" + json_quoted(message) + "}";
}

// The string inside a JSON value's text; nullopt when it is not a JSON string.
std::optional<std::string> json_string_value(const std::string& json_text) {
  protocol::json_document doc;
  std::string error;
  if (!protocol::parse_json(json_text, doc, error) || !doc.IsString()) return std::nullopt;
  return std::string(protocol::view_of(doc));
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

using gateway_impl = http_gateway_actor::extend<caf::reacts_to<call_expired>>;

struct gateway_state {
  config cfg;
  agent_node_actor node;
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "agent_gateway";
};

using self_ptr = gateway_impl::stateful_pointer<gateway_state>;

caf::duration node_timeout(self_ptr self) {
  // The node answers 504 itself after the load or ack timeout; this only guards a lost reply.
  return caf::duration{std::chrono::milliseconds(self->state.cfg.agent_load_timeout_ms + 5000)};
}

void fail(const call_ptr& c, const node_error& e) {
  c->answer(e.status == 200 ? 500 : static_cast<unsigned>(e.status), failure(e.message));
}

// Reads `id` and continues with its snapshot, or answers the call with the error.
template <class Next>
void read(self_ptr self, call_ptr c, const std::string& id, Next next) {
  self->request(self->state.node, node_timeout(self), read_request{id})
      .then([=](read_result& r) { r.error.ok() ? next(r.value) : fail(c, r.error); },
            [=](caf::error& err) {
              fail(c, {504, "timed out waiting for the agent node: " + self->system().render(err)});
            });
}

template <class Request, class Next>
void write(self_ptr self, call_ptr c, Request req, Next next) {
  self->request(self->state.node, node_timeout(self), std::move(req))
      .then([=](write_result& r) { r.error.ok() ? next(r.id) : fail(c, r.error); },
            [=](caf::error& err) {
              fail(c, {504, "timed out waiting for the agent node: " + self->system().render(err)});
            });
}

// Follows CoMap keys from `id` (each value a CoValue ID) and continues with the last one.
template <class Next>
void follow(self_ptr self, call_ptr c, const std::string& id, std::vector<std::string> keys, Next next) {
  read(self, c, id, [=](const covalue_snapshot& value) {
    if (keys.empty()) return next(value);
    auto it = value.entries.find(keys.front());
    std::optional<std::string> target = it == value.entries.end() ? std::nullopt : json_string_value(it->second);
    if (!target || !protocol::is_covalue_id(*target)) {
      return c->answer(500, failure("\"" + keys.front() + "\" not found in " + id));
    }
    follow(self, c, *target, std::vector<std::string>(keys.begin() + 1, keys.end()), next);
  });
}

// The account's sparks CoMap, created (and linked from the account) when missing.
template <class Next>
void with_sparks(self_ptr self, call_ptr c, Next next) {
  const std::string account = self->state.cfg.peer_id;
  read(self, c, account, [=](const covalue_snapshot& acc) {
    auto it = acc.entries.find("sparks");
    if (it != acc.entries.end()) {
      if (auto id = json_string_value(it->second)) return next(*id);
    }
    create_request create;
    create.type = "comap";
    write(self, c, std::move(create), [=](const std::string& sparks) {
      write(self, c, update_map_request{account, {{"sparks", json_quoted(sparks)}}},
            [=](const std::string&) { next(sparks); });
    });
  });
}

// ---- routes ----------------------------------------------------------------

void on_added(self_ptr self, call_ptr c, const protocol::json_document& body) {
  std::string_view spark;
  if (!body.IsObject() || !protocol::get_string(body, "sparkId", spark) || !protocol::is_covalue_id(spark)) {
    return c->answer(400, failure("sparkId required (co_z...)"));
  }
  const std::string spark_id(spark);
  with_sparks(self, c, [=](const std::string& sparks) {
    write(self, c, update_map_request{sparks, {{"@maia", json_quoted(spark_id)}}}, [=](const std::string&) {
      c->answer(200, "{\"ok\":true,\"added\":\"@maia\",\"sparkId\":" + json_quoted(spark_id) + "}");
    });
  });
}

void register_human(self_ptr self, call_ptr c, const protocol::json_document& body) {
  std::string_view username_in, account_in;
  const bool has_username = body.IsObject() && protocol::get_string(body, "username", username_in);
  const std::string username = has_username ? trim(username_in) : std::string();
  if (username.empty()) {
    return c->answer(400,
                     "{\"ok\":false,\"error\":\"username required\",\"validationErrors\":"
                     "[{\"field\":\"username\",\"message\":\"required\"}]}");
  }
  if (!body.IsObject() || !protocol::get_string(body, "accountId", account_in) || trim(account_in).empty()) {
    return c->answer(400,
                     "{\"ok\":false,\"error\":\"accountId required\",\"validationErrors\":"
                     "[{\"field\":\"accountId\",\"message\":\"required\"}]}");
  }
  const std::string account_id = trim(account_in);
  if (!protocol::is_covalue_id(account_id)) {
    return c->answer(400,
                     "{\"ok\":false,\"error\":\"accountId must be an account ID (co_z...)\",\"validationErrors\":"
                     "[{\"field\":\"accountId\",\"message\":\"must start with co_z\"}]}");
  }
  const std::string ok =
      "{\"ok\":true,\"username\":" + json_quoted(username) + ",\"accountId\":" + json_quoted(account_id) + "}";
  with_sparks(self, c, [=](const std::string& sparks) {
    follow(self, c, sparks, {"@maia", "registries", "humans"}, [=](const covalue_snapshot& humans) {
      auto it = humans.entries.find(username);
      if (it != humans.entries.end()) {
        auto current = json_string_value(it->second);
        if (current && *current == account_id) return c->answer(200, ok);
        return c->answer(409, failure("username already registered to different account"));
      }
      write(self, c, update_map_request{humans.id, {{username, json_quoted(account_id)}}},
            [=](const std::string&) { c->answer(200, ok); });
    });
  });
}

void trigger(self_ptr self, call_ptr c, const protocol::json_document& body) {
  std::string text = "Test todo from agent";
  std::string spark_name = "@maia";
  std::string_view v;
  if (body.IsObject() && protocol::get_string(body, "text", v) && !trim(v).empty()) text = std::string(v);
  if (body.IsObject() && protocol::get_string(body, "spark", v) && !trim(v).empty()) spark_name = trim(v);
  with_sparks(self, c, [=](const std::string& sparks) {
    follow(self, c, sparks, {spark_name}, [=](const covalue_snapshot& spark) {
      if (spark.owner_group.empty()) return c->answer(500, failure("spark " + spark_name + " is not owned by a group"));
      create_request todo;
      todo.type = "comap";
      todo.owner_group = spark.owner_group;
      todo.map_init = {{"text", json_quoted(text)}, {"done", std::string("false")}};
      write(self, c, std::move(todo), [=](const std::string& todo_id) {
        const std::string ok = "{\"ok\":true,\"created\":" + json_quoted(todo_id) +
                               ",\"spark\":" + json_quoted(spark_name) + ",\"text\":" + json_quoted(text) + "}";
        auto list = spark.entries.find("todos");
        auto list_id = list == spark.entries.end() ? std::nullopt : json_string_value(list->second);
        if (list_id && protocol::is_covalue_id(*list_id)) {
          return write(self, c, append_list_request{*list_id, {json_quoted(todo_id)}},
                       [=](const std::string&) { c->answer(200, ok); });
        }
        create_request todos;
        todos.type = "colist";
        todos.owner_group = spark.owner_group;
        todos.list_init = {json_quoted(todo_id)};
        write(self, c, std::move(todos), [=](const std::string& new_list) {
          write(self, c, update_map_request{spark.id, {{"todos", json_quoted(new_list)}}},
                [=](const std::string&) { c->answer(200, ok); });
        });
      });
    });
  });
}

void profile(self_ptr self, call_ptr c) {
  const std::string account = self->state.cfg.peer_id;
  read(self, c, account, [=](const covalue_snapshot& acc) {
    auto id_of = [&](const char* key) -> std::optional<std::string> {
      auto it = acc.entries.find(key);
      return it == acc.entries.end() ? std::nullopt : json_string_value(it->second);
    };
    const auto profile_id = id_of("profile");
    const auto sparks_id = id_of("sparks");
    auto body = std::make_shared<std::string>("{\"accountId\":" + json_quoted(account) +
                                              ",\"profileId\":" + (profile_id ? json_quoted(*profile_id) : "null") +
                                              ",\"sparksId\":" + (sparks_id ? json_quoted(*sparks_id) : "null"));
    auto finish = [=](const std::string& sparks_json) {
      *body += ",\"sparks\":" + sparks_json;
      if (!profile_id) return c->answer(200, *body + ",\"profileName\":\"(not loaded)\"}");
      self->request(self->state.node, node_timeout(self), read_request{*profile_id})
          .then(
              [=](read_result& r) {
                std::string name = "\"(not loaded)\"";
                if (r.error.ok()) {
                  auto it = r.value.entries.find("name");
                  if (it != r.value.entries.end()) name = it->second;
                }
                c->answer(200, *body + ",\"profileName\":" + name + "}");
              },
              [=](caf::error&) { c->answer(200, *body + ",\"profileName\":\"(not loaded)\"}"); });
    };
    if (!sparks_id) return finish("null");
    self->request(self->state.node, node_timeout(self), read_request{*sparks_id})
        .then(
            [=](read_result& r) {
              if (!r.error.ok()) return finish("{\"_error\":" + json_quoted(r.error.message) + "}");
              finish(r.value.content_json);
            },
            [=](caf::error& err) { finish("{\"_error\":" + json_quoted(self->system().render(err)) + "}"); });
  });
}

// ---- generic CoValue routes ---------------------------------------------------

std::string snapshot_json(const covalue_snapshot& v) {
  std::string out = "{\"id\":" + json_quoted(v.id) + ",\"type\":" + json_quoted(v.type);
  if (!v.meta_type.empty()) out += ",\"metaType\":" + json_quoted(v.meta_type);
  if (!v.owner_group.empty()) out += ",\"group\":" + json_quoted(v.owner_group);
  out += ",\"content\":" + v.content_json;
  if (v.undecryptable) out += ",\"undecryptable\":" + std::to_string(v.undecryptable);
  return out + "}";
}

void create_covalue(self_ptr self, call_ptr c, const protocol::json_document& body) {
  std::string_view type, group;
  if (!body.IsObject() || !protocol::get_string(body, "type", type) || (type != "comap" && type != "colist")) {
    return c->answer(400, failure("type must be \"comap\" or \"colist\""));
  }
  create_request req;
  req.type = std::string(type);
  if (protocol::find_member(body, "group")) {
    if (!protocol::get_string(body, "group", group) || !protocol::is_covalue_id(group)) {
      return c->answer(400, failure("group must be a group ID (co_z...)"));
    }
    req.owner_group = std::string(group);
  }
  if (const auto* pub = protocol::find_member(body, "public")) req.public_read = pub->IsBool() && pub->GetBool();
  if (const auto* meta = protocol::find_member(body, "meta")) {
    if (!meta->IsObject() && !meta->IsNull()) return c->answer(400, failure("meta must be an object"));
    req.meta_json = compact(*meta);
  }
  if (const auto* content = protocol::find_member(body, "content")) {
    if (req.type == "comap") {
      if (!content->IsObject()) return c->answer(400, failure("content of a comap must be an object"));
      for (auto m = content->MemberBegin(); m != content->MemberEnd(); ++m) {
        req.map_init.push_back({std::string(protocol::view_of(m->name)), compact(m->value)});
      }
    } else {
      if (!content->IsArray()) return c->answer(400, failure("content of a colist must be an array"));
      for (const auto& item : content->GetArray()) req.list_init.push_back(compact(item));
    }
  }
  write(self, c, std::move(req), [=](const std::string& id) {
    read(self, c, id, [=](const covalue_snapshot& v) { c->answer(201, snapshot_json(v)); });
  });
}

void patch_covalue(self_ptr self, call_ptr c, const std::string& id, const protocol::json_document& body) {
  if (!body.IsObject()) return c->answer(400, failure("body must be an object"));
  const auto* set = protocol::find_member(body, "set");
  const auto* del = protocol::find_member(body, "delete");
  const auto* append = protocol::find_member(body, "append");
  if (append) {
    if (set || del) return c->answer(400, failure("append cannot be combined with set or delete"));
    if (!append->IsArray() || append->Empty()) return c->answer(400, failure("append must be a non-empty array"));
    append_list_request req{id, {}};
    for (const auto& item : append->GetArray()) req.items_json.push_back(compact(item));
    return write(self, c, std::move(req), [=](const std::string&) {
      read(self, c, id, [=](const covalue_snapshot& v) { c->answer(200, snapshot_json(v)); });
    });
  }
  update_map_request req{id, {}};
  if (set) {
    if (!set->IsObject()) return c->answer(400, failure("set must be an object"));
    for (auto m = set->MemberBegin(); m != set->MemberEnd(); ++m) {
      req.edits.push_back({std::string(protocol::view_of(m->name)), compact(m->value)});
    }
  }
  if (del) {
    if (!del->IsArray()) return c->answer(400, failure("delete must be an array of keys"));
    for (const auto& key : del->GetArray()) {
      if (!key.IsString()) return c->answer(400, failure("delete must be an array of keys"));
      req.edits.push_back({std::string(protocol::view_of(key)), std::nullopt});
    }
  }
  if (req.edits.empty()) return c->answer(400, failure("nothing to change: give set, delete or append"));
  write(self, c, std::move(req), [=](const std::string&) {
    read(self, c, id, [=](const covalue_snapshot& v) { c->answer(200, snapshot_json(v)); });
  });
}

// ---- dispatch -----------------------------------------------------------------

bool authorized(const config& cfg, const gateway::http_request& req) {
  if (cfg.agent_api_token.empty()) return true;
  return gateway::bearer_matches(req.header("authorization"), cfg.agent_api_token);
}

void dispatch(self_ptr self, call_ptr c) {
  const auto& req = c->request;
  const std::string& path = req.path;
  if (!authorized(self->state.cfg, req))
    return c->answer(401, failure("unauthorized: send Authorization: Bearer <AGENT_API_TOKEN>"));
  protocol::json_document body;
  body.SetNull();
  if (!trim(req.body).empty()) {
    std::string error;
    if (!protocol::parse_json(req.body, body, error)) return c->answer(400, failure("invalid JSON body: " + error));
  }
  auto method_not_allowed = [&] { c->answer(405, failure(req.method + " is not allowed on " + path)); };
  if (path == "/on-added") return req.method == "POST" ? on_added(self, c, body) : method_not_allowed();
  if (path == "/register-human") return req.method == "POST" ? register_human(self, c, body) : method_not_allowed();
  if (path == "/trigger") return req.method == "POST" ? trigger(self, c, body) : method_not_allowed();
  if (path == "/profile") return req.method == "GET" ? profile(self, c) : method_not_allowed();
  if (path == "/covalues") return req.method == "POST" ? create_covalue(self, c, body) : method_not_allowed();
  const std::string id = path.substr(std::string("/covalues/").size());
  if (!protocol::is_covalue_id(id)) return c->answer(400, failure("not a CoValue ID: " + id));
  if (req.method == "GET") {
    return read(self, c, id, [=](const covalue_snapshot& v) { c->answer(200, snapshot_json(v)); });
  }
  if (req.method == "PATCH") return patch_covalue(self, c, id, body);
  method_not_allowed();
}

gateway_impl::behavior_type gateway_behavior(self_ptr self, config cfg, agent_node_actor node, sync_metrics* metrics) {
  self->state.cfg = std::move(cfg);
  self->state.node = std::move(node);
  self->state.probe = metrics->actors.enroll(gateway_state::name, self->id());
  return {
      probed(self, [=](http_call& m) {
        auto c = std::make_shared<call>();
        c->request = std::move(m.request);
        c->respond = std::move(m.respond);
        self->delayed_send(self, std::chrono::milliseconds(self->state.cfg.agent_request_timeout_ms),
                           call_expired{c});
        dispatch(self, c);
      }),
      probed(self, [=](call_expired& m) {
        if (!m.c->answered) {
          log::warn(actor_origin(self), "agent request timed out", {{"path", m.c->request.path}});
          m.c->answer(504, failure("request timed out"));
        }
      }),
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

http_gateway_actor spawn_agent_gateway(caf::actor_system& system, const config& cfg,
                                       std::optional<agent_node_actor> node, sync_metrics* metrics) {
  if (!node) {
    std::string missing;
    if (cfg.peer_id.empty()) missing = "PEER_ID";
    if (cfg.peer_secret.empty()) missing += missing.empty() ? "PEER_SECRET" : " and PEER_SECRET";
    return system.spawn(unconfigured_gateway, missing.empty() ? "PEER_ID and PEER_SECRET" : missing);
  }
  return caf::actor_cast<http_gateway_actor>(system.spawn(gateway_behavior, cfg, *node, metrics));
}

}  // namespace moai::actors
