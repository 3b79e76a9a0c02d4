#include "actors/agent/agent_requests.hpp"

#include "actors/agent/agent_gateway_state.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::actors::agent_api {
namespace {

early_answer refuse(std::string message) {
  return {400, failure(message)};
}

// The body as the original reads it leniently: anything that is not JSON counts as {}.
void parse_lenient(std::string_view body, protocol::json_document& doc) {
  std::string error;
  if (!protocol::parse_json(body, doc, error)) doc.SetObject();
}

// moai's own routes: an empty body is null, anything else must be JSON.
bool parse_own(std::string_view body, protocol::json_document& doc, early_answer& refused) {
  doc.SetNull();
  if (trim(body).empty()) return true;
  std::string error;
  if (protocol::parse_json(body, doc, error)) return true;
  refused = refuse("invalid JSON body: " + error);
  return false;
}

}  // namespace

std::variant<std::string, early_answer> read_on_added(std::string_view body) {
  protocol::json_document doc;
  std::string error;
  if (!protocol::parse_json(body, doc, error)) return refuse("JSON Parse error: " + error);
  std::string_view spark;
  if (!doc.IsObject() || !protocol::get_string(doc, "sparkId", spark) || spark.rfind("co_z", 0) != 0) {
    return refuse("sparkId required (co_z...)");
  }
  return std::string(spark);
}

std::variant<register_human_input, early_answer> read_register_human(std::string_view body) {
  protocol::json_document doc;
  parse_lenient(body, doc);
  std::string_view username_in, account_in;
  const bool has_username = doc.IsObject() && protocol::get_string(doc, "username", username_in);
  register_human_input in{has_username ? trim(username_in) : std::string(), {}};
  if (in.username.empty()) {
    return early_answer{400,
                        "{\"ok\":false,\"error\":\"username required\",\"validationErrors\":"
                        "[{\"field\":\"username\",\"message\":\"required\"}]}"};
  }
  if (!doc.IsObject() || !protocol::get_string(doc, "accountId", account_in) || account_in.empty()) {
    return early_answer{400,
                        "{\"ok\":false,\"error\":\"accountId required\",\"validationErrors\":"
                        "[{\"field\":\"accountId\",\"message\":\"required\"}]}"};
  }
  in.account_id = std::string(account_in);
  return in;
}

std::variant<trigger_input, early_answer> read_trigger(std::string_view body) {
  protocol::json_document doc;
  parse_lenient(body, doc);
  trigger_input in{"\"Test todo from agent\"", "\"@maia\"", "@maia"};
  if (!doc.IsObject()) return in;
  if (const auto* text = protocol::find_member(doc, "text"); text && !text->IsNull()) in.text_json = compact(*text);
  if (const auto* spark = protocol::find_member(doc, "spark"); spark && !spark->IsNull()) {
    in.spark_json = compact(*spark);
    if (!spark->IsString()) return refuse("[getSparkGroup] spark is required");
    if (spark->GetStringLength() == 0) {
      return refuse(
          "[createCoValueForSpark] Invalid context. Provide backend (with node, account) + spark, or { node, account, "
          "guardian }.");
    }
    in.spark = std::string(protocol::view_of(*spark));
  }
  return in;
}

std::variant<create_request, early_answer> read_create_covalue(std::string_view text) {
  protocol::json_document body;
  early_answer refused;
  if (!parse_own(text, body, refused)) return refused;
  std::string_view type, group;
  if (!body.IsObject() || !protocol::get_string(body, "type", type) || (type != "comap" && type != "colist")) {
    return refuse("type must be \"comap\" or \"colist\"");
  }
  create_request req;
  req.type = std::string(type);
  if (protocol::find_member(body, "group")) {
    if (!protocol::get_string(body, "group", group) || !protocol::is_covalue_id(group)) {
      return refuse("group must be a group ID (co_z...)");
    }
    req.owner_group = std::string(group);
  }
  if (const auto* pub = protocol::find_member(body, "public")) req.public_read = pub->IsBool() && pub->GetBool();
  if (const auto* meta = protocol::find_member(body, "meta")) {
    if (!meta->IsObject() && !meta->IsNull()) return refuse("meta must be an object");
    req.meta_json = compact(*meta);
  }
  if (const auto* content = protocol::find_member(body, "content")) {
    if (req.type == "comap") {
      if (!content->IsObject()) return refuse("content of a comap must be an object");
      for (auto m = content->MemberBegin(); m != content->MemberEnd(); ++m) {
        req.map_init.push_back({std::string(protocol::view_of(m->name)), compact(m->value)});
      }
    } else {
      if (!content->IsArray()) return refuse("content of a colist must be an array");
      for (const auto& item : content->GetArray()) req.list_init.push_back(compact(item));
    }
  }
  return req;
}

std::variant<covalue_patch, early_answer> read_patch_covalue(const std::string& id, std::string_view text) {
  protocol::json_document body;
  early_answer refused;
  if (!parse_own(text, body, refused)) return refused;
  if (!body.IsObject()) return refuse("body must be an object");
  const auto* set = protocol::find_member(body, "set");
  const auto* del = protocol::find_member(body, "delete");
  const auto* append = protocol::find_member(body, "append");
  if (append) {
    if (set || del) return refuse("append cannot be combined with set or delete");
    if (!append->IsArray() || append->Empty()) return refuse("append must be a non-empty array");
    append_list_request req{id, {}};
    for (const auto& item : append->GetArray()) req.items_json.push_back(compact(item));
    return covalue_patch{std::move(req)};
  }
  update_map_request req{id, {}};
  if (set) {
    if (!set->IsObject()) return refuse("set must be an object");
    for (auto m = set->MemberBegin(); m != set->MemberEnd(); ++m) {
      req.edits.push_back({std::string(protocol::view_of(m->name)), compact(m->value)});
    }
  }
  if (del) {
    if (!del->IsArray()) return refuse("delete must be an array of keys");
    for (const auto& key : del->GetArray()) {
      if (!key.IsString()) return refuse("delete must be an array of keys");
      req.edits.push_back({std::string(protocol::view_of(key)), std::nullopt});
    }
  }
  if (req.edits.empty()) return refuse("nothing to change: give set, delete or append");
  return covalue_patch{std::move(req)};
}

}  // namespace moai::actors::agent_api
