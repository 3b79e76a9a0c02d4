#include "actors/observability/inspection.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <cmath>

#include "base/json_number.hpp"
#include "base/json_text.hpp"

namespace moai::actors {

std::shared_ptr<actor_probe> actor_registry::enroll(const char* kind, std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& counters = kinds_[kind];
  if (!counters) counters = std::make_unique<actor_kind_counters>();
  auto probe = std::make_shared<actor_probe>(kind, id, counters.get());
  // Prune dead entries now and then so the list stays proportional to live actors.
  if (probes_.size() >= 64 && (probes_.size() & (probes_.size() - 1)) == 0) {
    probes_.erase(std::remove_if(probes_.begin(), probes_.end(), [](const auto& w) { return w.expired(); }),
                  probes_.end());
  }
  probes_.push_back(probe);
  return probe;
}

std::uint64_t actor_registry::count(const std::string& kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& w : probes_) {
    if (auto p = w.lock(); p && kind == p->kind) ++n;
  }
  return n;
}

std::vector<actor_mailbox> actor_registry::busiest(std::size_t n) {
  std::vector<actor_mailbox> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now_ns = std::chrono::steady_clock::now().time_since_epoch().count();
    for (const auto& w : probes_) {
      auto p = w.lock();
      if (!p) continue;
      const auto depth = p->mailbox.load(std::memory_order_relaxed);
      const auto since = p->backlog_since_ns.load(std::memory_order_relaxed);
      out.push_back({p->kind, p->id, depth, since != 0 && depth > 0 ? (now_ns - since) / 1e6 : 0.0});
    }
  }
  auto busier = [](const actor_mailbox& a, const actor_mailbox& b) {
    return a.mailbox != b.mailbox ? a.mailbox > b.mailbox : a.backlog_ms > b.backlog_ms;
  };
  if (out.size() > n) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), busier);
    out.resize(n);
  } else {
    std::sort(out.begin(), out.end(), busier);
  }
  return out;
}

std::vector<actor_kind_summary> actor_registry::summary(bool advance_rates) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t now_ns = now.time_since_epoch().count();
  std::map<std::string, actor_kind_summary> by_kind;
  for (const auto& [kind, counters] : kinds_) {
    auto& s = by_kind[kind];
    s.kind = kind;
    s.handled_total = counters->exited_handled.load(std::memory_order_relaxed);
  }
  std::vector<std::weak_ptr<actor_probe>> live;
  live.reserve(probes_.size());
  for (auto& w : probes_) {
    auto p = w.lock();
    if (!p) continue;
    live.push_back(w);
    auto& s = by_kind[p->kind];
    s.count++;
    const auto depth = p->mailbox.load(std::memory_order_relaxed);
    s.mailbox_total += depth;
    s.mailbox_max = std::max(s.mailbox_max, depth);
    s.handled_total += p->handled.load(std::memory_order_relaxed);
    const auto since = p->backlog_since_ns.load(std::memory_order_relaxed);
    if (since != 0 && depth > 0) s.oldest_backlog_ms = std::max(s.oldest_backlog_ms, (now_ns - since) / 1e6);
  }
  probes_.swap(live);
  const double seconds = std::chrono::duration<double>(now - last_summary_).count();
  std::vector<actor_kind_summary> out;
  for (auto& [kind, s] : by_kind) {
    auto& last = last_handled_[kind];
    if (seconds > 0 && s.handled_total >= last) s.handled_per_second = (s.handled_total - last) / seconds;
    if (advance_rates) last = s.handled_total;
    out.push_back(std::move(s));
  }
  if (advance_rates) last_summary_ = now;
  return out;
}

std::string render_actor_summary_json(const std::vector<actor_kind_summary>& kinds) {
  std::string out = "{\"kinds\":[";
  bool first = true;
  for (const auto& k : kinds) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"kind\":";
    base::append_json_string(out, k.kind);
    out += ",\"count\":" + std::to_string(k.count);
    out += ",\"mailbox_total\":" + std::to_string(k.mailbox_total);
    out += ",\"mailbox_max\":" + std::to_string(k.mailbox_max);
    out += ",\"handled_total\":" + std::to_string(k.handled_total);
    out += ",\"handled_per_second\":";
    base::append_js_number(out, std::round(k.handled_per_second * 10) / 10);
    out += ",\"oldest_backlog_ms\":";
    base::append_js_number(out, std::round(k.oldest_backlog_ms * 10) / 10);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

void log_actor_summary(const std::vector<actor_kind_summary>& kinds) {
  for (const auto& k : kinds) {
    log::info("inspect", "actors",
              {{"kind", k.kind},
               {"count", k.count},
               {"mailbox_total", k.mailbox_total},
               {"mailbox_max", k.mailbox_max},
               {"handled_per_s", std::round(k.handled_per_second * 10) / 10},
               {"oldest_backlog_ms", std::round(k.oldest_backlog_ms * 10) / 10}});
  }
}

namespace {

using inspect_atom = caf::atom_constant<caf::atom("inspect")>;  // time for the periodic record
using inspector_impl = inspector_actor::extend<caf::reacts_to<inspect_atom>>;

}  // namespace

inspector_actor spawn_inspector(caf::actor_system& system, actor_registry& registry,
                                std::chrono::milliseconds interval) {
  auto behavior = [&registry, interval](inspector_impl::pointer self) -> inspector_impl::behavior_type {
    if (interval.count() > 0) self->delayed_send(self, interval, inspect_atom::value);
    return {
        [=, &registry](inspect_atom) {
          log_actor_summary(registry.summary(true));
          self->delayed_send(self, interval, inspect_atom::value);
        },
        [&registry](actors_report_request& r) { r.deliver(registry.summary()); },
    };
  };
  return caf::actor_cast<inspector_actor>(system.spawn(behavior));
}

}  // namespace moai::actors
