// `moai check`: the stored CoValues read back page by page and verified as a client
// verifies the content it is sent (protocol::audit_content), with their rows checked
// against each other on the way (restore_state: gaps, counts, rows that do not parse).
// Memory stays bounded: one page of CoValues at a time, and capped caches of the
// account facts and groups that verification looks up in the store.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "protocol/sync/session_signer.hpp"
#include "storage/covalue_store.hpp"
#include "storage/stored_lookups.hpp"

namespace moai::storage {

// One problem of one stored CoValue, and what --repair does about it.
struct check_finding {
  std::string covalue_id;
  std::string session_id;  // empty: the CoValue as a whole (its header, or a failed read)
  std::string problem;
  // A session is repaired by keeping its first `keep` transactions, which end at
  // `signature` (verified; empty when keep is 0: the session goes). Header problems are
  // not repairable here: a peer that holds the CoValue replaces the header when it syncs.
  bool repairable = false;
  std::uint32_t keep = 0;
  std::string signature;
  std::uint32_t stored = 0;  // transaction rows the session has now
};

struct check_totals {
  std::uint64_t covalues = 0;
  std::uint64_t sessions = 0;
  std::uint64_t transactions = 0;  // rows
  std::uint64_t verified = 0;      // transactions that verify
  std::uint64_t damaged_covalues = 0;
  std::uint64_t findings = 0;
};

class store_checker {
 public:
  explicit store_checker(covalue_store& store) : store_(store), lookups_(store) {}

  // Verifies one stored CoValue: its findings, empty when all of it verifies.
  std::vector<check_finding> check(const stored_covalue& stored);

  // Every stored CoValue, in ID order, `page_size` at a time: `each` gets each one's
  // findings (before the next page is read, so it may repair them), `progress` the
  // totals after each page.
  using on_covalue = std::function<void(const std::string& id, const std::vector<check_finding>& findings)>;
  const check_totals& walk(std::size_t page_size, const on_covalue& each,
                           const std::function<void(const check_totals&)>& progress);

  const check_totals& totals() const { return totals_; }

 private:
  covalue_store& store_;
  stored_lookups lookups_;
  protocol::session_signers signers_;
  check_totals totals_;
};

// Carries out a repairable finding (the store must be open exclusively): returns how
// many transaction rows it removed.
std::uint64_t repair(covalue_store& store, const check_finding& finding);

}  // namespace moai::storage
