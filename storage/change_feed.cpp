#include "storage/change_feed.hpp"

#include <charconv>
#include <sstream>

namespace moai::storage {

std::string encode_change(const std::string& node, const stored_change& change, std::size_t limit) {
  std::string flags;
  if (change.header) flags += 'h';
  if (change.deleted) flags += 'd';
  std::string head = "m1 " + node + " " + std::to_string(change.committed_ms) + " ";
  std::string sessions;
  for (const auto& [session, count] : change.sessions) {
    sessions += ' ';
    sessions += session;
    sessions += ' ';
    sessions += std::to_string(count);
  }
  const bool fits = change.complete && head.size() + flags.size() + 2 + change.id.size() + sessions.size() <= limit;
  if (!fits) {
    flags += '*';
    sessions.clear();
  }
  if (flags.empty()) flags = "-";
  return head + flags + " " + change.id + sessions;
}

std::optional<stored_change> parse_change(const std::string& text, std::string& node) {
  std::istringstream in(text);
  std::string version, ms, flags;
  stored_change c;
  if (!(in >> version >> node >> ms >> flags >> c.id) || version != "m1") return std::nullopt;
  auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), c.committed_ms);
  if (ec != std::errc() || end != ms.data() + ms.size()) return std::nullopt;
  for (char f : flags) {
    if (f == 'h')
      c.header = true;
    else if (f == 'd')
      c.deleted = true;
    else if (f == '*')
      c.complete = false;
    else if (f != '-')
      return std::nullopt;
  }
  std::string session, count;
  while (in >> session) {
    if (!(in >> count)) return std::nullopt;
    std::uint32_t n = 0;
    auto [e, err] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (err != std::errc() || e != count.data() + count.size()) return std::nullopt;
    c.sessions[session] = n;
  }
  return c;
}

}  // namespace moai::storage
