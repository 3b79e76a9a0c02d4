#include "actors/llm/llm_gateway.hpp"

#include "actors/llm/chat_request.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "base/json_text.hpp"
#include "config/log.hpp"
#include "gateway/client/http_client.hpp"
#include "gateway/server/bearer_token.hpp"
#include "gateway/server/caller_address.hpp"
#include "protocol/json/json.hpp"

namespace moai::actors {
namespace {

using steady = std::chrono::steady_clock;

// A token bucket per client IP: `per_minute` requests at once, refilled evenly
// over a minute. Zero means unlimited.
class rate_limiter {
 public:
  explicit rate_limiter(std::uint32_t per_minute) : per_minute_(per_minute) {}

  // 0 when the request may go; otherwise whole seconds until one would.
  std::uint32_t take(const std::string& ip, steady::time_point now) {
    if (per_minute_ == 0) return 0;
    const double capacity = per_minute_;
    const double per_second = capacity / 60.0;
    if (buckets_.size() > kMaxTracked) prune(now);
    auto [it, fresh] = buckets_.try_emplace(ip, bucket{capacity, now});
    auto& b = it->second;
    if (!fresh) {
      b.tokens = std::min(capacity, b.tokens + std::chrono::duration<double>(now - b.updated).count() * per_second);
      b.updated = now;
    }
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return 0;
    }
    return static_cast<std::uint32_t>(std::max(1.0, std::ceil((1.0 - b.tokens) / per_second)));
  }

 private:
  static constexpr std::size_t kMaxTracked = 10000;
  struct bucket {
    double tokens;
    steady::time_point updated;
  };

  // A bucket idle for a minute is full again: forgetting it changes nothing.
  void prune(steady::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = now - it->second.updated >= std::chrono::minutes(1) ? buckets_.erase(it) : std::next(it);
    }
  }

  std::uint32_t per_minute_;
  std::unordered_map<std::string, bucket> buckets_;
};

// Keeps the API key out of whatever the proxy passes on, including an upstream
// that echoes it. For a streamed body only a tail that could be the start of the
// key is held back, so ordinary pieces still go out at once.
class key_redactor {
 public:
  static constexpr std::string_view kMask = "[redacted]";

  explicit key_redactor(std::string key) : key_(std::move(key)) {}

  std::string redact(std::string text) const {
    if (key_.empty()) return text;
    for (auto at = text.find(key_); at != std::string::npos; at = text.find(key_, at + kMask.size())) {
      text.replace(at, key_.size(), kMask);
    }
    return text;
  }

  std::string feed(std::string_view piece) {
    std::string text = redact(held_.append(piece));
    held_.clear();
    for (std::size_t n = std::min(text.size(), key_.empty() ? 0 : key_.size() - 1); n > 0; --n) {
      if (text.compare(text.size() - n, n, key_, 0, n) == 0) {
        held_ = text.substr(text.size() - n);
        text.resize(text.size() - n);
        break;
      }
    }
    return text;
  }

  std::string flush() { return std::exchange(held_, {}); }

 private:
  std::string key_;
  std::string held_;
};

// The first `max_chars` characters of `text` as valid UTF-8: an upstream body may be
// anything, and the excerpt goes into a JSON string.
std::string utf8_excerpt(std::string_view text, std::size_t max_chars) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size() && chars < max_chars; ++chars) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points past U+10FFFF.
      std::uint32_t cp = c & (0x7F >> len);
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append(kReplacement);
      i += 1;
    }
  }
  return out;
}

std::string to_json(const protocol::json_value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool is_success(unsigned status) {
  return status >= 200 && status < 300;
}

bool is_event_stream(std::string content_type) {
  std::transform(content_type.begin(), content_type.end(), content_type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return content_type.rfind("text/event-stream", 0) == 0;
}

// ---- the actor and its messages -----------------------------------------------

struct llm_settings {
  std::string api_key;
  std::string endpoint;  // …/chat/completions
  std::string default_model;
  std::chrono::milliseconds timeout{60000};
  std::string proxy_token;
  std::uint32_t rate_limit_per_minute = 0;
};

// One chat request on its way, shared by the actor and the client's callbacks. The
// callbacks touch `body` and `redactor` only while the upstream answers; the actor
// touches them only after on_done, which comes after the last of those.
struct pending_chat {
  gateway::responder respond;
  std::string ip;
  std::string model;
  bool stream = false;
  steady::time_point started;
  key_redactor redactor{{}};
  std::shared_ptr<gateway::response_stream> body;  // set once a streamed answer began
};

struct upstream_done {
  std::shared_ptr<pending_chat> chat;
  gateway::client_result result;
};

}  // namespace
}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::upstream_done)

namespace moai::actors {
namespace {

struct llm_state {
  llm_settings settings;
  std::shared_ptr<gateway::http_client> client;
  rate_limiter limiter{0};
  static inline const char* name = "llm_gateway";
};

using llm_impl = http_gateway_actor::extend<caf::reacts_to<upstream_done>>;
using llm_pointer = llm_impl::stateful_pointer<llm_state>;

long long elapsed_ms(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
}

void reject(gateway::responder& respond, unsigned status, std::string body, const std::string& ip,
            std::string_view why) {
  log::info("llm", "chat refused", {{"status", status}, {"reason", why}, {"remote", ip}});
  respond(gateway::json_response(status, std::move(body)));
}

void on_chat(llm_pointer self, http_call& call) {
  auto& st = self->state;
  const auto& req = call.request;
  const std::string ip = gateway::caller_ip(req.remote_address);

  if (req.method != "POST") {
    auto r = gateway::json_response(405, error_json("method not allowed: use POST"));
    r.headers.emplace_back("Allow", "POST, OPTIONS");
    call.respond(std::move(r));
    return;
  }
  if (auto wait = st.limiter.take(ip, steady::now())) {
    std::string body = error_json("rate limit exceeded");
    body.pop_back();
    body += ",\"retry_after_s\":" + std::to_string(wait) + "}";
    auto r = gateway::json_response(429, std::move(body));
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    log::warn("llm", "chat refused: rate limit", {{"remote", ip}, {"retry_after_s", wait}});
    call.respond(std::move(r));
    return;
  }
  if (!st.settings.proxy_token.empty() &&
      !gateway::bearer_matches(req.header("authorization"), st.settings.proxy_token)) {
    auto r = gateway::json_response(401, error_json("unauthorized: Authorization: Bearer <token> required"));
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    log::info("llm", "chat refused", {{"status", 401u}, {"reason", "missing or wrong bearer token"}, {"remote", ip}});
    call.respond(std::move(r));
    return;
  }
  if (st.settings.api_key.empty()) {
    return reject(call.respond, 500, error_json("RED_PILL_API_KEY not configured"), ip, "no API key configured");
  }

  auto read = read_chat_body(req.body, st.settings.default_model);
  if (auto* refused = std::get_if<chat_refusal>(&read)) {
    return reject(call.respond, 400, refused->body, ip, refused->reason);
  }
  auto& chat_body = std::get<chat_request>(read);
  const std::string& model = chat_body.model;
  const bool stream = chat_body.stream;

  auto chat = std::make_shared<pending_chat>();
  chat->respond = std::move(call.respond);
  chat->ip = ip;
  chat->model = model;
  chat->stream = stream;
  chat->started = steady::now();
  chat->redactor = key_redactor(st.settings.api_key);

  gateway::client_request up;
  up.method = "POST";
  up.url = st.settings.endpoint;
  up.headers = {{"Authorization", "Bearer " + st.settings.api_key},
                {"Content-Type", "application/json"},
                {"Accept", stream ? "text/event-stream" : "application/json"}};
  up.body = std::move(chat_body.upstream_body);
  up.timeout = st.settings.timeout;

  gateway::client_handlers handlers;
  handlers.on_head = [chat](const gateway::client_head& head) {
    // Only a successful event stream is passed through; errors, and an upstream that
    // answered with one JSON body anyway, become the usual JSON answer.
    if (!chat->stream || !is_success(head.status) || !is_event_stream(head.content_type)) return false;
    chat->body = std::make_shared<gateway::response_stream>();
    gateway::http_response r;
    r.status = 200;
    r.content_type = "text/event-stream";
    r.headers = {{"Access-Control-Allow-Origin", "*"}, {"X-Accel-Buffering", "no"}};
    r.stream = chat->body;
    chat->respond(std::move(r));
    return true;
  };
  handlers.on_data = [chat](std::string_view piece) {
    chat->body->write(chat->redactor.feed(piece));
    return !chat->body->cancelled();
  };
  handlers.on_done = [actor = caf::actor_cast<caf::actor>(self), chat](gateway::client_result result) {
    caf::anon_send(actor, upstream_done{chat, std::move(result)});
  };
  log::debug("llm", "chat forwarded", {{"model", model}, {"stream", stream}, {"remote", ip}});
  st.client->send(std::move(up), std::move(handlers));
}

// A streamed answer is already under way: end it, with an SSE error event if the
// upstream failed midway (the status line went out long ago).
void finish_stream(pending_chat& chat, const gateway::client_result& res) {
  chat.body->write(chat.redactor.flush());
  const auto ms = elapsed_ms(chat.started);
  if (res.result == gateway::client_result::outcome::ok) {
    log::info("llm", "chat streamed",
              {{"status", res.status},
               {"model", chat.model},
               {"ms", ms},
               {"remote", chat.ip},
               {"reused_connection", res.reused_connection}});
  } else {
    const bool timeout = res.result == gateway::client_result::outcome::timeout;
    std::string error = chat.redactor.redact(res.error);
    chat.body->write("\n\nevent: error\ndata: " +
                     error_json(timeout ? "LLM upstream timed out" : "LLM stream interrupted", error) + "\n\n");
    log::warn("llm", "chat stream ended early",
              {{"error", error},
               {"model", chat.model},
               {"ms", ms},
               {"remote", chat.ip},
               {"caller_left", chat.body->cancelled()}});
  }
  chat.body->finish();
}

void on_upstream_done(upstream_done& done) {
  auto& chat = *done.chat;
  const auto& res = done.result;
  if (chat.body) return finish_stream(chat, res);

  unsigned status = 200;
  std::string body;
  std::string problem;  // for the log line
  if (res.result == gateway::client_result::outcome::timeout) {
    status = 504;
    problem = res.error;
    body = error_json("LLM upstream timed out", res.error);
  } else if (res.result == gateway::client_result::outcome::failed) {
    status = 500;
    problem = res.error;
    body = error_json("Failed to process LLM request", res.error);
  } else if (!is_success(res.status)) {
    // As the reference: the upstream's own "error" string if it has one, else "HTTP <status>".
    status = 500;
    std::string error = "HTTP " + std::to_string(res.status);
    protocol::json_document doc;
    std::string ignored;
    std::string_view upstream_error;
    if (protocol::parse_json(res.body, doc, ignored) && doc.IsObject() &&
        protocol::get_string(doc, "error", upstream_error)) {
      error = std::string(upstream_error);
    }
    problem = "upstream answered " + std::to_string(res.status);
    body =
        error_json(utf8_excerpt(chat.redactor.redact(error), 200), utf8_excerpt(chat.redactor.redact(res.body), 200));
    body.pop_back();
    body += ",\"status\":" + std::to_string(res.status) + "}";
  } else {
    protocol::json_document doc;
    std::string parse_error;
    if (!protocol::parse_json(res.body, doc, parse_error) || !doc.IsObject()) {
      status = 500;
      problem = "upstream answered invalid JSON";
      body = error_json("Failed to process LLM request", parse_error.empty()
                                                             ? "upstream answer is not a JSON object"
                                                             : "upstream answer is not valid JSON: " + parse_error);
    } else {
      // {"content": choices[0].message.content or "", "role": "assistant", "usage": usage or null}
      const protocol::json_value* content = nullptr;
      if (auto* choices = protocol::find_member(doc, "choices"); choices && choices->IsArray() && !choices->Empty()) {
        if (auto* message = protocol::find_member((*choices)[0], "message")) {
          content = protocol::find_member(*message, "content");
        }
      }
      const auto* usage = protocol::find_member(doc, "usage");
      body = "{\"content\":";
      body += content && !content->IsNull() ? to_json(*content) : "\"\"";
      body += ",\"role\":\"assistant\",\"usage\":";
      body += usage ? to_json(*usage) : "null";
      body += "}";
    }
  }
  body = chat.redactor.redact(std::move(body));
  const auto ms = elapsed_ms(chat.started);
  if (problem.empty()) {
    log::info("llm", "chat answered",
              {{"status", status},
               {"model", chat.model},
               {"ms", ms},
               {"remote", chat.ip},
               {"reused_connection", res.reused_connection}});
  } else {
    log::warn("llm", "chat failed",
              {{"status", status},
               {"problem", chat.redactor.redact(problem)},
               {"upstream_status", res.status},
               {"model", chat.model},
               {"ms", ms},
               {"remote", chat.ip}});
  }
  chat.respond(gateway::json_response(status, std::move(body)));
}

llm_impl::behavior_type llm_actor(llm_pointer self, llm_settings settings,
                                  std::shared_ptr<gateway::http_client> client) {
  self->state.limiter = rate_limiter(settings.rate_limit_per_minute);
  self->state.settings = std::move(settings);
  self->state.client = std::move(client);
  return {
      [=](http_call& call) { on_chat(self, call); },
      [](upstream_done& done) { on_upstream_done(done); },
  };
}

}  // namespace

http_gateway_actor spawn_llm_gateway(caf::actor_system& system, const config& cfg) {
  llm_settings settings;
  settings.api_key = cfg.llm_api_key;
  std::string base = cfg.llm_upstream_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  settings.endpoint = base + "/chat/completions";
  settings.default_model = cfg.llm_default_model;
  settings.timeout = std::chrono::milliseconds(std::max<std::uint32_t>(1, cfg.llm_timeout_ms));
  settings.proxy_token = cfg.llm_proxy_token;
  settings.rate_limit_per_minute = cfg.llm_rate_limit_per_minute;
  gateway::http_client_options options;
  options.ca_file = cfg.llm_ca_file;
  log::info("llm", "proxy ready",
            {{"endpoint", key_redactor(cfg.llm_api_key).redact(settings.endpoint)},
             {"api_key_set", !cfg.llm_api_key.empty()},
             {"proxy_token_set", !cfg.llm_proxy_token.empty()},
             {"rate_limit_per_minute", cfg.llm_rate_limit_per_minute},
             {"timeout_ms", cfg.llm_timeout_ms}});
  // The client lives as long as the actor (its state holds it).
  auto client = std::make_shared<gateway::http_client>(options);
  return caf::actor_cast<http_gateway_actor>(system.spawn<caf::hidden>(llm_actor, std::move(settings), client));
}

}  // namespace moai::actors
