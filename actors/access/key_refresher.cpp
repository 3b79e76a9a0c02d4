#include "actors/access/key_refresher.hpp"

#include <pthread.h>

#include "config/log.hpp"

namespace moai::actors {

key_refresher::key_refresher(std::unique_ptr<storage::api_key_store> store, access_control& access,
                             std::chrono::milliseconds period)
    : store_(std::move(store)), access_(access), period_(period) {}

key_refresher::~key_refresher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  try {
    refresh();
  } catch (const std::exception& e) {
    log::warn("access", "the keys' last stored-byte counts could not be stored", {{"error", e.what()}});
  }
}

void key_refresher::refresh() {
  auto counted = access_.take_stored_bytes();
  try {
    store_->add_stored_bytes(counted);
  } catch (...) {
    access_.give_back_stored_bytes(counted);
    throw;
  }
  access_.replace_keys(store_->list());
}

void key_refresher::start() {
  thread_ = std::thread([this] { run(); });
}

void key_refresher::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void key_refresher::run() {
  pthread_setname_np(pthread_self(), "moai.keys");
  // A flood of unknown keys must not turn into a flood of queries.
  constexpr auto kMinGap = std::chrono::milliseconds(250);
  auto last_error_log = std::chrono::steady_clock::time_point{};
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, period_, [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    try {
      refresh();
    } catch (const std::exception& e) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_error_log > std::chrono::seconds(10)) {
        last_error_log = now;
        log::warn("access", "the key table could not be read; the keys read last stay in force", {{"error", e.what()}});
      }
    }
    std::this_thread::sleep_for(kMinGap);
    lock.lock();
  }
}

}  // namespace moai::actors
