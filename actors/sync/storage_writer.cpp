#include "actors/sync/storage_writer.hpp"

#include <algorithm>
#include <chrono>

#include <pthread.h>

#include "actors/sync/retry_backoff.hpp"
#include "config/log.hpp"

namespace moai::actors {
namespace {

// The writer's own turns: serve what queued up; retry failed reads.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using storage_impl = storage_actor::extend<caf::reacts_to<flush_atom>, caf::reacts_to<retry_atom>>;

struct pending_write {
  storage::covalue_write write;
  caf::typed_response_promise<write_ack> promise;
};

struct pending_load {
  storage::load_query query;
  caf::typed_response_promise<load_reply> promise;
};

struct storage_state {
  std::shared_ptr<storage::covalue_store> store;
  sync_metrics* metrics = nullptr;
  std::vector<pending_write> pending;
  std::vector<pending_load> loads;
  // Loads whose read failed, tried again after `retry_backoff` (100 ms doubling to 5 s).
  std::vector<pending_load> failed_loads;
  std::chrono::milliseconds retry_backoff{0};
  bool retry_scheduled = false;
  bool flush_scheduled = false;
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "storage_writer";
};

using storage_pointer = storage_impl::stateful_pointer<storage_state>;

void schedule_flush(storage_pointer self) {
  // A flush message queued behind everything already in the mailbox: all writes
  // (and loads) that arrived meanwhile are served together.
  if (self->state.flush_scheduled) return;
  self->state.flush_scheduled = true;
  self->send(self, flush_atom::value);
}

// Commits what is queued; false when that failed.
bool flush_writes(storage_pointer self) {
  auto& st = self->state;
  if (st.pending.empty()) return true;
  std::vector<storage::covalue_write> writes;
  writes.reserve(st.pending.size());
  for (auto& p : st.pending) writes.push_back(std::move(p.write));
  auto started = std::chrono::steady_clock::now();
  bool ok = true;
  std::vector<std::size_t> incomplete;
  try {
    incomplete = st.store->write(writes);
    if (!incomplete.empty()) {
      log::warn(actor_origin(self), "writes not stored in full (they would leave a gap); not acknowledged",
                {{"count", incomplete.size()}, {"first", writes[incomplete.front()].id}});
    }
  } catch (const std::exception& e) {
    ok = false;
    st.metrics->storage_failures++;
    if (std::uint64_t suppressed = 0; log::sample("storage write failed", std::chrono::seconds(5), suppressed)) {
      log::error(actor_origin(self), "write failed; nothing of this batch was stored",
                 {{"error", e.what()}, {"writes", writes.size()}, {"failures_not_logged", suppressed}});
    }
  }
  // Readiness follows the store: a server whose writes fail is not one to send clients to.
  // Only a write stored in full shows the store works again (one refused for its gap
  // wrote nothing).
  const bool proved_ok = ok && incomplete.size() < writes.size();
  if ((!ok || proved_ok) && st.metrics->storage_writes_ok.exchange(ok) != ok) {
    if (ok) {
      log::info(actor_origin(self), "writes succeed again");
    } else {
      log::error(actor_origin(self), "storage is failing: /health reports not ready until a write succeeds");
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  st.metrics->storage_write_latency.observe(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  st.metrics->storage_batches++;
  st.metrics->storage_writes += writes.size();
  st.metrics->changes_announced = st.store->changes_announced();
  log::trace(actor_origin(self), "batch committed",
             {{"writes", writes.size()}, {"us", static_cast<long long>(micros)}});
  auto next_incomplete = incomplete.begin();
  for (std::size_t i = 0; i < st.pending.size(); ++i) {
    const bool stored = ok && !(next_incomplete != incomplete.end() && *next_incomplete == i);
    if (next_incomplete != incomplete.end() && *next_incomplete == i) ++next_incomplete;
    st.pending[i].promise.deliver(write_ack{stored});
  }
  st.pending.clear();
  return ok;
}

void serve_loads(storage_pointer self) {
  auto& st = self->state;
  if (st.loads.empty()) return;
  std::vector<storage::load_query> queries;
  queries.reserve(st.loads.size());
  for (auto& l : st.loads) queries.push_back(std::move(l.query));
  std::vector<storage::load_result> results;
  try {
    results = st.store->load_many(queries);
  } catch (const std::exception& e) {  // the read transaction itself failed
    results.assign(queries.size(), storage::load_result{std::nullopt, e.what()});
  }
  st.metrics->storage_loads += queries.size();
  bool failed = false;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto& r = results[i];
    if (r.error.empty()) {
      st.loads[i].promise.deliver(load_reply{std::move(r.covalue)});
      continue;
    }
    // Answering "not stored" would make a stored CoValue look absent to every peer:
    // the load waits (and the CoValue with it) until a read succeeds.
    failed = true;
    st.metrics->storage_read_failures++;
    if (std::uint64_t suppressed = 0; log::sample("storage read failed", std::chrono::seconds(5), suppressed)) {
      log::error(actor_origin(self), "read failed; the CoValue waits for a retry",
                 {{"id", queries[i].id}, {"error", r.error}, {"failures_not_logged", suppressed}});
    }
    st.failed_loads.push_back({std::move(queries[i]), std::move(st.loads[i].promise)});
  }
  st.loads.clear();
  // Readiness follows reads too: a load that waits for its retry is a client left hanging.
  const bool reads_ok = !failed && st.failed_loads.empty();
  if (st.metrics->storage_reads_ok.exchange(reads_ok) != reads_ok) {
    if (reads_ok) {
      log::info(actor_origin(self), "reads succeed again");
    } else {
      log::error(actor_origin(self), "storage reads are failing: /health reports not ready until they succeed");
    }
  }
  if (!failed) {
    if (st.failed_loads.empty()) st.retry_backoff = std::chrono::milliseconds(0);
    return;
  }
  if (st.retry_scheduled) return;
  st.retry_scheduled = true;
  st.retry_backoff = next_retry_backoff(st.retry_backoff);
  self->delayed_send(self, st.retry_backoff, retry_atom::value);
}

// Writes first: reads see every acknowledged write.
void flush(storage_pointer self) {
  self->state.flush_scheduled = false;
  flush_writes(self);
  serve_loads(self);
}

storage_impl::behavior_type storage_writer(storage_pointer self, std::shared_ptr<storage::covalue_store> store,
                                            sync_metrics* metrics) {
  self->state.store = std::move(store);
  self->state.metrics = metrics;
  self->state.probe = metrics->actors.enroll(storage_state::name, self->id());
  // Detached: this runs on the writer's own thread, named for profiles and /proc.
  pthread_setname_np(pthread_self(), "moai.storage");
  // On shutdown, what is queued is still committed: it was verified, and a
  // restart would otherwise ask clients for it again.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    flush(self);
    self->quit(msg.reason);
  });
  return {
      probed(self, [=](write_request& req) -> caf::result<write_ack> {
        auto promise = self->make_response_promise<write_ack>();
        self->state.pending.push_back({std::move(req.write), promise});
        schedule_flush(self);
        return promise;
      }),
      probed(self, [=](flush_atom) { flush(self); }),
      probed(self, [=](flush_request) { return flush_reply{flush_writes(self)}; }),
      probed(self, [=](retry_atom) {
        auto& st = self->state;
        st.retry_scheduled = false;
        for (auto& l : st.failed_loads) st.loads.push_back(std::move(l));
        st.failed_loads.clear();
        flush(self);
      }),
      probed(self, [=](load_request& req) -> caf::result<load_reply> {
        auto promise = self->make_response_promise<load_reply>();
        storage::load_query query(std::move(req.id));
        query.since = std::move(req.since);
        self->state.loads.push_back({std::move(query), promise});
        schedule_flush(self);
        return promise;
      }),
      probed(self, [=](list_request& req) -> caf::result<list_reply> {
        flush_writes(self);
        try {
          return list_reply{self->state.store->list_known(req.after, req.limit)};
        } catch (const std::exception& e) {
          self->state.metrics->storage_read_failures++;
          log::error(actor_origin(self), "listing stored CoValues failed", {{"after", req.after}, {"error", e.what()}});
          return caf::make_error(caf::sec::runtime_error, e.what());
        }
      }),
      probed(self, [=](known_query& req) -> caf::result<known_reply> {
        flush_writes(self);
        try {
          auto known = self->state.store->load_known(req.id);
          if (!known) return known_reply{req.id, false, {}};
          return known_reply{req.id, true, std::move(*known)};
        } catch (const std::exception& e) {
          // An error, not "not stored": the asker then claims nothing either way.
          self->state.metrics->storage_read_failures++;
          log::error(actor_origin(self), "read failed", {{"id", req.id}, {"error", e.what()}});
          return caf::make_error(caf::sec::runtime_error, e.what());
        }
      }),
  };
}

}  // namespace

storage_actor spawn_storage_writer(caf::actor_system& system, std::shared_ptr<storage::covalue_store> store,
                                   sync_metrics* metrics) {
  return caf::actor_cast<storage_actor>(system.spawn<caf::detached>(storage_writer, std::move(store), metrics));
}

}  // namespace moai::actors
