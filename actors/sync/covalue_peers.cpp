#include "actors/sync/covalue_peers.hpp"

#include <algorithm>
#include <utility>

namespace moai::actors {

using protocol::known_state;

known_state claim_to(bool deleted, known_state base, const known_state& peer_claims) {
  if (deleted) protocol::merge_into(base.sessions, peer_claims.sessions);
  return base;
}

peer_record::peer_record(const std::string& id, std::uint64_t peer)
    : peer_id(peer), known{id, false, {}}, said{id, false, {}} {}

void peer_record::loaded(known_state k) {
  known = std::move(k);
  said = known;
}

void peer_record::told(known_state k, bool correction, bool replace) {
  if (!correction && !k.header && asked_for_header) said_not_found = true;
  if (replace) {
    known = k;
    said = std::move(k);
  } else {
    protocol::merge_into(known, k);
    protocol::merge_into(said, k);
  }
}

void peer_record::resend_from(known_state from, std::uint64_t deps_generation) {
  known = std::move(from);
  protocol::merge_into(known, said);
  resend_next = true;
  if (!push_in_flight) deps_pushed_generation = deps_generation;
}

void peer_record::content_applied(const protocol::content_message& message, const known_state& accepted,
                                  bool deleted) {
  if (deleted) {
    // The peer is told we hold everything it sent, so old clients stop re-uploading.
    known_state claimed{accepted.id, true, {}};
    for (const auto& entry : message.sessions) {
      claimed.sessions[entry.session_id] = entry.after + static_cast<std::uint32_t>(entry.transactions.size());
    }
    protocol::merge_into(known, claimed);
  } else {
    protocol::merge_into(known, accepted);
  }
  protocol::merge_into(said, accepted);
  told_known = true;
}

void peer_record::subscribed(const known_state& ours, bool have_header) {
  protocol::merge_into(known, ours);
  told_known = true;
  asked_for_header = !have_header;
  said_not_found = false;
}

void peer_record::reconnected(const std::string& id) {
  known = known_state{id, false, {}};
  errored = false;
  deps_pushed_generation = 0;
}

push_plan peer_record::plan_push(bool force_known, const protocol::covalue_id_set& dependencies,
                                 std::uint64_t generation, const std::vector<std::string>& visited,
                                 bool to_upstream) {
  push_plan plan;
  if (push_in_flight) {
    push_again = true;
    push_again_force_known = push_again_force_known || force_known;
    plan.next = push_plan::step::wait;
    return plan;
  }
  if (deps_pushed_generation != generation && !to_upstream) {
    for (const auto& d : dependencies) {
      if (std::find(visited.begin(), visited.end(), d) == visited.end()) plan.dependencies.push_back(d);
    }
  }
  if (plan.dependencies.empty()) {
    deps_pushed_generation = generation;
    plan.next = push_plan::step::send;
    return plan;
  }
  push_in_flight = true;
  plan.next = push_plan::step::push_dependencies;
  return plan;
}

void peer_record::dependencies_pushed(std::uint64_t generation) {
  push_in_flight = false;
  deps_pushed_generation = std::max(deps_pushed_generation, generation);
}

bool peer_record::take_push_again(bool& force_known) {
  if (!push_again) return false;
  force_known = push_again_force_known;
  push_again = push_again_force_known = false;
  return true;
}

}  // namespace moai::actors
