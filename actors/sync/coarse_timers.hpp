// Timers for actors that wake no thread when set or cancelled. Each of CAF's own
// (delayed_send, a request's timeout) wakes its clock thread when set, and a request's
// again when it expires, answered or not: on W1 (a request or two per new CoValue) that
// was a third of a context switch per transaction. Here a timer is an entry in a table
// under a mutex; one thread sleeps until the earliest due time, rounded up to
// `resolution` so timers due close together fire together, and sends each due timer's
// message. A timer fires up to `resolution` late, never early.
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <tuple>
#include <mutex>
#include <thread>
#include <utility>

namespace moai::actors {

class coarse_timers {
 public:
  using clock = std::chrono::steady_clock;
  struct key {
    clock::time_point due;
    std::uint64_t id = 0;
    bool operator<(const key& other) const { return std::tie(due, id) < std::tie(other.due, other.id); }
  };

  explicit coarse_timers(std::chrono::milliseconds resolution = std::chrono::milliseconds(100));
  ~coarse_timers();  // stop()
  coarse_timers(const coarse_timers&) = delete;
  coarse_timers& operator=(const coarse_timers&) = delete;

  // Sends `message` to `to` (if it still lives) after `delay`; the key cancels it.
  key send_later(std::chrono::milliseconds delay, const caf::actor_addr& to, caf::message message);
  template <class Handle, class... Ts>
  key send_later(std::chrono::milliseconds delay, const Handle& to, Ts&&... xs) {
    return send_later(delay, caf::actor_cast<caf::actor_addr>(to), caf::make_message(std::forward<Ts>(xs)...));
  }
  // Nothing happens if it fired already.
  void cancel(const key& k);

  // Pending timers never fire; the thread ends. Call before the actor system stops.
  void stop();

  std::size_t pending() const;

 private:
  struct entry {
    caf::actor_addr to;  // weak: a timer keeps no actor alive
    caf::message message;
  };
  void run();
  clock::time_point round_up(clock::time_point t) const;

  const clock::duration resolution_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<key, entry> table_;
  clock::time_point sleeping_until_ = clock::time_point::max();
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace moai::actors
