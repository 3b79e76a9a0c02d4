// Frames ↔ typed messages, on the recorded server transcripts and on malformed input.
#include <boost/test/unit_test.hpp>

#include <map>

#include "protocol/crypto/keys.hpp"
#include "protocol/encoding/ids.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::vector_lines;
using moai::test::to_wire;

namespace moai::protocol {
std::ostream& operator<<(std::ostream& os, const known_state& k) {
  os << k.id << (k.header ? " header" : " no-header");
  for (const auto& [s, n] : k.sessions) os << " " << s << "=" << n;
  return os;
}
}  // namespace moai::protocol

namespace {

struct transcript_line {
  std::string dir, peer, wire;
};

std::vector<transcript_line> transcript(const std::string& name) {
  std::vector<transcript_line> out;
  for (const auto& line : vector_lines(name)) {
    json_document doc;
    std::string error;
    BOOST_REQUIRE(parse_json(line, doc, error));
    std::string dir = doc["dir"].GetString();
    if (dir == "meta" || dir == "note") continue;
    out.push_back({dir, doc["peer"].GetString(), to_wire(doc["msg"])});
  }
  return out;
}

sync_message decode_one(const std::string& wire) {
  auto frame = decode_frame(wire);
  BOOST_REQUIRE_MESSAGE(!frame.dropped, frame.drop_reason);
  BOOST_REQUIRE_MESSAGE(frame.errors.empty(), wire.substr(0, 200));
  BOOST_REQUIRE_EQUAL(frame.messages.size(), 1u);
  return frame.messages[0];
}

// A minimal verifier: what a server does with content, minus routing.
struct mini_store {
  std::map<std::string, covalue_state> states;

  covalue_state& state(const std::string& id) { return states.try_emplace(id, id).first->second; }

  std::optional<key32> signer_for(const std::string& session_id) {
    auto parts = parse_session_id(session_id);
    if (!parts) return std::nullopt;
    std::string agent(parts->owner);
    if (is_account_id(parts->owner)) {
      auto it = states.find(std::string(parts->owner));
      if (it == states.end() || !it->second.header() || !it->second.header()->is_account()) return std::nullopt;
      agent = it->second.header()->initial_admin;
    }
    return decode_signer_id(agent_signer_id(agent));
  }

  // Returns the number of transactions newly accepted; fails the test on rejection.
  std::size_t ingest(content_message& m) {
    covalue_state& s = state(m.id);
    if (m.header && !s.has_header()) s.set_header(*m.header);
    BOOST_REQUIRE(s.has_header());
    std::size_t added = 0;
    for (auto& entry : m.sessions) {
      BOOST_REQUIRE(entry.error.empty());
      std::uint32_t ours = s.count(entry.session_id);
      BOOST_REQUIRE(entry.after <= ours);
      std::vector<transaction> fresh(entry.transactions.begin() + (ours - entry.after), entry.transactions.end());
      if (fresh.empty()) continue;
      auto signer = signer_for(entry.session_id);
      BOOST_REQUIRE(signer);
      std::string hash;
      added += fresh.size();
      BOOST_REQUIRE_MESSAGE(s.try_add(entry.session_id, std::move(fresh), entry.last_signature, *signer, hash),
                            "signature rejected for " << entry.session_id);
    }
    return added;
  }
};

struct piece_shape {
  bool header;
  std::vector<std::pair<std::uint32_t, std::size_t>> sessions;  // after, tx count
  bool expect;
  bool operator==(const piece_shape& o) const {
    return header == o.header && sessions == o.sessions && expect == o.expect;
  }
};

std::ostream& operator<<(std::ostream& os, const piece_shape& p) {
  os << (p.header ? "H" : "-") << (p.expect ? "E" : "-");
  for (auto& [after, n] : p.sessions) os << " " << after << "+" << n;
  return os;
}

piece_shape shape_of(const content_message& m) {
  piece_shape p{m.header.has_value(), {}, m.expect_content_until.has_value()};
  for (const auto& s : m.sessions) p.sessions.emplace_back(s.after, s.transactions.size());
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(codec)

// A frame of more messages than allowed is refused before anything is parsed.
BOOST_AUTO_TEST_CASE(a_frame_over_the_message_limit_is_not_parsed) {
  const std::string load = R"({"action":"load","id":"co_zabc","header":false,"sessions":{}})";
  const std::string three = load + "\n" + load + "\n" + load;
  auto within = decode_frame(three, 3);
  BOOST_TEST(!within.too_many_messages);
  BOOST_TEST(within.messages.size() == 3u);
  auto over = decode_frame(three, 2);
  BOOST_TEST(over.too_many_messages);
  BOOST_TEST(over.pieces == 3u);
  BOOST_TEST(over.messages.empty());
  BOOST_TEST(decode_frame(three).messages.size() == 3u);  // no limit by default
}

BOOST_AUTO_TEST_CASE(transcripts_decode_and_verify) {
  for (const char* name : {"transcript.jsonl", "transcript_big.jsonl"}) {
    BOOST_TEST_CONTEXT(name) {
      mini_store server;
      std::size_t contents = 0, accepted = 0;
      for (const auto& line : transcript(name)) {
        auto msg = decode_one(line.wire);
        if (auto* content = std::get_if<content_message>(&msg)) {
          if (content->header) BOOST_TEST(covalue_id_of(*content->header) == content->id);
          if (line.dir == "client->server") accepted += server.ingest(*content);
          ++contents;
        }
      }
      BOOST_TEST(contents > 10u);
      BOOST_TEST(accepted > 20u);
    }
  }
}

BOOST_AUTO_TEST_CASE(new_content_since_matches_what_the_js_server_sent) {
  // Replays client uploads, then compares our pieces for client B's load of each
  // CoValue with the pieces the JS server sent B.
  for (const char* name : {"transcript.jsonl", "transcript_big.jsonl"}) {
    BOOST_TEST_CONTEXT(name) {
      mini_store server;
      std::map<std::string, std::vector<piece_shape>> sent_to_b, ours;
      bool b_loaded = false;
      for (const auto& line : transcript(name)) {
        auto msg = decode_one(line.wire);
        if (line.dir == "client->server") {
          if (auto* content = std::get_if<content_message>(&msg)) server.ingest(*content);
          if (std::holds_alternative<load_message>(msg) && line.peer == "clientB") b_loaded = true;
        } else if (b_loaded && line.peer == "clientB") {
          if (auto* content = std::get_if<content_message>(&msg)) {
            if (!ours.count(content->id)) {
              // B held nothing of it: what would we send, with the state the server had then?
              known_state nothing{content->id, false, {}};
              for (const auto& p : server.states.at(content->id).new_content_since(&nothing)) {
                ours[content->id].push_back(shape_of(std::get<content_message>(decode_one(p))));
              }
            }
            sent_to_b[content->id].push_back(shape_of(*content));
          } else {
            b_loaded = false;  // the known ack after the load burst
          }
        }
      }
      BOOST_REQUIRE(sent_to_b.size() == 3u);
      for (const auto& [id, expected] : sent_to_b) {
        BOOST_TEST_CONTEXT(id) { BOOST_TEST(ours[id] == expected, boost::test_tools::per_element()); }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(encoded_content_round_trips) {
  mini_store server;
  for (const auto& line : transcript("transcript.jsonl")) {
    auto msg = decode_one(line.wire);
    if (auto* content = std::get_if<content_message>(&msg)) {
      if (line.dir == "client->server") server.ingest(*content);
    }
  }
  for (auto& [id, state] : server.states) {
    for (const auto& wire : state.new_content_since(nullptr)) {
      // Our own output verifies when fed to a fresh verifier that has the accounts.
      auto msg = decode_one(wire);
      auto& content = std::get<content_message>(msg);
      BOOST_TEST(content.id == id);
      BOOST_TEST(content.header.has_value());
      BOOST_TEST(encode_content(content) == wire);
    }
  }
}

BOOST_AUTO_TEST_CASE(known_and_load_round_trip) {
  known_state k{"co_zabc", true, {{"s1_session_z1", 3}, {"s2_session_z2", 0}}};
  auto msg = decode_one(encode_known(k, true));
  auto& known = std::get<known_message>(msg);
  BOOST_TEST(known.is_correction);
  BOOST_TEST(known.known == k);
  auto msg2 = decode_one(encode_load(k));
  BOOST_TEST(std::get<load_message>(msg2).known == k);
  BOOST_TEST(encode_known(known_state{"co_zx", false, {}}) == R"({"action":"known","id":"co_zx","header":false,"sessions":{}})");
  auto done = decode_one(encode_done("co_zabc"));
  BOOST_TEST(std::get<done_message>(done).id == "co_zabc");
  reconcile_message r{"batch1", {{"co_za", "shortHash_z1"}, {"co_zb", "shortHash_z2"}}};
  auto rec = decode_one(encode_reconcile(r));
  BOOST_TEST(std::get<reconcile_message>(rec).values == r.values);
  BOOST_TEST(std::get<reconcile_ack_message>(decode_one(encode_reconcile_ack("b"))).batch_id == "b");
}

BOOST_AUTO_TEST_CASE(batched_frames) {
  known_state a{"co_za", false, {}}, b{"co_zb", true, {{"x_session_z", 1}}};
  auto frame = decode_frame(encode_load(a) + "\n" + encode_known(b) + "\n" + encode_ping(1735689600000, "unknown"));
  BOOST_TEST(!frame.dropped);
  BOOST_TEST(frame.messages.size() == 2u);
  BOOST_TEST(frame.pings == 1u);
  // A keep-alive frame carries nothing.
  auto empty = decode_frame("");
  BOOST_TEST(!empty.dropped);
  BOOST_TEST(empty.messages.empty());
}

BOOST_AUTO_TEST_CASE(malformed_frames_are_dropped_whole) {
  known_state a{"co_za", false, {}};
  for (std::string bad : {std::string("garbage"), encode_load(a) + "\n{", encode_load(a) + "\n", std::string("\n"),
                          std::string("{\"action\":\"load\""), std::string("\xff\xfe")}) {
    auto frame = decode_frame(bad);
    BOOST_TEST(frame.dropped);
    BOOST_TEST(frame.messages.empty());
  }
}

BOOST_AUTO_TEST_CASE(bad_messages_are_typed_errors) {
  const char* bad[] = {
      R"({"action":"teleport","id":"co_zabc"})",
      R"({"action":"load","id":"nope","header":false,"sessions":{}})",
      R"({"action":"load","header":false,"sessions":{}})",
      R"({"action":"load","id":"co_zabc","header":false,"sessions":{"s":-1}})",
      R"({"action":"load","id":"co_zabc","header":false,"sessions":{"s":1.5}})",
      R"({"action":"load","id":"co_zabc","header":false,"sessions":[]})",
      R"({"action":"content","id":"co_zabc","priority":3})",
      R"({"action":"content","id":"co_zabc","header":{"type":"comap"},"new":{}})",
      R"({"action":"content","id":"co_zabc","header":{"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":"x"},"new":{}})",
      R"({"action":7,"id":"co_zabc"})",
      R"({"action":"reconcile","id":"b","values":[["co_za"]]})",
  };
  for (const char* text : bad) {
    BOOST_TEST_CONTEXT(text) {
      auto frame = decode_frame(text);
      BOOST_TEST(!frame.dropped);
      BOOST_TEST(frame.messages.empty());
      BOOST_TEST(frame.errors.size() == 1u);
    }
  }
  // Messages with neither action nor time are ignored silently.
  auto frame = decode_frame(R"({"hello":1})");
  BOOST_TEST(frame.ignored == 1u);
  BOOST_TEST(frame.errors.empty());
}

BOOST_AUTO_TEST_CASE(bad_session_entries_are_flagged_not_fatal) {
  auto frame = decode_frame(
      R"({"action":"content","id":"co_zabc","new":{)"
      R"("a_session_z1":{"after":0,"newTransactions":[{"privacy":"trusting","madeAt":1.5,"changes":"[]"}],"lastSignature":"signature_z1"},)"
      R"("b_session_z1":{"after":"0","newTransactions":[],"lastSignature":"signature_z1"},)"
      R"("c_session_z1":{"after":0,"newTransactions":[{"privacy":"trusting","madeAt":5,"changes":"[]"}],"lastSignature":"signature_z1"}}})");
  BOOST_REQUIRE_EQUAL(frame.messages.size(), 1u);
  auto& content = std::get<content_message>(frame.messages[0]);
  BOOST_REQUIRE_EQUAL(content.sessions.size(), 3u);
  BOOST_TEST(!content.sessions[0].error.empty());
  BOOST_TEST(!content.sessions[1].error.empty());
  BOOST_TEST(content.sessions[2].error.empty());
  BOOST_TEST(content.sessions[2].transactions.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
