#include "actors/admin/admin_json.hpp"

#include "base/json_number.hpp"
#include "base/json_text.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/json/json.hpp"

namespace moai::actors {
namespace {

// Compact JSON, written as it goes: members and elements get their commas.
class json_out {
 public:
  json_out& open(char bracket) {
    separate();
    out_ += bracket;
    fresh_ = true;
    return *this;
  }
  json_out& close(char bracket) {
    out_ += bracket;
    fresh_ = false;
    return *this;
  }
  json_out& key(std::string_view name) {
    separate();
    base::append_json_string(out_, name);
    out_ += ':';
    fresh_ = true;  // the value follows without a comma
    return *this;
  }
  json_out& number(double v) {
    separate();
    base::append_js_number(out_, v);
    return *this;
  }
  json_out& text(std::string_view s) {
    separate();
    base::append_json_string(out_, s);
    return *this;
  }
  json_out& boolean(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
  }
  json_out& raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
  }
  template <class T>
  json_out& member(std::string_view name, const T& value) {
    key(name);
    if constexpr (std::is_same_v<T, bool>) {
      return boolean(value);
    } else if constexpr (std::is_arithmetic_v<T>) {
      return number(static_cast<double>(value));
    } else {
      return text(value);
    }
  }
  std::string take() { return std::move(out_); }

 private:
  void separate() {
    if (!fresh_) out_ += ',';
    fresh_ = false;
  }
  std::string out_;
  bool fresh_ = true;
};

double load(const std::atomic<std::uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

template <std::size_t N, class Name>
void by_name(json_out& j, const char* member, const std::array<std::atomic<std::uint64_t>, N>& counters, Name name) {
  double total = 0;
  j.key(member).open('{');
  for (std::size_t i = 0; i < N; ++i) {
    j.member(name(i), load(counters[i]));
    total += load(counters[i]);
  }
  j.close('}');
  j.member(std::string(member) + "_total", total);
}

const char* ruleset_name(protocol::ruleset_kind r) {
  switch (r) {
    case protocol::ruleset_kind::group: return "group";
    case protocol::ruleset_kind::owned_by_group: return "ownedByGroup";
    case protocol::ruleset_kind::unsafe_allow_all: break;
  }
  return "unsafeAllowAll";
}

}  // namespace

std::string render_admin_stats(const sync_metrics& m, const gateway::server_counters& server,
                               const std::vector<actor_kind_summary>& kinds, const std::vector<actor_mailbox>& busiest,
                               const process_stats& process, double now_ms) {
  json_out j;
  j.open('{');
  j.member("time_ms", now_ms).member("uptime_s", process.uptime_seconds);
  j.member("connections_open", load(server.connections_open));
  j.member("connections_total", load(server.connections_total));
  by_name(j, "messages_in", m.messages_in, [](std::size_t i) { return std::string(action_name(static_cast<action>(i))); });
  by_name(j, "messages_out", m.messages_out, [](std::size_t i) { return std::string(action_name(static_cast<action>(i))); });
  by_name(j, "rejections", m.rejections, [](std::size_t i) { return std::string(rejection_name(static_cast<rejection>(i))); });
  j.member("transactions_accepted", load(m.transactions_accepted));
  // The commit-latency histogram as /metrics has it: cumulative counts per bound.
  const auto& h = m.storage_write_latency;
  j.key("storage").open('{');
  j.member("batches", load(m.storage_batches)).member("failures", load(m.storage_failures));
  j.member("write_count", load(h.count)).member("write_seconds_sum", load(h.sum_ns) / 1e9);
  j.key("write_buckets").open('[');
  double cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += load(h.buckets[i]);
    j.open('[');
    if (i < h.bounds.size()) {
      j.number(h.bounds[i]);
    } else {
      j.text("+Inf");
    }
    j.number(cumulative).close(']');
  }
  j.close(']').close('}');
  double covalues = 0;
  j.key("actors").open('[');
  for (const auto& k : kinds) {
    if (k.kind == "covalue") covalues = static_cast<double>(k.count);
    j.open('{').member("kind", k.kind).member("count", k.count).member("mailbox_total", k.mailbox_total);
    j.member("mailbox_max", k.mailbox_max).member("handled_total", k.handled_total);
    j.member("oldest_backlog_ms", k.oldest_backlog_ms).close('}');
  }
  j.close(']');
  j.member("covalues_in_memory", covalues);
  j.key("busiest").open('[');
  for (const auto& a : busiest) {
    j.open('{').member("kind", a.kind).member("id", a.id).member("mailbox", a.mailbox);
    j.member("backlog_ms", a.backlog_ms).close('}');
  }
  j.close(']');
  j.member("rss_bytes", process.resident_bytes).member("cpu_seconds", process.cpu_seconds);
  return j.close('}').take();
}

std::string render_inspection(const inspect_reply& r) {
  json_out j;
  j.open('{').member("id", r.id).member("found", r.found).member("in_memory", r.in_memory);
  if (!r.found) return j.close('}').take();
  j.member("deleted", r.deleted).key("header").raw(r.header);
  protocol::json_document doc;
  std::string error;
  if (protocol::parse_json(r.header, doc, error)) {
    if (auto h = protocol::parse_header(doc, error)) {
      j.member("type", h->type).member("ruleset", ruleset_name(h->ruleset));
      if (!h->group.empty()) j.member("owner", h->group);
      if (!h->initial_admin.empty()) j.member("initial_admin", h->initial_admin);
      if (!h->meta_type.empty()) j.member("meta_type", h->meta_type);
    }
  }
  std::uint64_t transactions = 0, private_transactions = 0;
  j.key("sessions").open('[');
  for (const auto& s : r.sessions) {
    transactions += s.transactions;
    private_transactions += s.private_transactions;
    j.open('{').member("session", s.session_id).member("author", std::string(protocol::session_author(s.session_id)));
    j.member("transactions", s.transactions).member("private_transactions", s.private_transactions);
    j.member("size", s.size).member("last_signature", s.last_signature).member("last_made_at", s.last_made_at);
    j.close('}');
  }
  j.close(']');
  j.member("transactions", transactions).member("private_transactions", private_transactions);
  // Private: every transaction is ciphertext; the server can read none of it.
  j.member("private", transactions > 0 && private_transactions == transactions);
  j.key("connections").open('[');
  for (const auto& p : r.peers) {
    j.open('{').member("peer", p.peer_id).member("upstream", p.upstream).member("has_header", p.has_header);
    j.member("transactions", p.transactions).close('}');
  }
  j.close(']');
  return j.close('}').take();
}

}  // namespace moai::actors
