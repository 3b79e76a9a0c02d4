// How long to wait before retrying storage: the covalue actor's rewrite after a failed
// write and the storage writer's retry of a failed read back off the same way.
#pragma once

#include <algorithm>
#include <chrono>

namespace moai::actors {

// 100 ms after the first failure, doubling up to 5 s.
inline std::chrono::milliseconds next_retry_backoff(std::chrono::milliseconds previous) {
  return std::clamp(previous * 2, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
}

}  // namespace moai::actors
