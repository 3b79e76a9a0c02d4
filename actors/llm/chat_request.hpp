// What the LLM proxy reads from a POST /api/v0/llm/chat body ({messages, model?,
// temperature?, stream?}) and the upstream request it makes of it, or the 400 it answers.
// Pure, so every body a caller can send is tested (and fuzzed) without a socket.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace moai::actors {

struct chat_request {
  std::string model;          // as asked, or the default
  bool stream = false;        // answer with the upstream's server-sent events
  std::string upstream_body;  // {model, messages, temperature[, stream]} for /chat/completions
};

struct chat_refusal {
  std::string body;    // the 400's JSON body
  std::string reason;  // for the log
};

std::variant<chat_request, chat_refusal> read_chat_body(std::string_view body, const std::string& default_model);

// {"error":…} and {"error":…,"message":…}: the proxy's error bodies.
std::string error_json(std::string_view error);
std::string error_json(std::string_view error, std::string_view message);

}  // namespace moai::actors
