// moai check [--repair]: storage::store_checker over the configured store, its findings
// printed one per line, and with --repair each damaged session cut back to its last
// verified signature (storage::repair).
#include <chrono>
#include <cstdio>
#include <string>

#include "actors/operations/command_line.hpp"
#include "actors/operations/operation_commands.hpp"
#include "protocol/crypto/crypto.hpp"
#include "storage/open_store.hpp"
#include "storage/store_check.hpp"

namespace moai::actors {
namespace {

constexpr std::size_t kPageSize = 100;  // CoValues in memory at a time

std::string where(const storage::check_finding& f) {
  return f.session_id.empty() ? f.covalue_id : f.covalue_id + " session " + f.session_id;
}

}  // namespace

int run_check(const command_args& args) {
  if (!args.positional.empty()) {
    std::fprintf(stderr, "moai: usage: moai check [--repair] [configuration flags]\n");
    return 2;
  }
  const bool repairing = args.switches.count("--repair") > 0;
  protocol::crypto_init();
  std::unique_ptr<storage::covalue_store> store;
  try {
    store = storage::open_configured_store(
        args.cfg, repairing ? storage::store_access::exclusive : storage::store_access::read_only);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moai check: %s\n", e.what());
    return 2;
  }
  std::printf("moai check%s: %s\n", repairing ? " --repair" : "", store_description(args.cfg).c_str());
  std::fflush(stdout);

  const auto started = std::chrono::steady_clock::now();
  storage::store_checker checker(*store);
  progress_line progress;
  std::uint64_t repaired = 0, unrepaired = 0, rows_removed = 0;
  try {
    checker.walk(
        kPageSize,
        [&](const std::string&, const std::vector<storage::check_finding>& findings) {
          if (findings.empty()) return;
          progress.done();
          for (const auto& f : findings) {
            std::printf("PROBLEM %s: %s\n", where(f).c_str(), f.problem.c_str());
            if (!repairing) continue;
            if (!f.repairable) {
              unrepaired++;
              std::printf("NOT REPAIRED %s: a peer that holds this CoValue replaces what is damaged when it syncs, "
                          "or moai import brings it back\n",
                          where(f).c_str());
              continue;
            }
            const auto removed = storage::repair(*store, f);
            rows_removed += removed;
            repaired++;
            if (f.keep == 0) {
              std::printf("REPAIRED %s: removed the session (%llu transaction rows, none verifies)\n", where(f).c_str(),
                          static_cast<unsigned long long>(removed));
            } else {
              std::printf("REPAIRED %s: removed %llu transaction rows from index %u on; the session ends at %u "
                          "transactions, signed %s\n",
                          where(f).c_str(), static_cast<unsigned long long>(removed), f.keep, f.keep,
                          f.signature.c_str());
            }
          }
          std::fflush(stdout);
        },
        [&](const storage::check_totals& t) {
          progress.show("checked " + std::to_string(t.covalues) + " CoValues, " + std::to_string(t.transactions) +
                        " transactions; " + std::to_string(t.damaged_covalues) + " with problems");
        });
  } catch (const std::exception& e) {
    progress.done();
    std::fprintf(stderr, "moai check: reading the store failed: %s\n", e.what());
    return 2;
  }
  progress.done();
  const auto& t = checker.totals();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("checked %llu CoValues, %llu sessions, %llu transactions in %.1f s: %llu verify; %llu problems in %llu "
              "CoValues\n",
              static_cast<unsigned long long>(t.covalues), static_cast<unsigned long long>(t.sessions),
              static_cast<unsigned long long>(t.transactions), seconds, static_cast<unsigned long long>(t.verified),
              static_cast<unsigned long long>(t.findings), static_cast<unsigned long long>(t.damaged_covalues));
  if (repairing && t.findings > 0) {
    std::printf("repaired %llu sessions (%llu transaction rows removed); %llu problems not repaired\n",
                static_cast<unsigned long long>(repaired), static_cast<unsigned long long>(rows_removed),
                static_cast<unsigned long long>(unrepaired));
    return unrepaired > 0 ? 1 : 0;
  }
  return t.findings > 0 ? 1 : 0;
}

}  // namespace moai::actors
