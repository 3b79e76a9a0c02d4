// The JavaScript moai's agent routes (MaiaOS services/moai), with its effects and its
// answers: /on-added, /register-human, /trigger and /profile. They walk the account's
// MaiaOS structure — account.sparks → "@maia" spark → os → schematas, indexes,
// capabilities.guardian, and spark → registries → humans — and write as the account.
// Where moai differs on purpose (validation before anything is created, a request
// deadline on every route), the README's "Replacing the JavaScript moai" says so.

#include <memory>
#include <utility>

#include "actors/agent/agent_gateway_state.hpp"
#include "actors/agent/agent_requests.hpp"
#include "config/log.hpp"
#include "protocol/content/data_schema.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::actors::agent_api {
namespace {

const std::string kTodosSchema = "@maia/schema/data/todos";

// A node failure in the original's words, answered with `status` (the original answers
// 500 from most handlers and 400 from /trigger, whose errors pass through DBEngine).
on_failure answer_with(call_ptr c, unsigned status) {
  return [c, status](const node_error& e) {
    std::string message = e.message;
    if (e.status == 504 && !e.covalue.empty()) {
      message = "CoValue timeout loading (co-id: " + e.covalue + "). Make sure the CoValue was seeded correctly.";
    } else if (e.status == 404 && !e.covalue.empty()) {
      message = "CoValue error (co-id: " + e.covalue + "): unavailable";
    }
    c->answer(status, failure(message));
  };
}

// The account's sparks registry, or the original's complaint about its absence.
void with_sparks(self_ptr self, call_ptr c, unsigned status, std::function<void(const std::string&)> next) {
  read(
      self, self->state.cfg.peer_id,
      [=](const covalue_snapshot& account) {
        auto sparks = id_at(account, "sparks");
        if (!sparks) return c->answer(status, failure("account.sparks not found. Ensure bootstrap completed."));
        next(*sparks);
      },
      answer_with(c, status));
}

// A schema CoMap's content as the JSON schema it holds.
bool schema_of(const covalue_snapshot& schema, protocol::json_document& out) {
  std::string error;
  return protocol::parse_json(schema.content_json, out, error) && out.IsObject();
}

}  // namespace

void on_added(self_ptr self, call_ptr c) {
  auto read_body = read_on_added(c->request.body);
  if (auto* a = std::get_if<early_answer>(&read_body)) return c->answer(a->status, a->body);
  const std::string spark_id = std::get<std::string>(read_body);
  with_sparks(self, c, 500, [=](const std::string& sparks) {
    write(
        self, update_map_request{sparks, {{"@maia", json_quoted(spark_id)}}},
        [=](const std::string&) {
          c->answer(200, "{\"ok\":true,\"added\":\"@maia\",\"sparkId\":" + json_quoted(spark_id) + "}");
        },
        answer_with(c, 500));
  });
}

void register_human(self_ptr self, call_ptr c) {
  auto read_body = read_register_human(c->request.body);
  if (auto* a = std::get_if<early_answer>(&read_body)) return c->answer(a->status, a->body);
  const std::string username = std::get<register_human_input>(read_body).username;
  const std::string account_id = std::get<register_human_input>(read_body).account_id;
  const std::string ok =
      "{\"ok\":true,\"username\":" + json_quoted(username) + ",\"accountId\":" + json_quoted(account_id) + "}";
  auto failed = answer_with(c, 500);
  auto store = [=](const covalue_snapshot& humans) {
    write(self, update_map_request{humans.id, {{username, json_quoted(account_id)}}},
          [=](const std::string&) { c->answer(200, ok); }, failed);
  };
  with_sparks(self, c, 500, [=](const std::string& sparks) {
    follow(
        self, sparks, {"@maia", "registries", "humans"},
        [=](const covalue_snapshot& humans) {
          auto it = humans.entries.find(username);
          if (it != humans.entries.end()) {
            auto current = json_string_value(it->second);
            if (current && *current == account_id) return c->answer(200, ok);
            return c->answer(409, failure("username already registered to different account"));
          }
          // A registry with a schema of its own is checked against it, as the original's
          // update operation does (a "@metaSchema" registry is not).
          if (!protocol::is_covalue_id(humans.meta_schema)) return store(humans);
          read(
              self, humans.meta_schema,
              [=](const covalue_snapshot& schema) {
                protocol::json_document schema_json, data;
                std::string error;
                if (!schema_of(schema, schema_json) || !protocol::parse_json(humans.content_json, data, error)) {
                  return store(humans);
                }
                protocol::json_value key(username.c_str(), static_cast<rapidjson::SizeType>(username.size()),
                                         data.GetAllocator());
                protocol::json_value value(account_id.c_str(), static_cast<rapidjson::SizeType>(account_id.size()),
                                           data.GetAllocator());
                data.AddMember(key, value, data.GetAllocator());
                auto violations = protocol::check_against_schema(schema_json, data);
                if (violations.empty()) return store(humans);
                c->answer(500, failure("[Update] Validation failed: " +
                                       protocol::describe_violations(
                                           "update for " + humans.id + " for schema " + humans.meta_schema, violations)));
              },
              failed);
        },
        failed);
  });
}

namespace {

// What /trigger has found on its way: the schema, the guardians, the @maia spark's os.
struct todo_plan {
  std::string text_json;   // as given (or the default), echoed back
  std::string spark_json;  // as given (or "@maia"), echoed back
  std::string spark;
  std::string sparks;
  std::string schema_id;
  std::string schematas_id;
  std::string maia_os;
  std::string guardian;       // the spark's: owns the todo
  std::string maia_guardian;  // @maia's: owns the index
  std::shared_ptr<protocol::json_document> schema = std::make_shared<protocol::json_document>();
  std::shared_ptr<covalue_snapshot> schematas = std::make_shared<covalue_snapshot>();
};

// A CoValue created as MaiaOS's createCoValueForSpark makes it: in a new group that
// extends the guardian as admin and that the account then leaves.
create_request for_spark(std::string type, const std::string& guardian, const std::string& schema) {
  create_request req;
  req.type = std::move(type);
  req.meta_json = "{\"$schema\":" + json_quoted(schema) + "}";
  req.extends = {{guardian, "admin"}};
  req.leave_group = true;
  return req;
}

// The registry key of a schema's index schema: "@maia/schema/index/data/todos".
std::string index_schema_key(const protocol::json_document& schema) {
  std::string_view title;
  if (!protocol::get_string(schema, "title", title) || title.rfind("@maia/schema/", 0) != 0) return {};
  return "@maia/schema/index/" + std::string(title.substr(13));
}

// The schema named in os.schematas under `key`, else "@metaSchema" (as MaiaOS falls back).
std::string schema_or_meta(const covalue_snapshot& schematas, const std::string& key) {
  auto id = key.empty() ? std::nullopt : id_at(schematas, key);
  return id ? *id : std::string("@metaSchema");
}

// MaiaOS's schema index: os.indexes[<schema ID>] is a CoList of the instances' IDs,
// created (with os.indexes itself) when missing. Calls `done` with an error or "".
void index_todo(self_ptr self, std::shared_ptr<todo_plan> plan, std::string todo, std::function<void(std::string)> done) {
  auto failed = [done](const node_error& e) { done(e.message); };
  auto add_to = [=](const covalue_snapshot& indexes) {
    auto list = id_at(indexes, plan->schema_id);
    if (!list) {
      auto req = for_spark("colist", plan->maia_guardian, schema_or_meta(*plan->schematas, index_schema_key(*plan->schema)));
      req.list_init = {json_quoted(todo)};
      return write(
          self, std::move(req),
          [=](const std::string& new_list) {
            write(self, update_map_request{indexes.id, {{plan->schema_id, json_quoted(new_list)}}},
                  [=](const std::string&) { done(""); }, failed);
          },
          failed);
    }
    read(
        self, *list,
        [=](const covalue_snapshot& items) {
          for (const auto& item : items.items) {
            if (json_string_value(item) == todo) return done("");
          }
          write(self, append_list_request{*list, {json_quoted(todo)}}, [=](const std::string&) { done(""); }, failed);
        },
        failed);
  };
  read(
      self, plan->maia_os,
      [=](const covalue_snapshot& os) {
        if (auto indexes = id_at(os, "indexes")) return read(self, *indexes, add_to, failed);
        auto req = for_spark("comap", plan->maia_guardian,
                             schema_or_meta(*plan->schematas, "@maia/schema/os/indexes-registry"));
        write(
            self, std::move(req),
            [=](const std::string& created) {
              write(
                  self, update_map_request{os.id, {{"indexes", json_quoted(created)}}},
                  [=](const std::string&) { read(self, created, add_to, failed); }, failed);
            },
            failed);
      },
      failed);
}

void create_todo(self_ptr self, call_ptr c, std::shared_ptr<todo_plan> plan) {
  auto failed = answer_with(c, 400);
  // Checked before anything is created (the original creates the todo's group first).
  protocol::json_document data;
  std::string error;
  protocol::parse_json("{\"text\":" + plan->text_json + ",\"done\":false}", data, error);
  auto violations = protocol::check_against_schema(*plan->schema, data);
  if (!violations.empty()) {
    return c->answer(400, failure(protocol::describe_violations("createCoMap for schema " + plan->schema_id, violations)));
  }
  auto req = for_spark("comap", plan->guardian, plan->schema_id);
  req.map_init = {{"text", plan->text_json}, {"done", std::string("false")}};
  write(
      self, std::move(req),
      [=](const std::string& todo) {
        const std::string ok = "{\"ok\":true,\"created\":" + json_quoted(todo) + ",\"spark\":" + plan->spark_json +
                               ",\"text\":" + plan->text_json + "}";
        const auto* indexing = protocol::find_member(*plan->schema, "indexing");
        if (!indexing || !indexing->IsBool() || !indexing->GetBool()) return c->answer(200, ok);
        index_todo(self, plan, todo, [=](const std::string& problem) {
          if (!problem.empty()) {
            log::warn("agent", "the todo was created but not indexed", {{"todo", todo}, {"error", problem}});
          }
          c->answer(200, ok);
        });
      },
      failed);
}

}  // namespace

void trigger(self_ptr self, call_ptr c) {
  auto read_body = read_trigger(c->request.body);
  if (auto* a = std::get_if<early_answer>(&read_body)) return c->answer(a->status, a->body);
  const auto& input = std::get<trigger_input>(read_body);
  auto plan = std::make_shared<todo_plan>();
  plan->text_json = input.text_json;
  plan->spark_json = input.spark_json;
  plan->spark = input.spark;
  auto failed = answer_with(c, 400);
  const std::string unresolved = "[CreateOperation] Could not resolve schema: " + kTodosSchema;
  with_sparks(self, c, 400, [=](const std::string& sparks) {
    plan->sparks = sparks;
    // The schema comes from the @maia spark's registry, whichever spark gets the todo.
    follow(
        self, sparks, {"@maia", "os"},
        [=](const covalue_snapshot& os) {
          plan->maia_os = os.id;
          auto schematas = id_at(os, "schematas");
          auto capabilities = id_at(os, "capabilities");
          if (!schematas) return c->answer(400, failure(unresolved));
          read(
              self, *schematas,
              [=](const covalue_snapshot& registry) {
                *plan->schematas = registry;
                auto schema = id_at(registry, kTodosSchema);
                if (!schema) return c->answer(400, failure(unresolved));
                plan->schema_id = *schema;
                read(
                    self, *schema,
                    [=](const covalue_snapshot& schema_map) {
                      if (!schema_of(schema_map, *plan->schema)) return c->answer(400, failure(unresolved));
                      auto guardian_of = [=](const covalue_snapshot& caps) { return id_at(caps, "guardian"); };
                      const std::string no_guardian =
                          "[getSparkGroup] Spark " + plan->spark + " has no guardian in os.capabilities";
                      auto with_guardian = [=](const covalue_snapshot& caps) {
                        auto guardian = guardian_of(caps);
                        if (!guardian) return c->answer(400, failure(no_guardian));
                        plan->guardian = *guardian;
                        if (plan->maia_guardian.empty()) plan->maia_guardian = *guardian;
                        create_todo(self, c, plan);
                      };
                      auto spark_capabilities = [=]() {
                        follow(self, sparks, {plan->spark, "os", "capabilities"}, with_guardian,
                               [=](const node_error& e) {
                                 if (e.status == 404 && e.covalue.empty()) return c->answer(400, failure(no_guardian));
                                 failed(e);
                               });
                      };
                      if (!capabilities) return spark_capabilities();
                      read(
                          self, *capabilities,
                          [=](const covalue_snapshot& caps) {
                            if (auto g = guardian_of(caps)) plan->maia_guardian = *g;
                            spark_capabilities();
                          },
                          failed);
                    },
                    failed);
              },
              failed);
        },
        [=](const node_error& e) {
          if (e.status == 404 && e.covalue.empty()) return c->answer(400, failure(unresolved));
          failed(e);
        });
  });
}

void profile(self_ptr self, call_ptr c) {
  const std::string account = self->state.cfg.peer_id;
  read(
      self, account,
      [=](const covalue_snapshot& acc) {
        const auto profile_id = id_at(acc, "profile");
        const auto sparks_id = id_at(acc, "sparks");
        // Keys the original leaves undefined are absent (JSON.stringify drops them).
        auto body = std::make_shared<std::string>("{\"accountId\":" + json_quoted(account));
        if (profile_id) *body += ",\"profileId\":" + json_quoted(*profile_id);
        if (sparks_id) *body += ",\"sparksId\":" + json_quoted(*sparks_id);
        auto finish = [=](const std::string& sparks_json) {
          *body += ",\"sparks\":" + sparks_json;
          if (!profile_id) return c->answer(200, *body + ",\"profileName\":\"(not loaded)\"}");
          read(
              self, *profile_id,
              [=](const covalue_snapshot& p) {
                auto it = p.entries.find("name");
                c->answer(200, *body + ",\"profileName\":" +
                                   (it == p.entries.end() || it->second == "null" ? "\"(not loaded)\"" : it->second) +
                                   "}");
              },
              [=](const node_error&) { c->answer(200, *body + ",\"profileName\":\"(not loaded)\"}"); });
        };
        if (!sparks_id) return finish("null");
        read(
            self, *sparks_id, [=](const covalue_snapshot& s) { finish(s.content_json); },
            [=](const node_error& e) { finish("{\"_error\":" + json_quoted(e.message) + "}"); });
      },
      answer_with(c, 500));
}

}  // namespace moai::actors::agent_api
