// Content a CoValue actor received and has not applied yet, in arrival order. Content is
// staged first, so that a burst from one peer (one content message per transaction) is
// merged and verified under one signature; then it waits, front first, until the
// CoValues it depends on are available (guide §2.7) and, for a delete, until the owning
// group's roles are at hand. Bookkeeping only: the actor asks for what is missing.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/encoding/ids.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/sync/coalesce.hpp"
#include "protocol/sync/dependencies.hpp"
#include "protocol/sync/messages.hpp"
#include "protocol/sync/session_signer.hpp"

namespace moai::actors {

// `Sender` identifies who sent an item (the actor's peer handle; anything comparable).
template <class Sender>
class content_queue {
 public:
  struct item {
    Sender from;
    protocol::content_message message;
    // The owning group and its ancestors, fetched before a delete is judged.
    std::shared_ptr<protocol::group_registry> groups;
    bool groups_fetched = false;
  };

  // What the actor should do next.
  struct step {
    enum class kind {
      idle,          // nothing to apply now
      ask,           // ask `via` (the sender of the front) whether these are available
      fetch_groups,  // fetch the owning group and its ancestors for the front
      apply,         // apply `ready`
    } next = kind::idle;
    std::vector<std::string> ask_for;
    std::optional<Sender> via;
    std::optional<item> ready;
  };

  // Content just received. True when it is the first staged since the last flush: the
  // actor schedules one flush behind whatever else is in its mailbox.
  bool stage(Sender from, protocol::content_message message) {
    staged_.push_back(item{std::move(from), std::move(message), nullptr, false});
    return staged_.size() == 1;
  }
  bool has_staged() const { return !staged_.empty(); }

  // Moves staged content behind the queue, merging what one sender sent in a row.
  void flush_staged() {
    for (auto& it : staged_) {
      auto* last = queue_.empty() ? nullptr : &queue_.back();
      if (last && last->from == it.from && !last->groups_fetched &&
          protocol::join_content(last->message, it.message)) {
        continue;
      }
      queue_.push_back(std::move(it));
    }
    staged_.clear();
  }

  // The next step for the front of the queue. `id` and `header` are the CoValue's
  // (`header` null while we lack it).
  step next(const std::string& id, const protocol::covalue_header* header) {
    step s;
    if (queue_.empty()) return s;
    auto& front = queue_.front();
    bool missing = false;
    for (const auto& d : protocol::content_dependencies(id, header, front.message)) {
      if (available_.count(d)) continue;
      missing = true;
      if (awaiting_.insert(d).second) s.ask_for.push_back(d);
    }
    if (missing) {
      s.next = step::kind::ask;
      s.via = front.from;
      return s;
    }
    if (needs_groups(header, front) && !front.groups_fetched) {
      if (fetching_groups_) return s;
      fetching_groups_ = true;
      s.next = step::kind::fetch_groups;
      return s;
    }
    s.next = step::kind::apply;
    s.ready = std::move(front);
    queue_.pop_front();
    return s;
  }

  // The group that owns the front's CoValue (what fetch_groups starts from).
  std::string front_owner(const protocol::covalue_header* header) const {
    if (!header && !queue_.empty() && queue_.front().message.header) header = &*queue_.front().message.header;
    return header ? header->group : std::string();
  }

  // The groups asked for by fetch_groups (possibly incomplete) are here.
  void groups_fetched(std::shared_ptr<protocol::group_registry> groups) {
    fetching_groups_ = false;
    if (queue_.empty()) return;
    queue_.front().groups = std::move(groups);
    queue_.front().groups_fetched = true;
  }

  // The answer about a dependency asked for: available (with its account facts), or
  // not (then content that needs it is dropped: it could never be verified).
  void dependency_available(const std::string& dependency, protocol::account_facts facts) {
    awaiting_.erase(dependency);
    available_[dependency] = std::move(facts);
  }
  // Returns how many queued items were dropped.
  std::size_t dependency_missing(const std::string& id, const protocol::covalue_header* header,
                                 const std::string& dependency) {
    awaiting_.erase(dependency);
    const std::size_t before = queue_.size();
    queue_.remove_if(
        [&](const item& it) { return protocol::content_dependencies(id, header, it.message).count(dependency) > 0; });
    return before - queue_.size();
  }

  // A CoValue known to be available, as the signer of a session sees it.
  std::optional<protocol::account_facts> facts_of(const std::string& id) const {
    auto it = available_.find(id);
    if (it == available_.end()) return std::nullopt;
    return it->second;
  }

  bool empty() const { return queue_.empty() && staged_.empty(); }
  bool waiting_for_dependencies() const { return !awaiting_.empty(); }
  std::size_t size() const { return queue_.size() + staged_.size(); }

 private:
  // Content with a delete session needs the owning group's roles.
  static bool needs_groups(const protocol::covalue_header* header, const item& it) {
    if (!header) header = it.message.header ? &*it.message.header : nullptr;
    if (!header || header->ruleset != protocol::ruleset_kind::owned_by_group) return false;
    for (const auto& entry : it.message.sessions) {
      if (protocol::is_delete_session_id(entry.session_id)) return true;
    }
    return false;
  }

  std::vector<item> staged_;
  // A list: an empty std::deque holds about 600 bytes, in every CoValue in memory.
  std::list<item> queue_;
  std::map<std::string, protocol::account_facts> available_;
  std::set<std::string> awaiting_;
  bool fetching_groups_ = false;
};

}  // namespace moai::actors
