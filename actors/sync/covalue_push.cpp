// The CoValue actor (covalue_actor.cpp), its pushes: each peer gets what it lacks of
// the CoValue, its dependencies first (covalue_peers.hpp decides, this sends).

#include <memory>
#include <utility>

#include "actors/sync/covalue_actor_state.hpp"
#include "config/log.hpp"

namespace moai::actors::covalue_internal {

using namespace std::chrono;
using protocol::content_message;
using protocol::known_state;

namespace {

int content_priority(const protocol::covalue_state& cv) {
  const auto* h = cv.header();
  return static_cast<int>(h ? h->content_priority() : protocol::priority::medium);
}

// Sends what the peer lacks of us (its dependencies are done), or our known state when
// it lacks nothing and has not heard from us (or `force_known`).
void send_content(self_ptr self, peer_entry& e, bool force_known) {
  auto& c = parts_of(self);
  auto& p = e.record;
  const bool resend = std::exchange(p.resend_next, false);
  auto pieces = c.encoding.for_peer(c.cv, p.known, c.peers.size() > 1);
  if (!pieces.empty()) {
    for (std::size_t i = 0; i < pieces.size(); ++i) self->state.ctx.metrics->count_out(action::content);
    outgoing_messages out{std::move(pieces), content_priority(c.cv), self->state.id, p.known, resend, {}};
    if (resend) out.dependencies.assign(c.cv.dependencies().begin(), c.cv.dependencies().end());
    self->send(e.link.handle, std::move(out));
    protocol::merge_into(p.known, c.cv.known());
  } else if (force_known || !p.told_known) {
    send_known(self, e.link.handle, known_for(self, p.known));
  }
  p.told_known = true;
  for (auto& w : std::exchange(e.link.push_waiters, {})) w.deliver(push_done{self->state.id});
}

void finish_push(self_ptr self, peer_key key, std::uint64_t generation, bool force_known) {
  auto* e = parts_of(self).peers.find(key);
  if (!e) return;
  e->record.dependencies_pushed(generation);
  send_content(self, *e, force_known);
  bool again_force = false;
  if (e->record.take_push_again(again_force)) push_to(self, key, again_force, {});
}

}  // namespace

void push_to(self_ptr self, peer_key key, bool force_known, const std::vector<std::string>& visited) {
  auto& c = parts_of(self);
  auto* e = c.peers.find(key);
  if (!e || !c.cv.has_header()) return;
  const std::uint64_t generation = c.deps_generation;
  auto plan =
      e->record.plan_push(force_known, c.cv.dependencies(), generation, visited, is_upstream(self, e->link.handle));
  if (plan.next == push_plan::step::wait) return;
  if (plan.next == push_plan::step::send) {
    send_content(self, *e, force_known);
    return;
  }
  std::vector<std::string> chain = visited;
  chain.push_back(self->state.id);
  auto remaining = std::make_shared<std::size_t>(plan.dependencies.size());
  auto done = [=] {
    if (--*remaining == 0) finish_push(self, key, generation, force_known);
  };
  for (const auto& d : plan.dependencies) {
    self->state.requests.request<push_done>(
        self, self->state.ctx.manager, self->state.ctx.options.push_timeout,
        dependency_push{d, e->link.handle, e->record.peer_id, chain, std::nullopt}, [=](push_done&) { done(); },
        [=](caf::error& err) {
          log::debug(actor_origin(self), "dependency push did not finish in time",
                     {{"id", self->state.id}, {"dependency", d}, {"error", self->system().render(err)}});
          done();
        });
  }
}

void push_to_all(self_ptr self) {
  auto& c = parts_of(self);
  // The upstream learns what we have once it answered our load (it may hold it all).
  const auto& up = self->state.ctx.upstream;
  const peer_key hold_back = up && !c.upstream.answered() ? up->peer.id() : 0;
  for (auto key : c.peers.push_targets(hold_back)) push_to(self, key, false, {});
}

// Answers the loads that waited for the upstream with what we have now.
void answer_loads(self_ptr self, const std::vector<peer_key>& waiting) {
  auto& c = parts_of(self);
  for (auto key : waiting) {
    auto* e = c.peers.find(key);
    if (!e) continue;
    if (c.cv.has_header()) {
      push_to(self, key, true, {});
    } else {
      send_known(self, e->link.handle, known_state{self->state.id, false, {}});
      e->record.told_known = true;
    }
  }
}

}  // namespace moai::actors::covalue_internal
