// Content a peer actor held back because its outgoing queue was over the limit: for each
// CoValue, where the peer's copy stopped, in the order the content came (dependencies
// come first, so this order keeps them first). The content itself is dropped; the peer
// actor asks for it again, front first, once the queue drains. Bookkeeping only.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

#include "protocol/sync/known_state.hpp"

namespace moai::actors {

class held_content {
 public:
  held_content() = default;
  // Entries point into order_: not copyable.
  held_content(const held_content&) = delete;
  held_content& operator=(const held_content&) = delete;

  bool empty() const { return order_.empty(); }
  std::size_t size() const { return order_.size(); }
  // What the notes take in memory, roughly (the peer actor bounds it).
  std::size_t bytes() const { return bytes_; }
  bool holds(const std::string& id) const { return entries_.count(id) > 0; }

  // Content of `id` that began at `from` was dropped. New: appended (true). Held
  // already: its resend point drops to what both say the peer holds (false).
  bool hold(const std::string& id, const protocol::known_state& from);

  const std::string& front() const { return order_.front(); }
  const protocol::known_state& from(const std::string& id) const { return entries_.at(id).from; }

  // A held dependency goes before what needs it.
  void move_to_front(const std::string& id);

  // The resend of `id` found `dependency` still held (its content changed after `id`
  // was held). Once per note, the dependency moves to the front and `id` waits (true);
  // after that `id` goes anyway (false), so a dependency that keeps changing cannot
  // starve it, and a dependency cycle cannot loop.
  bool defer_for(const std::string& id, const std::string& dependency);

  // `id` was resent from `sent_from`. Done (removed, true) unless content dropped
  // meanwhile lowered its resend point: then it stays, to be resent from there.
  bool resent(const std::string& id, const protocol::known_state& sent_from);

  // Resending `id` failed: retried after the others, at most `max_failures` times;
  // false when it was given up (removed).
  bool failed(const std::string& id, int max_failures);

  void clear();

 private:
  struct entry {
    protocol::known_state from;
    int failures = 0;
    bool deferred = false;
    std::list<std::string>::iterator place;  // in order_
  };
  static std::size_t note_bytes(const std::string& id, const protocol::known_state& from);
  void erase(const std::string& id);

  // A list, not a deque: every peer has one, and an empty std::deque already holds
  // about 600 bytes; entries also move and leave from the middle in O(1).
  std::list<std::string> order_;
  std::unordered_map<std::string, entry> entries_;
  std::size_t bytes_ = 0;
};

}  // namespace moai::actors
