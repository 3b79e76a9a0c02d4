#include "actors/sync/retirement.hpp"

namespace moai::actors {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

bool is_idle(const activity& a, bool until_upstream_has_it) {
  if (until_upstream_has_it && a.upstream_lacks_ours) return false;
  return a.peers == 0 && !a.content_waiting && !a.storage_unsettled && !a.header_waiters;
}

std::optional<milliseconds> retirement::touched(clock::time_point now, bool idle) {
  last_activity_ = now;
  if (tick_scheduled_ || retire_requested_ || !idle) return std::nullopt;
  tick_scheduled_ = true;
  return idle_timeout_;
}

retirement::tick_outcome retirement::tick(clock::time_point now, bool idle) {
  tick_outcome out;
  tick_scheduled_ = false;
  if (!idle) return out;
  const auto quiet = now - last_activity_;
  if (quiet < idle_timeout_) {
    tick_scheduled_ = true;
    out.wait = idle_timeout_ - duration_cast<milliseconds>(quiet);
    return out;
  }
  retire_requested_ = true;
  out.ask_to_retire = true;
  return out;
}

bool retirement::evict(bool idle) {
  if (retire_requested_ || !idle) return false;
  retire_requested_ = true;
  return true;
}

bool retirement::decided(bool granted) {
  retire_requested_ = false;
  return granted;
}

}  // namespace moai::actors
