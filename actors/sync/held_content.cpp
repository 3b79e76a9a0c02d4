#include "actors/sync/held_content.hpp"

#include <iterator>

namespace moai::actors {

std::size_t held_content::note_bytes(const std::string& id, const protocol::known_state& from) {
  std::size_t n = 2 * id.size() + 128;  // the ID twice (order and map), node overheads
  for (const auto& [session, count] : from.sessions) n += session.size() + 48;
  return n;
}

bool held_content::hold(const std::string& id, const protocol::known_state& from) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    order_.push_back(id);
    entries_.emplace(id, entry{from, 0, false, std::prev(order_.end())});
    bytes_ += note_bytes(id, from);
    return true;
  }
  bytes_ -= note_bytes(id, it->second.from);
  protocol::intersect_into(it->second.from, from);
  bytes_ += note_bytes(id, it->second.from);
  return false;
}

void held_content::move_to_front(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  order_.splice(order_.begin(), order_, it->second.place);
}

bool held_content::defer_for(const std::string& id, const std::string& dependency) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.deferred || dependency == id || !holds(dependency)) return false;
  it->second.deferred = true;
  move_to_front(dependency);
  return true;
}

void held_content::erase(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  bytes_ -= note_bytes(id, it->second.from);
  order_.erase(it->second.place);
  entries_.erase(it);
}

bool held_content::resent(const std::string& id, const protocol::known_state& sent_from) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return true;
  if (it->second.from != sent_from) return false;
  erase(id);
  return true;
}

bool held_content::failed(const std::string& id, int max_failures) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  if (++it->second.failures >= max_failures) {
    erase(id);
    return false;
  }
  order_.splice(order_.end(), order_, it->second.place);
  return true;
}

void held_content::clear() {
  order_.clear();
  entries_.clear();
  bytes_ = 0;
}

}  // namespace moai::actors
