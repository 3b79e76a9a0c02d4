#include "gateway/server/http_types.hpp"

#include <utility>

namespace moai::gateway {

http_response json_response(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void response_stream::write(std::string chunk) {
  if (chunk.empty()) return;
  std::unique_lock<std::mutex> lock(mutex_);
  if (finished_ || cancelled_) return;
  queued_bytes_ += chunk.size();
  if (queued_bytes_ > kMaxQueuedBytes) {
    cancelled_ = true;
    queued_.clear();
    queued_bytes_ = 0;
  } else {
    queued_.push_back(std::move(chunk));
  }
  wake_locked(lock);
}

void response_stream::finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (finished_ || cancelled_) return;
  finished_ = true;
  wake_locked(lock);
}

bool response_stream::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

void response_stream::attach(std::function<void()> wake) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_ = std::move(wake);
  if (!queued_.empty() || finished_ || cancelled_) wake_locked(lock);
}

void response_stream::take(std::deque<std::string>& out, bool& finished) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& chunk : queued_) out.push_back(std::move(chunk));
  queued_.clear();
  queued_bytes_ = 0;
  finished = finished_;
  // The wake function holds the session: let go once nothing more can come.
  if (finished_ || cancelled_) wake_ = nullptr;
}

void response_stream::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  queued_.clear();
  queued_bytes_ = 0;
  wake_ = nullptr;
}

// Calls the wake function outside the lock: it may post, and posting may run inline.
void response_stream::wake_locked(std::unique_lock<std::mutex>& lock) {
  auto wake = wake_;
  lock.unlock();
  if (wake) wake();
}

}  // namespace moai::gateway
