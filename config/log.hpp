// The process-wide structured logger: one line per event, as JSON, logfmt or text,
// on stderr. Every component logs through it.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace moai::log {

enum class level { trace, debug, info, warn, error, off };
enum class format { json, logfmt, text };

bool parse_level(std::string_view text, level& out);
bool parse_format(std::string_view text, format& out);

void configure(level min_level, format fmt);
bool enabled(level l);

// A key/value pair of a log line. Views must outlive the call only.
struct field {
  enum class kind { text, integer, unsigned_integer, real, boolean };
  field(std::string_view k, std::string_view v) : key(k), type(kind::text), text(v) {}
  field(std::string_view k, const std::string& v) : key(k), type(kind::text), text(v) {}
  field(std::string_view k, const char* v) : key(k), type(kind::text), text(v) {}
  field(std::string_view k, int v) : key(k), type(kind::integer), integer(v) {}
  field(std::string_view k, long v) : key(k), type(kind::integer), integer(v) {}
  field(std::string_view k, long long v) : key(k), type(kind::integer), integer(v) {}
  field(std::string_view k, unsigned v) : key(k), type(kind::unsigned_integer), uinteger(v) {}
  field(std::string_view k, unsigned long v) : key(k), type(kind::unsigned_integer), uinteger(v) {}
  field(std::string_view k, unsigned long long v) : key(k), type(kind::unsigned_integer), uinteger(v) {}
  field(std::string_view k, double v) : key(k), type(kind::real), real(v) {}
  field(std::string_view k, bool v) : key(k), type(kind::boolean), boolean(v) {}

  std::string_view key;
  kind type;
  std::string_view text;
  std::int64_t integer = 0;
  std::uint64_t uinteger = 0;
  double real = 0;
  bool boolean = false;
};

using fields = std::initializer_list<field>;

// Where a line comes from: a component name, and for lines written by an actor its
// CAF actor id too, so a line can be tied to the actor's inspection record.
struct origin {
  origin(std::string_view c) : component(c) {}
  origin(const char* c) : component(c) {}
  origin(std::string_view kind, std::uint64_t id) : component(kind), actor_id(id) {}

  std::string_view component;
  std::uint64_t actor_id = 0;  // 0: not an actor
};

void write(level l, const origin& o, std::string_view message, fields f = {});

inline void trace(const origin& o, std::string_view m, fields f = {}) { if (enabled(level::trace)) write(level::trace, o, m, f); }
inline void debug(const origin& o, std::string_view m, fields f = {}) { if (enabled(level::debug)) write(level::debug, o, m, f); }
inline void info(const origin& o, std::string_view m, fields f = {}) { if (enabled(level::info)) write(level::info, o, m, f); }
inline void warn(const origin& o, std::string_view m, fields f = {}) { if (enabled(level::warn)) write(level::warn, o, m, f); }
inline void error(const origin& o, std::string_view m, fields f = {}) { if (enabled(level::error)) write(level::error, o, m, f); }

// Renders one line without writing it (tests use this). Lines from actors carry
// "actor" (the kind) and "actor_id" after the component.
std::string render(level l, const origin& o, std::string_view message, fields f, format fmt);

// For lines a failure repeats (a full disk fails every write of every CoValue): true at
// most once per `every` for `key`; `suppressed` then counts the calls that returned false
// in between, to be logged with the line.
bool sample(std::string_view key, std::chrono::milliseconds every, std::uint64_t& suppressed);

}  // namespace moai::log
