#include "config/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "base/json_number.hpp"
#include "base/json_text.hpp"

namespace moai::log {
namespace {

std::atomic<int> g_level{static_cast<int>(level::info)};
std::atomic<int> g_format{static_cast<int>(format::json)};
std::mutex g_write_mutex;

const char* level_name(level l) {
  switch (l) {
    case level::trace: return "trace";
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    case level::off: return "off";
  }
  return "?";
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void append_value(std::string& out, const field& f, bool quote_text) {
  switch (f.type) {
    case field::kind::text:
      if (quote_text) {
        base::append_json_string(out, f.text);
      } else {
        out.append(f.text);
      }
      break;
    case field::kind::integer: out.append(std::to_string(f.integer)); break;
    case field::kind::unsigned_integer: out.append(std::to_string(f.uinteger)); break;
    case field::kind::real: base::append_js_number(out, f.real); break;
    case field::kind::boolean: out.append(f.boolean ? "true" : "false"); break;
  }
}

// logfmt quotes values with spaces, quotes or '='.
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

bool parse_level(std::string_view t, level& out) {
  static constexpr std::pair<std::string_view, level> names[] = {
      {"trace", level::trace}, {"debug", level::debug}, {"info", level::info},
      {"warn", level::warn},   {"error", level::error}, {"off", level::off}};
  for (auto [name, l] : names) {
    if (t == name) {
      out = l;
      return true;
    }
  }
  return false;
}

bool parse_format(std::string_view t, format& out) {
  if (t == "json") out = format::json;
  else if (t == "logfmt") out = format::logfmt;
  else if (t == "text") out = format::text;
  else return false;
  return true;
}

void configure(level min_level, format fmt) {
  g_level = static_cast<int>(min_level);
  g_format = static_cast<int>(fmt);
}

bool enabled(level l) { return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed); }

std::string render(level l, const origin& o, std::string_view message, fields fs, format fmt) {
  const std::string_view component = o.component;
  const std::string actor_id = o.actor_id ? std::to_string(o.actor_id) : std::string();
  std::string out;
  out.reserve(160);
  if (fmt == format::json) {
    out.append("{\"ts\":\"").append(timestamp()).append("\",\"level\":\"").append(level_name(l)).append("\",\"component\":");
    base::append_json_string(out, component);
    if (o.actor_id) {
      out.append(",\"actor\":");
      base::append_json_string(out, component);
      out.append(",\"actor_id\":").append(actor_id);
    }
    out.append(",\"msg\":");
    base::append_json_string(out, message);
    for (const auto& f : fs) {
      out.push_back(',');
      base::append_json_string(out, f.key);
      out.push_back(':');
      append_value(out, f, true);
    }
    out.push_back('}');
  } else if (fmt == format::logfmt) {
    out.append("ts=").append(timestamp()).append(" level=").append(level_name(l)).append(" component=");
    out.append(component);
    if (o.actor_id) out.append(" actor=").append(component).append(" actor_id=").append(actor_id);
    out.append(" msg=");
    base::append_json_string(out, message);
    for (const auto& f : fs) {
      out.push_back(' ');
      out.append(f.key);
      out.push_back('=');
      append_value(out, f, f.type == field::kind::text && needs_quotes(f.text));
    }
  } else {
    out.append(timestamp()).append(" ").append(level_name(l)).append(" [").append(component);
    if (o.actor_id) out.append("#").append(actor_id);
    out.append("] ");
    out.append(message);
    for (const auto& f : fs) {
      out.push_back(' ');
      out.append(f.key);
      out.push_back('=');
      append_value(out, f, false);
    }
  }
  out.push_back('\n');
  return out;
}

void write(level l, const origin& o, std::string_view message, fields f) {
  std::string line = render(l, o, message, f, static_cast<format>(g_format.load(std::memory_order_relaxed)));
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

bool sample(std::string_view key, std::chrono::milliseconds every, std::uint64_t& suppressed) {
  struct entry {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t skipped = 0;
  };
  static std::mutex mutex;
  static std::map<std::string, entry, std::less<>> entries;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = entries.find(key);
  if (it == entries.end()) it = entries.emplace(std::string(key), entry{}).first;
  if (it->second.last != std::chrono::steady_clock::time_point{} && now - it->second.last < every) {
    ++it->second.skipped;
    return false;
  }
  suppressed = std::exchange(it->second.skipped, 0);
  it->second.last = now;
  return true;
}

}  // namespace moai::log
