// A token bucket that never refuses: each take() is granted and may leave the bucket in
// debt, and the answer is how long the taker should wait before taking more (so the
// caller slows its reads instead of dropping what it already read). The bucket holds at
// most one second's worth, so an idle taker may burst that much. Not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace moai::protocol {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // `per_second` tokens come in each second; 0 means unlimited (take() never waits).
  explicit token_bucket(std::uint32_t per_second = 0, clock::time_point now = clock::now())
      : rate_(per_second), tokens_(per_second), updated_(now) {}

  std::uint32_t rate() const { return rate_; }

  // A new rate keeps the tokens (or debt) the bucket holds, capped at the new size; a
  // bucket that was unlimited starts full.
  void set_rate(std::uint32_t per_second, clock::time_point now) {
    refill(now);
    tokens_ = rate_ == 0 ? per_second : std::min(tokens_, static_cast<double>(per_second));
    rate_ = per_second;
  }

  // Takes `n` tokens; returns how long until the bucket is out of debt (zero if it is not in debt).
  clock::duration take(std::uint64_t n, clock::time_point now) {
    if (rate_ == 0) return clock::duration::zero();
    refill(now);
    tokens_ -= static_cast<double>(n);
    if (tokens_ >= 0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
  }

  double tokens(clock::time_point now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(clock::time_point now) {
    if (now <= updated_) return;
    const double seconds = std::chrono::duration<double>(now - updated_).count();
    tokens_ = std::min(static_cast<double>(rate_), tokens_ + seconds * rate_);
    updated_ = now;
  }

  std::uint32_t rate_;
  double tokens_;
  clock::time_point updated_;
};

}  // namespace moai::protocol
