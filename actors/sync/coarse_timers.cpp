#include "actors/sync/coarse_timers.hpp"

#include <pthread.h>

#include <algorithm>
#include <vector>

namespace moai::actors {

coarse_timers::coarse_timers(std::chrono::milliseconds resolution)
    : resolution_(std::max<clock::duration>(resolution, std::chrono::milliseconds(1))), thread_([this] { run(); }) {}

coarse_timers::~coarse_timers() {
  stop();
}

coarse_timers::clock::time_point coarse_timers::round_up(clock::time_point t) const {
  const auto since = t.time_since_epoch();
  const auto rounded = (since + resolution_ - clock::duration(1)) / resolution_ * resolution_;
  return clock::time_point(rounded);
}

coarse_timers::key coarse_timers::send_later(std::chrono::milliseconds delay, const caf::actor_addr& to,
                                             caf::message message) {
  std::lock_guard<std::mutex> lock(mutex_);
  const key k{round_up(clock::now() + delay), ++next_id_};
  table_.emplace(k, entry{to, std::move(message)});
  // The thread is woken only when it would otherwise sleep past this timer.
  if (k.due < sleeping_until_) wake_.notify_one();
  return k;
}

void coarse_timers::cancel(const key& k) {
  std::lock_guard<std::mutex> lock(mutex_);
  table_.erase(k);
}

std::size_t coarse_timers::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_.size();
}

void coarse_timers::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    table_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void coarse_timers::run() {
  pthread_setname_np(pthread_self(), "moai.timers");
  std::unique_lock<std::mutex> lock(mutex_);
  std::vector<entry> due;
  while (!stopping_) {
    const auto now = clock::now();
    while (!table_.empty() && table_.begin()->first.due <= now) {
      due.push_back(std::move(table_.begin()->second));
      table_.erase(table_.begin());
    }
    if (!due.empty()) {
      // Sent without the lock: an actor may set its next timer meanwhile.
      lock.unlock();
      for (auto& e : due) {
        if (auto to = caf::actor_cast<caf::strong_actor_ptr>(e.to)) {
          to->enqueue(nullptr, caf::make_message_id(), std::move(e.message), nullptr);
        }
      }
      due.clear();
      lock.lock();
      continue;
    }
    sleeping_until_ = table_.empty() ? clock::time_point::max() : table_.begin()->first.due;
    if (sleeping_until_ == clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, sleeping_until_);
    }
    sleeping_until_ = clock::time_point::min();  // awake: no need to be woken
  }
}

}  // namespace moai::actors
