#include "actors/sync/upstream_reconciler.hpp"

#include <array>

#include "config/log.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/encoding/base58.hpp"
#include "protocol/sync/codec.hpp"

namespace moai::actors {

// The reconciler's own timers. A batch the upstream did not acknowledge in time: the
// next one goes anyway. Storage could not list a page: try again (for the connection
// of that generation).
struct reconcile_overdue {
  std::string batch_id;
};
struct reconcile_retry {
  std::uint64_t generation = 0;
};

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::reconcile_overdue)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::reconcile_retry)

namespace moai::actors {
namespace {

using reconciler_impl =
    upstream_reconciler_actor::extend<caf::reacts_to<reconcile_overdue>, caf::reacts_to<reconcile_retry>>;

constexpr std::size_t kBatchSize = 100;  // cojson's batch size
constexpr std::chrono::seconds kAckTimeout{60};
constexpr std::chrono::seconds kListRetry{5};

struct reconciler_state {
  storage_actor storage;
  sync_metrics* metrics = nullptr;
  std::optional<sync_peer> upstream;
  std::uint64_t generation = 0;  // one per connection: replies of an older one are dropped
  std::string cursor;            // last CoValue ID sent
  std::string waiting;           // batch in flight
  std::size_t sent = 0;
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "upstream_reconciler";
};

using self_ptr = reconciler_impl::stateful_pointer<reconciler_state>;

std::string new_batch_id() {
  std::array<std::uint8_t, 12> random{};
  protocol::random_bytes(random.data(), random.size());
  return protocol::base58_encode(random.data(), random.size());
}

void send_next_batch(self_ptr self) {
  auto& st = self->state;
  const auto generation = st.generation;
  self->request(st.storage, caf::infinite, list_request{st.cursor, kBatchSize})
      .then(
          [=](list_reply& page) {
            auto& st = self->state;
            if (generation != st.generation || !st.upstream) return;
            if (page.covalues.empty()) {
              log::info(actor_origin(self), "storage reconciled with the upstream", {{"covalues", st.sent}});
              return;
            }
            protocol::reconcile_message batch{new_batch_id(), {}};
            for (const auto& cv : page.covalues) {
              batch.values.emplace_back(cv.id, protocol::sessions_short_hash(cv.sessions));
            }
            st.cursor = page.covalues.back().id;
            st.sent += page.covalues.size();
            st.waiting = batch.batch_id;
            self->send(*st.upstream, outgoing_messages{{protocol::encode_reconcile(batch)}, 6, {}, {}, false, {}});
            self->delayed_send(self, kAckTimeout, reconcile_overdue{batch.batch_id});
          },
          [=](caf::error& err) {
            log::warn(actor_origin(self), "cannot list stored CoValues; trying again",
                      {{"error", self->system().render(err)}, {"retry_s", static_cast<long long>(kListRetry.count())}});
            self->delayed_send(self, kListRetry, reconcile_retry{generation});
          });
}

}  // namespace

upstream_reconciler_actor spawn_upstream_reconciler(caf::actor_system& system, storage_actor storage,
                                                    sync_metrics* metrics) {
  auto behavior = [](self_ptr self, storage_actor storage,
                     sync_metrics* metrics) -> reconciler_impl::behavior_type {
    self->state.storage = std::move(storage);
    self->state.metrics = metrics;
    self->state.probe = metrics->actors.enroll(reconciler_state::name, self->id());
    return {
        probed(self, [=](upstream_link& link) {
          auto& st = self->state;
          st.upstream = link.peer;
          st.generation++;
          st.cursor.clear();
          st.waiting.clear();
          st.sent = 0;
          send_next_batch(self);
        }),
        probed(self, [=](reconcile_acked& ack) {
          if (ack.batch_id != self->state.waiting) return;
          self->state.waiting.clear();
          send_next_batch(self);
        }),
        probed(self, [=](reconcile_retry& retry) {
          if (retry.generation == self->state.generation) send_next_batch(self);
        }),
        probed(self, [=](reconcile_overdue& overdue) {
          if (overdue.batch_id != self->state.waiting) return;
          log::warn(actor_origin(self), "the upstream did not acknowledge a reconcile batch in time; going on",
                    {{"batch", overdue.batch_id}});
          self->state.waiting.clear();
          send_next_batch(self);
        }),
    };
  };
  return caf::actor_cast<upstream_reconciler_actor>(system.spawn(behavior, std::move(storage), metrics));
}

}  // namespace moai::actors
