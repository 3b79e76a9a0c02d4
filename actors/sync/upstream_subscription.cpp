#include "actors/sync/upstream_subscription.hpp"

#include <algorithm>
#include <utility>

namespace moai::actors {

std::optional<std::uint64_t> upstream_subscription::subscribe() {
  subscribed_ = true;
  subscribe_when_applied_ = false;
  answered_ = false;
  gave_up_ = false;
  ++subscription_;
  // Loads that wait get this subscription's timer.
  wait_scheduled_ = !waiting_.empty();
  if (wait_scheduled_) return subscription_;
  return std::nullopt;
}

void upstream_subscription::reconnected() {
  holds_ = protocol::known_state{holds_.id, false, {}};
}

bool upstream_subscription::came_unasked(bool is_content) {
  if (subscribed_) return false;
  if (is_content) {
    subscribe_when_applied_ = true;
    return false;
  }
  return true;
}

void upstream_subscription::note_holds(const protocol::sync_message& message) {
  if (const auto* k = std::get_if<protocol::known_message>(&message)) {
    if (k->is_correction)
      holds_ = k->known;
    else
      protocol::merge_into(holds_, k->known);
  } else if (const auto* l = std::get_if<protocol::load_message>(&message)) {
    protocol::merge_into(holds_, l->known);
  } else if (const auto* c = std::get_if<protocol::content_message>(&message)) {
    if (c->header) holds_.header = true;
    for (const auto& e : c->sessions) {
      auto& n = holds_.sessions[e.session_id];
      n = std::max(n, e.after + static_cast<std::uint32_t>(e.transactions.size()));
    }
  }
}

bool upstream_subscription::answered_by(bool asked_before, const protocol::sync_message& message) {
  const bool is_known = std::holds_alternative<protocol::known_message>(message);
  const bool is_content = std::holds_alternative<protocol::content_message>(message);
  if (!asked_before || answered_ || !(is_known || is_content)) return false;
  answered_ = true;
  return is_known;
}

bool upstream_subscription::load_waits(peer_key peer, std::optional<std::uint64_t>& timer) {
  timer.reset();
  if (answered_ || gave_up_) return false;
  waiting_.push_back(peer);
  if (!wait_scheduled_) {
    wait_scheduled_ = true;
    timer = subscription_;
  }
  return true;
}

std::vector<peer_key> upstream_subscription::wait_over(std::uint64_t subscription) {
  if (subscription != subscription_) return {};  // a new subscription has its own timer
  wait_scheduled_ = false;
  if (waiting_.empty()) return {};
  gave_up_ = true;  // until the next subscription
  return take_waiting();
}

std::vector<peer_key> upstream_subscription::take_waiting() {
  return std::exchange(waiting_, {});
}

bool upstream_subscription::holds_all(const protocol::known_state& ours) const {
  return !subscribed_ || protocol::is_covered_by(ours, holds_);
}

}  // namespace moai::actors
