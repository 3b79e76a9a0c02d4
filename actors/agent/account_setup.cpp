#include "actors/agent/account_setup.hpp"

#include <chrono>
#include <cstdio>

#include "config/log.hpp"
#include "protocol/content/account_factory.hpp"
#include "protocol/crypto/crypto.hpp"
#include "storage/open_store.hpp"

namespace moai::actors {
namespace {

// A verified CoValue as one storage write: its header and every session whole.
storage::covalue_write as_write(const protocol::covalue_state& cv) {
  storage::covalue_write w;
  w.id = cv.id();
  w.header = cv.header()->json;
  for (const auto& log : cv.sessions()) {
    storage::session_batch b;
    b.session_id = log.id();
    for (const auto& tx : log.transactions()) b.transactions.push_back(tx.json);
    b.last_signature = log.last_signature();
    b.bytes_since_checkpoint = log.bytes_since_checkpoint();
    w.batches.push_back(std::move(b));
  }
  return w;
}

}  // namespace

int generate_account(const config& cfg, const std::string& name) {
  protocol::crypto_init();
  log::configure(cfg.log_level, cfg.log_format);
  protocol::account_options options;
  options.name = name;
  options.made_at = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  auto account = protocol::create_account(options);
  if (!account) {
    std::fprintf(stderr, "moai: could not create an account\n");
    return 1;
  }
  if (cfg.storage == "memory") {
    std::fprintf(stderr,
                 "moai: storage is memory: the account is not stored anywhere; "
                 "a server started with these credentials will not find it\n");
  } else {
    try {
      auto store = storage::open_configured_store(cfg);
      std::vector<storage::covalue_write> writes;
      for (const auto& cv : account->covalues) writes.push_back(as_write(cv));
      if (!store->write(writes).empty()) {
        std::fprintf(stderr, "moai: the database refused part of the account\n");
        return 1;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "moai: cannot store the account: %s\n", e.what());
      return 1;
    }
    std::fprintf(stderr, "moai: account \"%s\" stored in %s (profile %s, sparks %s)\n", name.c_str(),
                 cfg.db_path.c_str(), account->profile_id.c_str(), account->sparks_id.c_str());
  }
  std::printf("PEER_ID=%s\nPEER_SECRET=%s\n", account->account_id.c_str(), account->agent_secret.c_str());
  return 0;
}

}  // namespace moai::actors
