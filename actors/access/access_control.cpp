#include "actors/access/access_control.hpp"

#include <algorithm>
#include <utility>

#include "protocol/access/api_key.hpp"

namespace moai::actors {

struct key_entry {
  storage::api_key_record record;
  bool revoked = false;
  std::size_t connections = 0;
  protocol::token_bucket transactions;
  std::uint64_t unflushed_bytes = 0;  // counted here, not yet handed to the table
  std::uint64_t flushing_bytes = 0;   // handed out, not yet in record.stored_bytes
  std::vector<access_grant*> grants;  // connected; each removes itself

  std::uint64_t stored_bytes() const { return record.stored_bytes + flushing_bytes + unflushed_bytes; }
};

struct ip_entry {
  std::size_t connections = 0;
  protocol::token_bucket messages;
};

struct access_state {
  std::mutex mutex;
  access_counters* counters = nullptr;
  std::map<std::string, std::shared_ptr<key_entry>> keys_by_hash;
  std::map<std::string, std::shared_ptr<key_entry>> keys_by_id;
  std::map<std::string, std::shared_ptr<ip_entry>> ips;
};

access_grant::access_grant(std::shared_ptr<access_state> state, std::shared_ptr<key_entry> key,
                           std::shared_ptr<ip_entry> ip, std::string ip_address)
    : state_(std::move(state)), key_(std::move(key)), ip_(std::move(ip)), ip_address_(std::move(ip_address)) {
  if (key_) key_id_ = key_->record.id;
  // A key's rate may be set later (moai keys changes the table): keys are always paced.
  paces_ = key_ != nullptr || (ip_ && ip_->messages.rate() > 0);
}

access_grant::~access_grant() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (key_) {
    key_->connections--;
    auto& g = key_->grants;
    for (auto it = g.begin(); it != g.end(); ++it) {
      if (*it == this) {
        g.erase(it);
        break;
      }
    }
  }
  if (ip_) {
    ip_->connections--;
    // Kept while its bucket is in debt, so reconnecting does not wipe a rate limit's debt.
    if (ip_->connections == 0 && ip_->messages.tokens(access_clock::now()) >= ip_->messages.rate()) {
      state_->ips.erase(ip_address_);
    }
  }
}

access_clock::duration access_grant::pace(const frame_charge& c, access_clock::time_point now) {
  if (!paces_) return access_clock::duration::zero();
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto pause = key_ ? key_->transactions.take(c.transactions, now) : ip_->messages.take(c.messages, now);
  if (pause > access_clock::duration::zero()) (key_ ? state_->counters->rate_limited_key : state_->counters->rate_limited_ip)++;
  return pause;
}

bool access_grant::store(std::uint64_t bytes) {
  if (!key_ || bytes == 0) return true;
  std::lock_guard<std::mutex> lock(state_->mutex);
  const auto quota = key_->record.limits.max_stored_bytes;
  if (quota != 0 && key_->stored_bytes() + bytes > quota) {
    state_->counters->closed_storage_quota++;
    return false;
  }
  key_->unflushed_bytes += bytes;
  return true;
}

void access_grant::on_revoked(std::function<void()> close) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  close_on_revoke_ = std::move(close);
}

access_control::access_control(access_settings settings, access_counters& counters)
    : settings_(settings), state_(std::make_shared<access_state>()) {
  state_->counters = &counters;
}

admission access_control::admit(const std::optional<std::string>& key, const std::string& ip,
                                access_clock::time_point now) {
  auto refuse = [&](refusal why, unsigned status, std::string message) {
    state_->counters->refused[static_cast<std::size_t>(why)]++;
    return admission{status, std::move(message), nullptr};
  };
  if (key) {
    const auto hash = protocol::api_key_hash(*key);
    std::unique_lock<std::mutex> lock(state_->mutex);
    auto it = state_->keys_by_hash.find(hash);
    if (it == state_->keys_by_hash.end()) {
      lock.unlock();
      if (on_unknown_key_) on_unknown_key_();
      return refuse(refusal::unknown_key, 401, "unknown API key");
    }
    auto& entry = it->second;
    if (entry->revoked) return refuse(refusal::revoked_key, 401, "API key revoked");
    const auto limit = entry->record.limits.max_connections;
    if (limit != 0 && entry->connections >= limit) {
      return refuse(refusal::key_connections, 429,
                    "too many connections for this API key (limit " + std::to_string(limit) + ")");
    }
    entry->connections++;
    auto grant = std::make_shared<access_grant>(state_, entry, nullptr, ip);
    entry->grants.push_back(grant.get());
    return admission{0, {}, std::move(grant)};
  }
  if (settings_.require_key) {
    return refuse(refusal::missing_key, 401, "an API key is required: add ?key=<your key> to the sync URL");
  }
  if (settings_.max_connections_per_ip == 0 && settings_.messages_per_second_per_ip == 0) return {};
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto& entry = state_->ips[ip];
  if (!entry) entry = std::make_shared<ip_entry>(ip_entry{0, protocol::token_bucket(settings_.messages_per_second_per_ip, now)});
  if (settings_.max_connections_per_ip != 0 && entry->connections >= settings_.max_connections_per_ip) {
    return refuse(refusal::ip_connections, 429,
                  "too many connections from this address (limit " + std::to_string(settings_.max_connections_per_ip) +
                      "); an API key lifts this limit");
  }
  entry->connections++;
  return admission{0, {}, std::make_shared<access_grant>(state_, nullptr, entry, ip)};
}

void access_control::replace_keys(const std::vector<storage::api_key_record>& keys, access_clock::time_point now) {
  std::vector<std::function<void()>> closes;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    std::map<std::string, std::shared_ptr<key_entry>> by_id, by_hash;
    for (const auto& record : keys) {
      auto it = state_->keys_by_id.find(record.id);
      std::shared_ptr<key_entry> entry;
      if (it != state_->keys_by_id.end()) {
        entry = it->second;
        entry->transactions.set_rate(record.limits.tx_per_second, now);
      } else {
        entry = std::make_shared<key_entry>();
        entry->transactions = protocol::token_bucket(record.limits.tx_per_second, now);
      }
      entry->record = record;
      entry->flushing_bytes = 0;
      entry->revoked = record.revoked_at_ms.has_value();
      by_id[record.id] = entry;
      by_hash[record.secret_hash] = entry;
    }
    // A key gone from the table counts as revoked for the connections it has.
    for (auto& [id, entry] : state_->keys_by_id) {
      if (!by_id.count(id)) entry->revoked = true;
    }
    for (auto& [id, entry] : state_->keys_by_id) {
      if (!entry->revoked) continue;
      for (auto* grant : entry->grants) {
        if (grant->close_on_revoke_) {
          state_->counters->closed_revoked++;
          closes.push_back(std::exchange(grant->close_on_revoke_, nullptr));
        }
      }
    }
    state_->keys_by_id = std::move(by_id);
    state_->keys_by_hash = std::move(by_hash);
    // Addresses whose connections left in debt, once the debt is paid.
    for (auto it = state_->ips.begin(); it != state_->ips.end();) {
      auto& ip = *it->second;
      it = ip.connections == 0 && ip.messages.tokens(now) >= ip.messages.rate() ? state_->ips.erase(it) : std::next(it);
    }
  }
  for (auto& close : closes) close();
}

std::map<std::string, std::uint64_t> access_control::take_stored_bytes() {
  std::map<std::string, std::uint64_t> out;
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (auto& [id, entry] : state_->keys_by_id) {
    if (entry->unflushed_bytes == 0) continue;
    out[id] = entry->unflushed_bytes;
    entry->flushing_bytes += entry->unflushed_bytes;
    entry->unflushed_bytes = 0;
  }
  return out;
}

void access_control::give_back_stored_bytes(const std::map<std::string, std::uint64_t>& bytes_by_id) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (const auto& [id, bytes] : bytes_by_id) {
    auto it = state_->keys_by_id.find(id);
    if (it == state_->keys_by_id.end()) continue;
    auto& entry = *it->second;
    const auto moved = std::min(bytes, entry.flushing_bytes);
    entry.flushing_bytes -= moved;
    entry.unflushed_bytes += bytes;
  }
}

std::size_t access_control::active_keys() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::size_t n = 0;
  for (const auto& [id, entry] : state_->keys_by_id) n += entry->revoked ? 0 : 1;
  return n;
}

std::map<std::string, std::size_t> access_control::connections_by_key() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::map<std::string, std::size_t> out;
  for (const auto& [id, entry] : state_->keys_by_id) out[id] = entry->connections;
  return out;
}

frame_charge count_frame(std::string_view text) {
  frame_charge c;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    if (end > start) c.messages++;
    start = end + 1;
  }
  static constexpr std::string_view kMadeAt = "\"madeAt\"";
  for (auto at = text.find(kMadeAt); at != std::string_view::npos; at = text.find(kMadeAt, at + kMadeAt.size())) {
    auto after = at + kMadeAt.size();
    while (after < text.size() && (text[after] == ' ' || text[after] == '\t' || text[after] == '\r' || text[after] == '\n')) {
      after++;
    }
    if (after < text.size() && text[after] == ':') c.transactions++;
  }
  return c;
}

frame_charge charge_of(const std::vector<protocol::sync_message>& messages) {
  frame_charge c;
  c.messages = messages.size();
  for (const auto& m : messages) {
    const auto* content = std::get_if<protocol::content_message>(&m);
    if (!content) continue;
    for (const auto& session : content->sessions) {
      c.transactions += session.transactions.size();
      for (const auto& tx : session.transactions) c.transaction_bytes += tx.json.size();
    }
  }
  return c;
}

}  // namespace moai::actors
