// Single-core costs of the protocol core on this machine: BLAKE3 throughput,
// Ed25519 verifications, frame decoding, and a whole transaction's verification
// (canonical form + hash chain + one signature). Prints a table and, with
// --json FILE, writes the figures.
//
// With --replay FILE (a W6 replay file, test/bench/workloads/w6_generate.mjs) it measures
// instead the single-core limit of accepting that content: each message decoded, its
// sessions verified (BLAKE3 chain + one signature per message) and appended, its `known`
// reply encoded, and the transactions inserted into a new SQLite database, several
// messages per commit. No sockets, actors or threads: what one core can do at best.
//
// With --ed25519 it times moai's Ed25519 verification against the other packaged
// verifiers (test/bench/ed25519_candidates) on cojson-shaped messages.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ed25519_candidates.hpp"
#include "protocol/covalue/session_log.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/encoding/blake3_hash.hpp"
#include "protocol/json/json.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/content_ingest.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "storage/covalue_store.hpp"
#include "storage/session_batches.hpp"

using namespace moai::protocol;
using clock_type = std::chrono::steady_clock;

namespace {

// Runs `fn` repeatedly for about `seconds`; returns operations per second.
template <typename F>
double rate(F&& fn, double seconds = 1.0) {
  std::size_t ops = 0;
  auto start = clock_type::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 64; ++i) fn();
    ops += 64;
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(ops) / elapsed;
}

// A session of `n` signed trusting transactions and the content message carrying it.
struct signed_session {
  std::string session_id;
  std::vector<transaction> txs;
  std::string signature;
  std::string frame;
  key32 signer_public;
};

signed_session make_session(int n) {
  signed_session s;
  auto agent = agent_secret_from_seed(key32{7});
  s.signer_public = ed25519_public_key(agent.signer_seed);
  s.session_id = agent.agent_id() + "_session_zBench";
  session_log log(s.session_id);
  for (int i = 0; i < n; ++i) {
    std::string changes = R"([{"op":"set","key":"title","value":"benchmark value )" + std::to_string(i) + R"("}])";
    auto tx = make_trusting_transaction(changes, 1735689600000 + i, std::nullopt);
    s.signature = log.append_signed(tx, agent.signer_seed);
    s.txs.push_back(tx);
  }
  content_writer w("co_zBenchBenchBenchBench", "", priority::medium);
  w.begin_session(s.session_id, 0);
  for (const auto& tx : s.txs) w.add_transaction(tx.json);
  w.end_session(s.signature);
  s.frame = w.finish();
  return s;
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "protocol bench: %s; figures would be meaningless\n", why.c_str());
  std::exit(1);
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The replay file's messages as the replay sends them: depth by depth, the CoValues of
// one depth interleaved round robin.
std::vector<std::string> replay_messages(const std::string& path, std::size_t& expected_transactions) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + path);
  std::map<int, std::vector<std::vector<std::string>>> by_depth;
  std::string line, error;
  expected_transactions = 0;
  bool meta = true;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json_document doc;
    if (!parse_json(line, doc, error)) fail("replay file line is not JSON: " + error);
    if (meta) {  // {"meta": {..., "transactions": N}}
      const auto* m = find_member(doc, "meta");
      const auto* n = m ? find_member(*m, "transactions") : nullptr;
      if (!n || !n->IsUint64()) fail("replay file has no meta.transactions");
      expected_transactions = n->GetUint64();
      meta = false;
      continue;
    }
    const auto* depth = find_member(doc, "depth");
    const auto* messages = find_member(doc, "messages");
    if (!depth || !depth->IsInt() || !messages || !messages->IsArray()) fail("replay file line without depth/messages");
    auto& texts = by_depth[depth->GetInt()].emplace_back();
    for (const auto& m : messages->GetArray()) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      m.Accept(writer);
      texts.emplace_back(buffer.GetString(), buffer.GetSize());
    }
  }
  std::vector<std::string> order;
  for (auto& [depth, covalues] : by_depth) {
    for (std::size_t round = 0, left = 1; left; ++round) {
      left = 0;
      for (auto& texts : covalues) {
        if (round < texts.size()) {
          order.push_back(std::move(texts[round]));
          left = 1;
        }
      }
    }
  }
  return order;
}

struct replay_figures {
  std::size_t messages = 0;
  std::size_t transactions = 0;  // in the messages (W6's count)
  std::size_t stored = 0;        // new to the database
  std::size_t commits = 0;
  double cpu_s = 0;
  double wall_s = 0;
};

// Accepts every message of the replay on this thread, as the server would, and times it.
replay_figures replay_limit(const std::string& path, std::size_t messages_per_commit) {
  std::size_t expected = 0;
  auto messages = replay_messages(path, expected);
  const std::string db = "/tmp/moai_protocol_bench_" + std::to_string(::getpid()) + ".db";
  auto remove_db = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  };
  remove_db();
  auto store = moai::storage::open_sqlite_store(db, "normal");  // the server's default

  std::unordered_map<std::string, covalue_state> states;
  std::unordered_map<std::string, key32> signers;  // the server caches them per CoValue
  covalue_lookup accounts = [&](const std::string& id) -> const covalue_state* {
    auto it = states.find(id);
    return it == states.end() ? nullptr : &it->second;
  };
  std::vector<moai::storage::covalue_write> pending;
  replay_figures f;
  auto commit = [&] {
    if (pending.empty()) return;
    if (!store->write(pending).empty()) fail("the store refused a write");
    pending.clear();
    ++f.commits;
  };

  const double cpu0 = thread_cpu_seconds();
  const auto wall0 = clock_type::now();
  for (const auto& text : messages) {
    auto frame = decode_frame(text);
    if (frame.messages.size() != 1 || !std::holds_alternative<content_message>(frame.messages[0])) {
      fail("a replay message does not decode as content");
    }
    auto& m = std::get<content_message>(frame.messages[0]);
    auto& cv = states.try_emplace(m.id, m.id).first->second;
    moai::storage::covalue_write write;
    write.id = m.id;
    if (!cv.has_header()) {
      if (!m.header) fail("content before its header: " + m.id);
      cv.set_header(std::move(*m.header));
      write.header = cv.header()->json;
    }
    known_state accepted{m.id, true, {}};
    for (auto& entry : m.sessions) {
      const std::uint32_t ours = cv.count(entry.session_id);
      const auto sent = static_cast<std::uint32_t>(entry.transactions.size());
      f.transactions += sent;  // as W6 counts them: resent ones too
      if (!entry.error.empty() || entry.after > ours) fail("session " + entry.session_id + " does not continue");
      if (entry.after + sent <= ours) continue;  // all known already
      auto signer = signers.find(entry.session_id);
      if (signer == signers.end()) {
        std::string why;
        auto key = session_signer(entry.session_id, account_facts_from(accounts), why);
        if (!key) fail("no signer for " + entry.session_id);
        signer = signers.emplace(entry.session_id, *key).first;
      }
      std::string hash;
      const std::uint32_t added = cv.add_verified(entry, signer->second, hash);
      if (added != entry.after + sent - ours) fail("signature does not verify: " + hash);
      moai::storage::append_session_batches(write, *cv.find_session(entry.session_id), ours);
      accepted.sessions[entry.session_id] = ours + added;
      f.stored += added;
    }
    volatile auto reply = encode_known(accepted).size();
    (void)reply;
    pending.push_back(std::move(write));
    if (++f.messages % messages_per_commit == 0) commit();
  }
  commit();
  f.cpu_s = thread_cpu_seconds() - cpu0;
  f.wall_s = std::chrono::duration<double>(clock_type::now() - wall0).count();
  if (f.transactions != expected)
    fail("accepted " + std::to_string(f.transactions) + " of " + std::to_string(expected));
  if (store->stats().transactions != f.stored) fail("the database does not hold every transaction");
  store.reset();
  remove_db();
  return f;
}

int replay_main(const std::string& path, const std::string& json_path) {
  // Messages per commit: under W6 the server's storage writer commits about 13 messages'
  // worth at a time; 64 here gives the single core the benefit of the doubt.
  constexpr std::size_t kMessagesPerCommit = 64;
  replay_figures best;
  for (int run = 0; run < 3; ++run) {  // best of three: the limit, not an average
    auto f = replay_limit(path, kMessagesPerCommit);
    if (run == 0 || f.cpu_s < best.cpu_s) best = f;
  }
  const double tx_per_s = static_cast<double>(best.transactions) / best.cpu_s;
  std::printf("%-44s %14zu\n", "replay messages", best.messages);
  std::printf("%-44s %14zu\n", "replay transactions", best.transactions);
  std::printf("%-44s %14zu\n", "SQLite commits", best.commits);
  std::printf("%-44s %14.3f\n", "CPU (s, best of 3)", best.cpu_s);
  std::printf("%-44s %14.0f\n", "single-core limit (tx/s)", tx_per_s);
  std::printf("%-44s %14.1f\n", "CPU per transaction (us)", 1e6 * best.cpu_s / static_cast<double>(best.transactions));
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\"messages\":" << best.messages << ",\"transactions\":" << best.transactions
        << ",\"commits\":" << best.commits << ",\"messages_per_commit\":" << kMessagesPerCommit
        << ",\"cpu_s\":" << best.cpu_s << ",\"wall_s\":" << best.wall_s << ",\"tx_per_s\":" << tx_per_s << "}\n";
  }
  return 0;
}

// Signatures as cojson sessions carry them: 256 keys, each over the JSON string of a
// "hash_z…". `forged` alters S (still below L); `small_r` puts the identity as R, which
// some verifiers hand to a slower path.
struct signed_hash {
  key32 key;
  std::string message;
  signature64 signature;
};
std::vector<signed_hash> signed_hashes(const std::string& kind) {
  std::vector<signed_hash> out;
  for (int i = 0; i < 256; ++i) {
    auto agent = agent_secret_from_seed(key32{static_cast<std::uint8_t>(i), 1});
    std::string hash = hash_id(blake3(std::to_string(i)));
    signed_hash s{ed25519_public_key(agent.signer_seed), "", *decode_signature(sign_hash(agent.signer_seed, hash))};
    s.message = "\"" + hash + "\"";
    if (kind == "forged") s.signature[32] ^= 1;
    if (kind == "small_r") s.signature = signature64{1};
    out.push_back(std::move(s));
  }
  return out;
}

// Rounds of every candidate in turn (so a noisy neighbour hits all of them alike), each
// timed in thread CPU; the best round and the median, in microseconds per verification.
int ed25519_main(const std::string& json_path) {
  const auto& candidates = moai::test::ed25519_candidates();
  constexpr int kRounds = 15;
  constexpr double kSliceSeconds = 0.05;
  std::ofstream json;
  if (!json_path.empty()) json.open(json_path);
  json << "{";
  std::printf("%-52s %-8s %9s %9s\n", "Ed25519 verifier", "inputs", "best µs", "median µs");
  const char* separator = "";
  for (const std::string kind : {"valid", "forged", "small_r"}) {
    const auto inputs = signed_hashes(kind);
    for (const auto& c : candidates) {
      const bool expected = kind == "valid";
      for (const auto& s : inputs) {
        if (c.verify(s.key, s.message, s.signature) != expected) fail(std::string(c.name) + " misjudges a " + kind + " input");
      }
    }
    std::vector<std::vector<double>> us(candidates.size());
    for (int round = 0; round < kRounds; ++round) {
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        std::size_t n = 0;
        const double start = thread_cpu_seconds();
        double elapsed = 0;
        do {
          for (const auto& s : inputs) {
            volatile bool ok = candidates[c].verify(s.key, s.message, s.signature);
            (void)ok;
          }
          n += inputs.size();
          elapsed = thread_cpu_seconds() - start;
        } while (elapsed < kSliceSeconds);
        us[c].push_back(1e6 * elapsed / static_cast<double>(n));
      }
    }
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      std::sort(us[c].begin(), us[c].end());
      const double best = us[c].front(), median = us[c][us[c].size() / 2];
      std::printf("%-52s %-8s %9.1f %9.1f\n", candidates[c].name, kind.c_str(), best, median);
      json << separator << "\"" << candidates[c].name << " / " << kind << "\":{\"best_us\":" << best
           << ",\"median_us\":" << median << "}";
      separator = ",";
    }
  }
  json << "}\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path, replay_path;
  bool ed25519 = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--ed25519") ed25519 = true;
    if (i + 1 == argc) break;
    if (std::string(argv[i]) == "--json") json_path = argv[i + 1];
    if (std::string(argv[i]) == "--replay") replay_path = argv[i + 1];
  }
  crypto_init();
  if (!replay_path.empty()) return replay_main(replay_path, json_path);
  if (ed25519) return ed25519_main(json_path);

  std::string megabyte(1 << 20, 'x');
  double blake3_mb_s = rate(
      [&] {
        volatile auto d = blake3(megabyte);
        (void)d;
      },
      1.0);

  auto one = make_session(1);
  std::string hash = hash_id(blake3(one.txs[0].json));
  auto sig = decode_signature(sign_hash(agent_secret_from_seed(key32{7}).signer_seed, hash));
  // Each measured path must succeed, or the figure would time an early failure.
  auto check = [](bool ok, const char* what) {
    if (!ok) fail(std::string(what) + " failed");
  };
  check(sig && verify_hash_signature(one.signer_public, hash, *sig), "signature verification");
  double verifies_s = rate([&] {
    volatile bool ok = verify_hash_signature(one.signer_public, hash, *sig);
    (void)ok;
  });

  // What each verified message costs in base58: its signature decoded, its hash named.
  const std::string signature_text = one.signature;
  const auto digest = blake3(one.txs[0].json);
  double base58_s = rate([&] {
    volatile auto d = decode_signature(signature_text);
    volatile auto h = hash_id(digest);
    (void)d;
    (void)h;
  });

  double frames_s = rate([&] {
    volatile auto f = decode_frame(one.frame);
    (void)f;
  });

  // A whole single-transaction content message as the server handles it: decode
  // (canonical form), hash chain, one signature check.
  double tx_verified_s = rate([&] {
    auto f = decode_frame(one.frame);
    auto& m = std::get<content_message>(f.messages[0]);
    session_log log(one.session_id);
    std::string h;
    volatile bool ok =
        log.try_append(std::move(m.sessions[0].transactions), m.sessions[0].last_signature, one.signer_public, h);
    (void)ok;
  });

  // A burst of 10 transactions under one signature (the last signature covers all).
  auto ten = make_session(10);
  for (const auto* session : {&one, &ten}) {
    auto f = decode_frame(session->frame);
    check(f.messages.size() == 1 && std::holds_alternative<content_message>(f.messages[0]), "decoding the frame");
    auto& m = std::get<content_message>(f.messages[0]);
    session_log log(session->session_id);
    std::string h;
    check(
        log.try_append(std::move(m.sessions[0].transactions), m.sessions[0].last_signature, session->signer_public, h),
        "appending the signed session");
  }
  double burst_tx_s = 10 * rate([&] {
                        auto f = decode_frame(ten.frame);
                        auto& m = std::get<content_message>(f.messages[0]);
                        session_log log(ten.session_id);
                        std::string h;
                        volatile bool ok = log.try_append(std::move(m.sessions[0].transactions),
                                                          m.sessions[0].last_signature, ten.signer_public, h);
                        (void)ok;
                      });

  std::printf("%-44s %14.1f\n", "BLAKE3 (MB/s, 1 MiB inputs)", blake3_mb_s);
  std::printf("%-44s %14.0f\n", "Ed25519 verifies/s", verifies_s);
  std::printf("%-44s %14.0f\n", "base58 signature decodes + hash encodes/s", base58_s);
  std::printf("%-44s %14.0f\n", "content frames decoded/s (1 tx)", frames_s);
  std::printf("%-44s %14.0f\n", "transactions verified/s (1 tx per message)", tx_verified_s);
  std::printf("%-44s %14.0f\n", "transactions verified/s (10 tx per signature)", burst_tx_s);

  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\"blake3_mb_per_s\":" << blake3_mb_s << ",\"ed25519_verifies_per_s\":" << verifies_s
        << ",\"base58_signature_and_hash_per_s\":" << base58_s << ",\"frames_decoded_per_s\":" << frames_s
        << ",\"transactions_verified_per_s\":" << tx_verified_s
        << ",\"transactions_verified_per_s_burst10\":" << burst_tx_s << "}\n";
  }
  return 0;
}
