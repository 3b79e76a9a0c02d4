// The process-wide structured logger: one line per event, as JSON, logfmt or text,
// on stderr. Every component logs through it.
#pragma once

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

void write(level l, std::string_view component, std::string_view message, fields f = {});

inline void trace(std::string_view c, std::string_view m, fields f = {}) { if (enabled(level::trace)) write(level::trace, c, m, f); }
inline void debug(std::string_view c, std::string_view m, fields f = {}) { if (enabled(level::debug)) write(level::debug, c, m, f); }
inline void info(std::string_view c, std::string_view m, fields f = {}) { if (enabled(level::info)) write(level::info, c, m, f); }
inline void warn(std::string_view c, std::string_view m, fields f = {}) { if (enabled(level::warn)) write(level::warn, c, m, f); }
inline void error(std::string_view c, std::string_view m, fields f = {}) { if (enabled(level::error)) write(level::error, c, m, f); }

// Renders one line without writing it (tests and the inspection endpoint use this).
std::string render(level l, std::string_view component, std::string_view message, fields f, format fmt);

}  // namespace moai::log
