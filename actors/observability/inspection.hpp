// Actor inspection: every actor owns a probe that it updates as it handles messages;
// a process-wide registry of probes answers "how busy is each kind of actor?" for
// the periodic inspection log, GET /debug/actors and /metrics.
//
// CAF's mailbox may only be sized by its owner, so an actor samples its own depth
// each time it handles a message. An actor that handles nothing (e.g. blocked on a
// request) keeps its last sample; its backlog age still grows, which is the signal.
#pragma once

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/log.hpp"

namespace moai::actors {

// Per kind, for as long as the process lives: what actors that have exited handled,
// so rates stay right while actors come and go.
struct actor_kind_counters {
  std::atomic<std::uint64_t> exited_handled{0};
};

struct actor_probe {
  actor_probe(const char* k, std::uint64_t i, actor_kind_counters* c) : kind(k), id(i), counters(c) {}
  ~actor_probe() { counters->exited_handled.fetch_add(handled.load(), std::memory_order_relaxed); }

  const char* kind;
  std::uint64_t id;
  actor_kind_counters* counters;
  std::atomic<std::uint64_t> handled{0};
  std::atomic<std::uint64_t> mailbox{0};
  // steady_clock nanoseconds since the mailbox was last seen non-empty without a
  // break; 0 while it is empty. "Oldest pending message" is at most this old.
  std::atomic<std::int64_t> backlog_since_ns{0};
};

// One line of the inspection record: an actor kind in aggregate.
struct actor_kind_summary {
  std::string kind;
  std::uint64_t count = 0;
  std::uint64_t mailbox_total = 0;
  std::uint64_t mailbox_max = 0;
  std::uint64_t handled_total = 0;  // since start, by every actor of this kind
  double handled_per_second = 0;    // since the previous periodic record
  double oldest_backlog_ms = 0;
};

// One actor's mailbox, for the admin page's busiest actors.
struct actor_mailbox {
  std::string kind;
  std::uint64_t id = 0;
  std::uint64_t mailbox = 0;
  double backlog_ms = 0;
};

class actor_registry {
 public:
  // Creates and registers a probe; the registry forgets it once the actor drops it.
  std::shared_ptr<actor_probe> enroll(const char* kind, std::uint64_t id);

  // Per kind, sorted by kind. Rates are computed against the totals of the last call
  // that advanced them (the periodic record), so a scrape does not skew the record.
  std::vector<actor_kind_summary> summary(bool advance_rates = false);

  // Live actors of `kind` (cheap: no sampling).
  std::uint64_t count(const std::string& kind);

  // The `n` live actors with the most messages waiting (ties: the longest backlog).
  std::vector<actor_mailbox> busiest(std::size_t n);

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<actor_probe>> probes_;
  std::map<std::string, std::unique_ptr<actor_kind_counters>> kinds_;
  std::map<std::string, std::uint64_t> last_handled_;
  std::chrono::steady_clock::time_point last_summary_ = std::chrono::steady_clock::now();
};

// Call at the start of every handler of an actor with a probe: counts the message and
// samples the mailbox (owner thread only).
template <class Self>
void note_message(Self* self, actor_probe& probe) {
  probe.handled.fetch_add(1, std::memory_order_relaxed);
  const auto depth = static_cast<std::uint64_t>(self->mailbox().size());
  probe.mailbox.store(depth, std::memory_order_relaxed);
  if (depth == 0) {
    probe.backlog_since_ns.store(0, std::memory_order_relaxed);
  } else if (probe.backlog_since_ns.load(std::memory_order_relaxed) == 0) {
    probe.backlog_since_ns.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                                 std::memory_order_relaxed);
  }
}

// Wraps a message handler of an actor with a probe (`self->state.probe`) so that every
// message it handles is noted first: `probed(self, [=](load_request& r) { … })`.
template <class Self, class F, class R, class C, class... Ts>
auto probed_handler(Self* self, F f, R (C::*)(Ts...) const) {
  return [self, f = std::move(f)](Ts... xs) -> R {
    note_message(self, *self->state.probe);
    return f(std::forward<Ts>(xs)...);
  };
}
template <class Self, class F>
auto probed(Self* self, F f) {
  return probed_handler(self, std::move(f), &F::operator());
}

// The log origin of an actor: its kind (the state's `name`) and CAF id.
template <class Self>
log::origin actor_origin(Self* self) {
  return {std::decay_t<decltype(self->state)>::name, self->id()};
}

// Asks the inspector for the current record (/metrics, GET /debug/actors). `deliver` is
// called once, on the inspector's thread.
struct actors_report_request {
  std::function<void(std::vector<actor_kind_summary>)> deliver;
};
using inspector_actor = caf::typed_actor<caf::reacts_to<actors_report_request>>;

// Answers report requests, and logs the inspection record every `interval` (zero: never)
// until it is told to exit.
inspector_actor spawn_inspector(caf::actor_system& system, actor_registry& registry,
                                std::chrono::milliseconds interval);

// JSON for GET /debug/actors.
std::string render_actor_summary_json(const std::vector<actor_kind_summary>& kinds);
// One structured log record per kind (the periodic inspection record).
void log_actor_summary(const std::vector<actor_kind_summary>& kinds);

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::actors_report_request)
