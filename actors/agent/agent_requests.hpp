// What the agent routes read from a request body, or the answer they give when it will
// not do (the original's status codes and bodies for its routes). Pure, so every body a
// caller can send is tested (and fuzzed) without a socket or a node.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "actors/agent/agent_node.hpp"

namespace moai::actors::agent_api {

struct early_answer {
  unsigned status = 400;
  std::string body;
};

// POST /on-added {sparkId} (strict JSON): the spark's ID.
std::variant<std::string, early_answer> read_on_added(std::string_view body);

// POST /register-human {username, accountId} (lenient JSON: anything else counts as {}).
struct register_human_input {
  std::string username;  // trimmed
  std::string account_id;
};
std::variant<register_human_input, early_answer> read_register_human(std::string_view body);

// POST /trigger {text?, spark?} (lenient JSON).
struct trigger_input {
  std::string text_json;   // the text as given (any JSON value), or the default
  std::string spark_json;  // as given, or "@maia"
  std::string spark;       // the spark's name
};
std::variant<trigger_input, early_answer> read_trigger(std::string_view body);

// moai's own POST /covalues and PATCH /covalues/{id}.
std::variant<create_request, early_answer> read_create_covalue(std::string_view body);
using covalue_patch = std::variant<update_map_request, append_list_request>;
std::variant<covalue_patch, early_answer> read_patch_covalue(const std::string& id, std::string_view body);

}  // namespace moai::actors::agent_api
