// When a CoValue actor leaves memory. An actor with no peer but the upstream, nothing
// queued, in flight or held, and (unless memory is short) nothing the upstream lacks,
// is idle; after `idle_timeout` of idleness it asks the manager to retire, and the
// manager grants it only if it routed nothing to it since (the `received` count), so no
// message is lost to a retiring actor. Under memory pressure the manager asks idle
// actors to retire at once (evict). The reloaded CoValue is read back from storage.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace moai::actors {

// What keeps a CoValue in memory.
struct activity {
  std::size_t peers = 0;           // peers other than the upstream
  bool content_waiting = false;    // staged or queued content, or dependencies asked for
  bool storage_unsettled = false;  // writes in flight, acknowledgements held, a rewrite scheduled
  bool header_waiters = false;     // others wait for our header
  bool upstream_lacks_ours = false;
};

// `until_upstream_has_it`: also wait until the upstream confirmed what we hold. Eviction
// does not (the storage reconcile on the next connection brings it up).
bool is_idle(const activity& a, bool until_upstream_has_it = true);

class retirement {
 public:
  using clock = std::chrono::steady_clock;

  explicit retirement(std::chrono::milliseconds idle_timeout) : idle_timeout_(idle_timeout) {}

  // A message routed by the manager (counted for the retire handshake).
  void routed() { ++received_; }
  std::uint64_t received() const { return received_; }

  // Something happened. Returns the delay of an idle tick to schedule (none when one is
  // scheduled, a retirement is asked for, or the actor is busy).
  std::optional<std::chrono::milliseconds> touched(clock::time_point now, bool idle);

  struct tick_outcome {
    bool ask_to_retire = false;
    std::optional<std::chrono::milliseconds> wait;  // tick again after this
  };
  // The idle tick came.
  tick_outcome tick(clock::time_point now, bool idle);

  // The manager asks us to leave (memory pressure). True: ask to retire now.
  bool evict(bool idle);

  // The manager's decision. True: quit now. Otherwise the actor stays, and touched()
  // schedules the next tick.
  bool decided(bool granted);

 private:
  std::chrono::milliseconds idle_timeout_;
  clock::time_point last_activity_ = clock::now();
  std::uint64_t received_ = 0;
  bool tick_scheduled_ = false;
  bool retire_requested_ = false;
};

}  // namespace moai::actors
