#include "storage/store_check.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "protocol/groups/deletion.hpp"
#include "protocol/sync/content_audit.hpp"
#include "storage/stored_state.hpp"

namespace moai::storage {
namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

}  // namespace

std::vector<check_finding> store_checker::check(const stored_covalue& stored) {
  std::vector<check_finding> findings;
  totals_.covalues++;
  totals_.sessions += stored.sessions.size();
  for (const auto& s : stored.sessions) totals_.transactions += s.transactions.size();

  protocol::covalue_state trusted(stored.id);
  auto report = restore_state(stored_covalue(stored), trusted);
  auto whole = [&](std::string problem) {
    findings.push_back({stored.id, {}, std::move(problem), false, 0, {}, 0});
  };
  if (report.header_unreadable) {
    whole(report.problems.front().what + (report.problems.front().error.empty() ? "" : ": " + report.problems.front().error));
  } else {
    std::unique_ptr<protocol::group_registry> groups;
    auto judge = [&](const protocol::session_content& entry, std::uint32_t held) {
      if (!groups) groups = lookups_.groups_of(trusted);
      return protocol::check_delete_session(trusted, entry, held, groups.get());
    };
    auto audit = protocol::audit_content(trusted, signers_, lookups_.accounts(), judge);
    if (!audit.header_problem.empty()) whole("content does not decode: " + audit.header_problem);
    totals_.verified += audit.transactions_verified;
    for (const auto& s : stored.sessions) {
      std::vector<std::string> problems;
      for (const auto& p : report.problems) {
        if (p.session_id == s.session_id) problems.push_back(p.what + (p.error.empty() ? "" : " (" + p.error + ")"));
      }
      const auto rows = static_cast<std::uint32_t>(s.transactions.size());
      auto audited = std::find_if(audit.sessions.begin(), audit.sessions.end(),
                                  [&](const protocol::session_audit& a) { return a.session_id == s.session_id; });
      const std::uint32_t verified = audited == audit.sessions.end() ? 0 : audited->verified;
      if (audited != audit.sessions.end() && !audited->why.empty()) {
        problems.push_back("transactions from index " + std::to_string(audited->verified) + " do not verify: " +
                           audited->why);
      }
      if (!s.checkpoints.empty() && s.checkpoints.rbegin()->first >= rows) {
        problems.push_back("a signatureAfter row points past the session's " + std::to_string(rows) + " transactions");
      } else if (rows > 0 && s.checkpoints.count(rows - 1) && s.checkpoints.at(rows - 1) != s.last_signature) {
        // Content ending there is sent with the checkpoint's signature: the session row's
        // own is never checked on the way, but must be the same.
        problems.push_back("the session's last signature is not the one stored for its last transaction");
      }
      if (problems.empty() && verified == rows) continue;
      if (problems.empty()) {
        // A deleted CoValue is sent with its delete sessions only; rows of others remain.
        problems.push_back(std::to_string(rows - verified) + " transactions are not sent to clients");
      }
      check_finding f{stored.id, s.session_id, join(problems), audit.header_problem.empty(), verified, {}, rows};
      if (audited != audit.sessions.end() && verified > 0) f.signature = audited->verified_signature;
      findings.push_back(std::move(f));
    }
  }
  if (!findings.empty()) totals_.damaged_covalues++;
  totals_.findings += findings.size();
  return findings;
}

const check_totals& store_checker::walk(std::size_t page_size, const on_covalue& each,
                                        const std::function<void(const check_totals&)>& progress) {
  std::string after;
  for (;;) {
    auto page = store_.list_known(after, page_size);
    if (page.empty()) break;
    std::vector<std::string> ids;
    ids.reserve(page.size());
    for (auto& k : page) ids.push_back(std::move(k.id));
    after = ids.back();
    page.clear();
    auto loaded = store_.load_many({ids.begin(), ids.end()});
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!loaded[i].error.empty()) {
        totals_.covalues++;
        totals_.damaged_covalues++;
        totals_.findings++;
        each(ids[i], {{ids[i], {}, "could not be read: " + loaded[i].error, false, 0, {}, 0}});
        continue;
      }
      if (!loaded[i].covalue) continue;  // gone since the page was listed
      auto findings = check(*loaded[i].covalue);
      loaded[i].covalue.reset();
      each(ids[i], findings);
    }
    if (progress) progress(totals_);
  }
  return totals_;
}

std::uint64_t repair(covalue_store& store, const check_finding& finding) {
  if (!finding.repairable) return 0;
  return store.trim_session(finding.covalue_id, finding.session_id, finding.keep, finding.signature);
}

}  // namespace moai::storage
