// PEER_STORAGE=memory: nothing survives a restart. Same semantics as the SQLite store.
#include <algorithm>

#include "storage/covalue_store.hpp"

namespace moai::storage {
namespace {

class memory_store final : public covalue_store {
 public:
  const char* kind() const override { return "memory"; }

  std::optional<stored_covalue> load(const std::string& id) override {
    auto it = covalues_.find(id);
    if (it == covalues_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<std::map<std::string, std::uint32_t>> load_known(const std::string& id) override {
    auto it = covalues_.find(id);
    if (it == covalues_.end()) return std::nullopt;
    std::map<std::string, std::uint32_t> out;
    for (const auto& s : it->second.sessions) out[s.session_id] = static_cast<std::uint32_t>(s.transactions.size());
    return out;
  }

  std::vector<stored_known> list_known(const std::string& after, std::size_t limit) override {
    std::vector<stored_known> out;
    for (auto it = covalues_.upper_bound(after); it != covalues_.end() && out.size() < limit; ++it) {
      out.push_back({it->first, *load_known(it->first)});
    }
    return out;
  }

  std::vector<std::size_t> write(const std::vector<covalue_write>& writes) override {
    std::vector<std::size_t> incomplete;
    for (std::size_t wi = 0; wi < writes.size(); ++wi) {
      const auto& w = writes[wi];
      auto it = covalues_.find(w.id);
      if (it == covalues_.end()) {
        if (w.header.empty()) {
          if (!w.batches.empty()) incomplete.push_back(wi);
          continue;
        }
        it = covalues_.emplace(w.id, stored_covalue{w.id, w.header, {}, false}).first;
      }
      auto& cv = it->second;
      if (w.replace_header && !w.header.empty()) cv.header = w.header;
      for (const auto& b : w.batches) {
        stored_session* s = nullptr;
        for (auto& existing : cv.sessions) {
          if (existing.session_id == b.session_id) s = &existing;
        }
        const auto stored = s ? static_cast<std::uint32_t>(s->transactions.size()) : 0u;
        if (b.after > stored) {
          if (incomplete.empty() || incomplete.back() != wi) incomplete.push_back(wi);
          continue;
        }
        if (!s) {
          cv.sessions.emplace_back();
          cv.sessions.back().session_id = b.session_id;
          s = &cv.sessions.back();
        }
        const std::size_t skip = b.replace ? 0 : stored - b.after;
        if (skip >= b.transactions.size()) continue;
        const auto new_count = b.after + static_cast<std::uint32_t>(b.transactions.size());
        if (s->transactions.size() < new_count) s->transactions.resize(new_count);
        std::copy(b.transactions.begin() + static_cast<std::ptrdiff_t>(skip), b.transactions.end(),
                  s->transactions.begin() + b.after + static_cast<std::ptrdiff_t>(skip));
        if (new_count >= stored) {  // else rows replaced inside the stored range
          s->last_signature = b.last_signature;
          s->bytes_since_checkpoint = b.bytes_since_checkpoint;
        }
        if (b.checkpoint || new_count < stored) s->checkpoints[new_count - 1] = b.last_signature;
      }
      if (w.deleted) {
        // As the SQLite store: only the delete sessions (IDs ending in '$') remain.
        cv.deleted = true;
        auto& ss = cv.sessions;
        ss.erase(
            std::remove_if(ss.begin(), ss.end(),
                           [](const stored_session& s) { return s.session_id.empty() || s.session_id.back() != '$'; }),
            ss.end());
      }
    }
    return incomplete;
  }

  store_stats stats() override {
    store_stats st;
    st.covalues = covalues_.size();
    for (const auto& [id, cv] : covalues_) {
      st.sessions += cv.sessions.size();
      for (const auto& s : cv.sessions) st.transactions += s.transactions.size();
    }
    return st;
  }

  std::uint64_t trim_session(const std::string& id, const std::string& session_id, std::uint32_t keep,
                             const std::string& signature) override {
    auto it = covalues_.find(id);
    if (it == covalues_.end()) return 0;
    auto& ss = it->second.sessions;
    for (auto s = ss.begin(); s != ss.end(); ++s) {
      if (s->session_id != session_id) continue;
      const std::uint64_t removed = s->transactions.size() > keep ? s->transactions.size() - keep : 0;
      if (keep == 0) {
        ss.erase(s);
        return removed;
      }
      if (removed) s->transactions.resize(keep);
      s->checkpoints.erase(s->checkpoints.lower_bound(keep), s->checkpoints.end());
      s->last_signature = signature;
      s->bytes_since_checkpoint = 0;
      return removed;
    }
    return 0;
  }

 private:
  std::map<std::string, stored_covalue> covalues_;
};

}  // namespace

std::unique_ptr<covalue_store> open_memory_store() {
  return std::make_unique<memory_store>();
}

}  // namespace moai::storage
