// moai export ID… [--out FILE] and moai import FILE: CoValues as JSON lines, one sync
// content message a line, in the shape a server sends them (covalue_state::
// new_content_since), dependencies before what needs them. Import applies each line
// as the server applies a client's content (protocol::apply_content: header hash,
// signers, hash chains, signatures, gaps, deletes) and stores what verifies.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <string>

#include "actors/operations/command_line.hpp"
#include "actors/operations/operation_commands.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/encoding/ids.hpp"
#include "protocol/groups/deletion.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/content_apply.hpp"
#include "storage/open_store.hpp"
#include "storage/session_batches.hpp"
#include "storage/stored_lookups.hpp"
#include "storage/stored_state.hpp"

namespace moai::actors {
namespace {

std::unique_ptr<storage::covalue_store> open_for(const char* command, const config& cfg, storage::store_access access) {
  try {
    return storage::open_configured_store(cfg, access);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moai %s: %s\n", command, e.what());
    return nullptr;
  }
}

// Writes CoValues with their dependencies first, each once.
class exporter {
 public:
  exporter(storage::covalue_store& store, std::FILE* out) : store_(store), out_(out) {}

  // False when `id` (asked for by name) is not stored.
  bool add(const std::string& id, bool requested) {
    if (!visited_.insert(id).second) return true;
    auto stored = store_.load(id);
    if (!stored) {
      std::fprintf(stderr, "moai export: %s %s is not stored\n", requested ? "" : "dependency", id.c_str());
      missing_++;
      return false;
    }
    protocol::covalue_state state(id);
    auto report = storage::restore_state(std::move(*stored), state);
    for (const auto& p : report.problems) {
      std::fprintf(stderr, "moai export: %s %s: %s (exported without it; see moai check)\n", id.c_str(),
                   p.session_id.c_str(), p.what.c_str());
    }
    if (!state.has_header()) return false;
    for (const auto& dependency : state.dependencies()) add(dependency, false);
    for (const auto& message : state.new_content_since(nullptr)) {
      std::fwrite(message.data(), 1, message.size(), out_);
      std::fputc('\n', out_);
      lines_++;
    }
    covalues_++;
    transactions_ += state.transaction_count();
    return true;
  }

  std::uint64_t covalues_ = 0, transactions_ = 0, lines_ = 0, missing_ = 0;

 private:
  storage::covalue_store& store_;
  std::FILE* out_;
  std::set<std::string> visited_;
};

}  // namespace

int run_export(const command_args& args) {
  if (args.positional.empty()) {
    std::fprintf(stderr, "moai: usage: moai export ID… [--out FILE] [configuration flags]\n");
    return 2;
  }
  for (const auto& id : args.positional) {
    if (!protocol::is_covalue_id(id)) {
      std::fprintf(stderr, "moai export: %s is not a CoValue ID (co_z…)\n", id.c_str());
      return 2;
    }
  }
  auto store = open_for("export", args.cfg, storage::store_access::read_only);
  if (!store) return 2;
  std::FILE* out = stdout;
  auto path = args.values.find("--out");
  if (path != args.values.end()) {
    out = std::fopen(path->second.c_str(), "w");
    if (!out) {
      std::fprintf(stderr, "moai export: cannot write %s\n", path->second.c_str());
      return 2;
    }
  }
  exporter e(*store, out);
  bool all = true;
  try {
    for (const auto& id : args.positional) all = e.add(id, true) && all;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "moai export: reading the store failed: %s\n", ex.what());
    all = false;
  }
  const bool written = std::fflush(out) == 0 && (out == stdout || std::fclose(out) == 0);
  std::fprintf(stderr, "moai export: %llu CoValues (%zu asked for, the rest dependencies), %llu transactions, %llu lines\n",
               static_cast<unsigned long long>(e.covalues_), args.positional.size(),
               static_cast<unsigned long long>(e.transactions_), static_cast<unsigned long long>(e.lines_));
  return all && written && e.missing_ == 0 ? 0 : 1;
}

int run_import(const command_args& args) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "moai: usage: moai import FILE|- [configuration flags]\n");
    return 2;
  }
  protocol::crypto_init();
  std::ifstream file;
  std::istream* in = &std::cin;
  if (args.positional[0] != "-") {
    file.open(args.positional[0]);
    if (!file) {
      std::fprintf(stderr, "moai import: cannot read %s\n", args.positional[0].c_str());
      return 2;
    }
    in = &file;
  }
  auto store = open_for("import", args.cfg, storage::store_access::exclusive);
  if (!store) return 2;
  std::printf("moai import: %s -> %s\n", args.positional[0].c_str(), store_description(args.cfg).c_str());

  storage::stored_lookups lookups(*store);
  protocol::session_signers signers;
  // The CoValue of the last line: consecutive lines of one CoValue share its state.
  std::optional<protocol::covalue_state> current;
  storage::unreadable_rows unreadable;
  std::set<std::string> covalues;
  std::uint64_t line_number = 0, messages = 0, created = 0, added = 0, problems = 0;
  auto problem = [&](const std::string& id, const std::string& what) {
    problems++;
    std::printf("REJECTED line %llu%s%s: %s\n", static_cast<unsigned long long>(line_number), id.empty() ? "" : " ",
                id.c_str(), what.c_str());
  };
  std::string line;
  try {
    while (std::getline(*in, line)) {
      line_number++;
      if (line.empty()) continue;
      auto frame = protocol::decode_frame(line);
      if (frame.dropped) {
        problem({}, "not JSON: " + frame.drop_reason);
        continue;
      }
      for (const auto& e : frame.errors) problem(e.id, e.reason);
      for (auto& msg : frame.messages) {
        auto* m = std::get_if<protocol::content_message>(&msg);
        if (!m) {
          problem(protocol::message_id(msg), std::string("a ") + protocol::message_action(msg) + " message, not content");
          continue;
        }
        messages++;
        covalues.insert(m->id);
        if (!current || current->id() != m->id) {
          current.emplace(m->id);
          unreadable = {};
          if (auto stored = store->load(m->id)) {
            auto report = storage::restore_state(std::move(*stored), *current);
            unreadable = {report.header_unreadable, std::move(report.cut_sessions)};
          }
        }
        std::unique_ptr<protocol::group_registry> groups;
        auto judge = [&](const protocol::session_content& entry, std::uint32_t held) {
          if (!groups) groups = lookups.groups_of(*current);
          return protocol::check_delete_session(*current, entry, held, groups.get());
        };
        auto out = protocol::apply_content(*current, *m, signers, lookups.accounts(), judge);
        if (out.needs_header) {
          problem(m->id, "content for a CoValue that is not stored, without its header");
          continue;
        }
        if (out.gap) problem(m->id, "content that starts past what is stored of a session (a gap)");
        for (const auto& f : out.faults) problem(m->id, "session " + f.session_id + ": " + f.why);
        auto write = storage::write_of_applied(*current, out, unreadable);
        if (!out.header_new && write.batches.empty()) continue;
        if (!store->write({write}).empty()) problem(m->id, "the store did not take all of it");
        lookups.forget(m->id);
        created += out.header_new ? 1 : 0;
        added += out.transactions_added;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moai import: line %llu: %s\n", static_cast<unsigned long long>(line_number), e.what());
    return 2;
  }
  std::printf("imported %llu content messages of %zu CoValues: %llu new CoValues, %llu transactions added; %llu "
              "rejected\n",
              static_cast<unsigned long long>(messages), covalues.size(), static_cast<unsigned long long>(created),
              static_cast<unsigned long long>(added), static_cast<unsigned long long>(problems));
  return problems > 0 ? 1 : 0;
}

}  // namespace moai::actors
