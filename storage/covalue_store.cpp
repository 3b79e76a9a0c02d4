#include "storage/covalue_store.hpp"

#include <algorithm>
#include <stdexcept>

namespace moai::storage {

void trim_to_since(stored_covalue& cv, const std::map<std::string, std::uint32_t>& since) {
  std::vector<stored_session> kept;
  for (auto& s : cv.sessions) {
    auto it = since.find(s.session_id);
    const std::uint32_t from = it == since.end() ? 0 : it->second;
    const std::uint32_t count =
        s.recorded_count ? *s.recorded_count : s.first + static_cast<std::uint32_t>(s.transactions.size());
    if (count <= from) continue;  // nothing beyond what the asker holds
    if (from > s.first) {
      const std::uint32_t drop =
          std::min<std::uint32_t>(from - s.first, static_cast<std::uint32_t>(s.transactions.size()));
      s.transactions.erase(s.transactions.begin(), s.transactions.begin() + drop);
      s.first += drop;
      if (s.gap && s.gap->position >= drop) {
        s.gap->position -= drop;
      } else if (s.gap) {  // rows past a gap before `from` are not where their places say
        s.transactions.clear();
        s.gap.reset();
      }
    }
    s.checkpoints.erase(s.checkpoints.begin(), s.checkpoints.lower_bound(from));
    kept.push_back(std::move(s));
  }
  cv.sessions = std::move(kept);
}

std::optional<stored_covalue> covalue_store::load_since(const load_query& q) {
  auto cv = load(q.id);
  if (cv && q.since) trim_to_since(*cv, *q.since);
  return cv;
}

std::vector<load_result> covalue_store::load_many(const std::vector<load_query>& queries) {
  std::vector<load_result> out(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    try {
      out[i].covalue = load_since(queries[i]);
    } catch (const std::exception& e) {
      out[i].error = e.what();
    }
  }
  return out;
}

}  // namespace moai::storage
