// Single-core costs of the protocol core on this machine: BLAKE3 throughput,
// Ed25519 verifications, frame decoding, and a whole transaction's verification
// (canonical form + hash chain + one signature). Prints a table and, with
// --json FILE, writes the figures.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "protocol/blake3_hash.hpp"
#include "protocol/codec.hpp"
#include "protocol/keys.hpp"
#include "protocol/session_log.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--json") json_path = argv[i + 1];
  }
  crypto_init();

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
    if (!ok) {
      std::fprintf(stderr, "protocol bench: %s failed; figures would be meaningless\n", what);
      std::exit(1);
    }
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
  std::printf("%-44s %14.0f\n", "Ed25519 verifies/s (OpenSSL)", verifies_s);
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
