// Known states: "what a peer holds of a CoValue" (guide §2), and their math.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace moai::protocol {

// sessionID → number of transactions held (the index of the next one).
using session_counts = std::map<std::string, std::uint32_t>;

struct known_state {
  std::string id;
  bool header = false;
  session_counts sessions;

  bool operator==(const known_state& o) const {
    return id == o.id && header == o.header && sessions == o.sessions;
  }
  bool operator!=(const known_state& o) const { return !(*this == o); }
};

// Per session the maximum; header true if either is.
void merge_into(known_state& target, const known_state& other);
void merge_into(session_counts& target, const session_counts& other);

// Per session the minimum (a session `other` lacks is dropped); header only if both
// have it. What is held by both.
void intersect_into(known_state& target, const known_state& other);

// True when `a` holds nothing that `b` lacks (header and every session count).
bool is_covered_by(const known_state& a, const known_state& b);

// Sessions where `ours` is ahead of `theirs`, with our counts (cojson's getKnownStateToSend).
session_counts counts_ahead_of(const session_counts& ours, const session_counts& theirs);

// cojson's shortHash of a known state's sessions, as sent in `reconcile`.
std::string sessions_short_hash(const session_counts& sessions);

}  // namespace moai::protocol
