#include "actors/llm/chat_request.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json_text.hpp"
#include "protocol/json/json.hpp"

namespace moai::actors {
namespace {

// The upstream request body: {model, messages, temperature[, stream]}.
std::string upstream_body(const std::string& model, const protocol::json_value& messages,
                          const protocol::json_value* temperature, bool stream) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("model");
  w.String(model.data(), static_cast<rapidjson::SizeType>(model.size()));
  w.Key("messages");
  messages.Accept(w);
  w.Key("temperature");
  if (temperature) {
    temperature->Accept(w);
  } else {
    w.Int(1);
  }
  if (stream) {
    w.Key("stream");
    w.Bool(true);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string error_json(std::string_view error) {
  std::string out = "{\"error\":";
  base::append_json_string(out, error);
  out.push_back('}');
  return out;
}

std::string error_json(std::string_view error, std::string_view message) {
  std::string out = "{\"error\":";
  base::append_json_string(out, error);
  out += ",\"message\":";
  base::append_json_string(out, message);
  out.push_back('}');
  return out;
}

std::variant<chat_request, chat_refusal> read_chat_body(std::string_view body, const std::string& default_model) {
  protocol::json_document doc;
  std::string parse_error;
  if (!protocol::parse_json(body, doc, parse_error)) {
    return chat_refusal{error_json("Invalid JSON body", parse_error), "invalid JSON body"};
  }
  const protocol::json_value* messages = doc.IsObject() ? protocol::find_member(doc, "messages") : nullptr;
  if (!messages || !messages->IsArray() || messages->Empty()) {
    return chat_refusal{error_json("messages array required"), "no messages"};
  }
  chat_request out;
  out.model = default_model;
  if (auto* m = protocol::find_member(doc, "model"); m && !m->IsNull()) {
    if (!m->IsString()) return chat_refusal{error_json("model must be a string"), "bad model"};
    out.model = std::string(protocol::view_of(*m));
  }
  const protocol::json_value* temperature = protocol::find_member(doc, "temperature");
  if (temperature && temperature->IsNull()) temperature = nullptr;
  if (temperature && !temperature->IsNumber()) {
    return chat_refusal{error_json("temperature must be a number"), "bad temperature"};
  }
  const auto* stream_flag = protocol::find_member(doc, "stream");
  out.stream = stream_flag && stream_flag->IsBool() && stream_flag->GetBool();
  out.upstream_body = upstream_body(out.model, *messages, temperature, out.stream);
  return out;
}

}  // namespace moai::actors
