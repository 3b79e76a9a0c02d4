#include "actors/observability/prometheus.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include "base/json_number.hpp"

namespace moai::actors {
namespace {

// Prometheus and JavaScript spell finite numbers the same way ("1e-7", "0.25").
std::string number(double v) {
  std::string out;
  base::append_js_number(out, v);
  return out;
}

class exposition {
 public:
  // Starts a metric family: its HELP and TYPE lines.
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(const std::string& name, double value, const std::string& labels = {}) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  // A label value: backslash, quote and newline escaped as the format requires.
  static std::string label(const char* key, std::string_view value) {
    std::string out = key;
    out += "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
    return out;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

double load(const std::atomic<std::uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

}  // namespace

process_stats read_process_stats(double uptime_seconds) {
  process_stats p;
  p.uptime_seconds = uptime_seconds;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long size = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) == 2) {
      p.resident_bytes = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(f);
  }
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    p.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  return p;
}

std::string render_prometheus(const sync_metrics& m, const gateway::server_counters& server,
                              const std::vector<actor_kind_summary>& actors, const process_stats& process) {
  exposition e;
  e.family("moai_connections_open", "gauge", "WebSocket /sync connections currently open.");
  e.sample("moai_connections_open", load(server.connections_open));
  e.family("moai_connections_total", "counter", "WebSocket /sync connections accepted since start.");
  e.sample("moai_connections_total", load(server.connections_total));
  e.family("moai_connections_rejected_total", "counter", "WebSocket upgrades refused at the connection limit.");
  e.sample("moai_connections_rejected_total", load(server.connections_rejected));
  e.family("moai_sync_upgrades_refused_total", "counter",
           "/sync upgrades refused by access control (API keys, per-key and per-IP limits), by reason.");
  for (std::size_t i = 0; i < static_cast<std::size_t>(refusal::count); ++i) {
    e.sample("moai_sync_upgrades_refused_total", load(m.access.refused[i]),
             exposition::label("reason", refusal_name(static_cast<refusal>(i))));
  }
  e.family("moai_sync_rate_limited_total", "counter",
           "Frames after which reading a /sync connection paused for a rate limit, by limit.");
  e.sample("moai_sync_rate_limited_total", load(m.access.rate_limited_key), exposition::label("limit", "key_tx_per_second"));
  e.sample("moai_sync_rate_limited_total", load(m.access.rate_limited_ip),
           exposition::label("limit", "ip_messages_per_second"));
  e.family("moai_sync_access_closed_total", "counter",
           "/sync connections closed by access control: key revoked (4401), stored bytes quota (4507).");
  e.sample("moai_sync_access_closed_total", load(m.access.closed_revoked), exposition::label("reason", "key_revoked"));
  e.sample("moai_sync_access_closed_total", load(m.access.closed_storage_quota),
           exposition::label("reason", "storage_quota"));
  e.family("moai_accept_failures_total", "counter", "Connections the listener could not accept (e.g. no file descriptors left).");
  e.sample("moai_accept_failures_total", load(server.accept_failures));
  e.family("moai_frame_bytes_buffered", "gauge",
           "Bytes of incoming WebSocket messages still arriving, across all connections.");
  e.sample("moai_frame_bytes_buffered", load(server.frame_bytes_buffered));
  e.family("moai_connections_closed_over_frame_budget_total", "counter",
           "Connections closed with 1013 because their message would exceed limits.max_buffered_frame_bytes.");
  e.sample("moai_connections_closed_over_frame_budget_total", load(server.closed_over_frame_budget));
  e.family("moai_slow_consumers_disconnected_total", "counter",
           "Peers disconnected because their outgoing queue exceeded the limit.");
  e.sample("moai_slow_consumers_disconnected_total", load(m.slow_consumers_closed));
  e.family(
      "moai_content_held_back_total", "counter",
      "CoValue contents held back from a peer whose outgoing queue was over the limit, to be resent as it drains.");
  e.sample("moai_content_held_back_total", load(m.content_held_back));
  e.family("moai_http_requests_total", "counter", "HTTP requests received (upgrades included).");
  e.sample("moai_http_requests_total", load(server.http_requests));

  e.family("moai_messages_in_total", "counter", "Sync messages received, by action.");
  for (std::size_t i = 0; i < static_cast<std::size_t>(action::count); ++i) {
    e.sample("moai_messages_in_total", load(m.messages_in[i]),
             exposition::label("action", action_name(static_cast<action>(i))));
  }
  e.family("moai_messages_out_total", "counter", "Sync messages sent, by action.");
  for (std::size_t i = 0; i < static_cast<std::size_t>(action::count); ++i) {
    e.sample("moai_messages_out_total", load(m.messages_out[i]),
             exposition::label("action", action_name(static_cast<action>(i))));
  }
  e.family("moai_received_bytes_total", "counter", "WebSocket payload bytes received.");
  e.sample("moai_received_bytes_total", load(server.bytes_in));
  e.family("moai_sent_bytes_total", "counter", "WebSocket bytes sent.");
  e.sample("moai_sent_bytes_total", load(server.bytes_out));
  e.family("moai_frames_in_total", "counter", "WebSocket messages received.");
  e.sample("moai_frames_in_total", load(server.frames_in));
  e.family("moai_frames_out_total", "counter", "WebSocket messages sent (pings included).");
  e.sample("moai_frames_out_total", load(server.frames_out));

  e.family("moai_rejections_total", "counter", "Input dropped by verification, by reason.");
  for (std::size_t i = 0; i < static_cast<std::size_t>(rejection::count); ++i) {
    e.sample("moai_rejections_total", load(m.rejections[i]),
             exposition::label("reason", rejection_name(static_cast<rejection>(i))));
  }
  e.family("moai_transactions_accepted_total", "counter", "Transactions verified and stored.");
  e.sample("moai_transactions_accepted_total", load(m.transactions_accepted));

  e.family("moai_storage_write_batches_total", "counter", "Database transactions committed by the storage writer.");
  e.sample("moai_storage_write_batches_total", load(m.storage_batches));
  e.family("moai_storage_writes_total", "counter", "CoValue writes committed (several per batch).");
  e.sample("moai_storage_writes_total", load(m.storage_writes));
  e.family("moai_storage_failures_total", "counter", "Failed storage batches (nothing of them was acknowledged).");
  e.sample("moai_storage_failures_total", load(m.storage_failures));
  e.family("moai_storage_loads_total", "counter", "CoValues read from storage.");
  e.sample("moai_storage_loads_total", load(m.storage_loads));
  e.family("moai_storage_read_failures_total", "counter", "CoValue reads that failed (each is retried).");
  e.sample("moai_storage_read_failures_total", load(m.storage_read_failures));
  auto histogram = [&](const std::string& name, const char* help, const latency_histogram& h) {
    e.family(name.c_str(), "histogram", help);
    double cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
      cumulative += load(h.buckets[i]);
      e.sample(name + "_bucket", cumulative, exposition::label("le", number(h.bounds[i])));
    }
    cumulative += load(h.buckets[h.bounds.size()]);
    e.sample(name + "_bucket", cumulative, exposition::label("le", "+Inf"));
    e.sample(name + "_sum", load(h.sum_ns) / 1e9);
    e.sample(name + "_count", load(h.count));
  };
  histogram("moai_storage_write_seconds", "Time to commit one storage batch.", m.storage_write_latency);

  // Several nodes on one PostgreSQL database.
  auto counter = [&](const char* name, const char* help, double value) {
    e.family(name, "counter", help);
    e.sample(name, value);
  };
  counter("moai_changes_announced_total", "Commits announced to other nodes (NOTIFY, one per CoValue).",
          load(m.changes_announced));
  counter("moai_changes_heard_total", "Announcements of other nodes' commits received (LISTEN).",
          load(m.changes_heard));
  counter("moai_catch_up_reads_total",
          "CoValues in memory read again because other nodes stored more (or the feed was lost).",
          load(m.catch_up_reads));
  counter("moai_catch_up_transactions_total", "Transactions other nodes stored, taken into memory.",
          load(m.catch_up_transactions));
  counter("moai_change_feed_resyncs_total",
          "Times the change feed came back after a loss and every CoValue in memory was compared with storage.",
          load(m.resyncs));
  histogram("moai_cross_node_lag_seconds",
            "From another node's commit to its content reaching this node's subscribers (by both clocks).",
            m.cross_node_lag);
  if (const int link = m.database_link.load(std::memory_order_relaxed); link >= 0) {
    e.family("moai_database_link_up", "gauge", "1 while the change feed's connection to PostgreSQL is up.");
    e.sample("moai_database_link_up", link);
  }

  // One family per figure of the actor inspection, a sample per actor kind.
  auto per_kind = [&](const char* name, const char* type, const char* help, auto figure) {
    e.family(name, type, help);
    for (const auto& k : actors) e.sample(name, figure(k), exposition::label("kind", k.kind));
  };
  using kind = actor_kind_summary;
  per_kind("moai_actors", "gauge", "Live actors, by kind (covalue = CoValues in memory).",
           [](const kind& k) { return static_cast<double>(k.count); });
  per_kind("moai_actor_mailbox_depth", "gauge", "Messages waiting in mailboxes, summed over the actors of a kind.",
           [](const kind& k) { return static_cast<double>(k.mailbox_total); });
  per_kind("moai_actor_mailbox_depth_max", "gauge", "The deepest mailbox among the actors of a kind.",
           [](const kind& k) { return static_cast<double>(k.mailbox_max); });
  per_kind("moai_actor_messages_handled_total", "counter", "Messages handled, by actor kind.",
           [](const kind& k) { return static_cast<double>(k.handled_total); });
  per_kind("moai_actor_backlog_age_seconds", "gauge",
           "How long the most backed-up actor of a kind has had messages waiting.",
           [](const kind& k) { return k.oldest_backlog_ms / 1000; });

  e.family("moai_process_resident_memory_bytes", "gauge", "Resident set size of the process.");
  e.sample("moai_process_resident_memory_bytes", process.resident_bytes);
  e.family("moai_process_cpu_seconds_total", "counter", "User and system CPU time of the process.");
  e.sample("moai_process_cpu_seconds_total", process.cpu_seconds);
  e.family("moai_uptime_seconds", "gauge", "Seconds since the server started.");
  e.sample("moai_uptime_seconds", process.uptime_seconds);
  return e.take();
}

}  // namespace moai::actors
