// Access control of /sync: API key text and hashing, the token bucket, and the rules of
// access_control (who is let in, what a frame is charged, revocation, stored bytes).
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <set>

#include "actors/access/access_control.hpp"
#include "protocol/access/api_key.hpp"
#include "protocol/access/token_bucket.hpp"
#include "storage/api_key_store.hpp"

using namespace moai;
using namespace std::chrono_literals;
using actors::access_control;
using actors::access_counters;
using actors::access_settings;
using actors::frame_charge;
using actors::refusal;

namespace {

storage::api_key_record key_record(const std::string& id, const std::string& text, storage::api_key_limits limits = {}) {
  storage::api_key_record r;
  r.id = id;
  r.name = "test " + id;
  r.secret_hash = protocol::api_key_hash(text);
  r.created_at_ms = 1;
  r.limits = limits;
  return r;
}

std::uint64_t refused(const access_counters& c, refusal why) {
  return c.refused[static_cast<std::size_t>(why)].load();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_keys)

BOOST_AUTO_TEST_CASE(a_new_key_names_its_id_and_differs_every_time) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const auto key = protocol::generate_api_key();
    BOOST_TEST(key.id.size() == 8u);
    BOOST_TEST(key.text.rfind("moai_" + key.id + "_", 0) == 0u);
    BOOST_TEST(key.text.size() >= 5u + 8u + 1u + 30u);  // 24 random bytes of secret
    BOOST_TEST(protocol::api_key_id(key.text) == key.id);
    BOOST_TEST(seen.insert(key.text).second);
  }
}

BOOST_AUTO_TEST_CASE(the_hash_is_sha256_hex) {
  // FIPS 180-2's example.
  BOOST_TEST(protocol::api_key_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(protocol::api_key_hash("moai_x") != protocol::api_key_hash("moai_y"));
}

BOOST_AUTO_TEST_CASE(only_moai_keys_have_an_id) {
  BOOST_TEST(protocol::api_key_id("moai_0a1b2c3d_secret") == "0a1b2c3d");
  BOOST_TEST(protocol::api_key_id("you@example.com") == "");
  BOOST_TEST(protocol::api_key_id("moai_0a1b2c3d") == "");   // no secret
  BOOST_TEST(protocol::api_key_id("moai_0a1b2c3d_") == "");  // empty secret
  BOOST_TEST(protocol::api_key_id("moai_0A1B2C3D_s") == "");
  BOOST_TEST(protocol::api_key_id("moai_0a1b2c3x_s") == "");
}

BOOST_AUTO_TEST_CASE(the_key_comes_from_the_query_string) {
  BOOST_TEST(protocol::api_key_from_query("key=moai_1_2").value() == "moai_1_2");
  BOOST_TEST(protocol::api_key_from_query("a=1&key=you%40example.com&b=2").value() == "you@example.com");
  BOOST_TEST(protocol::api_key_from_query("key=a+b").value() == "a b");
  BOOST_TEST(!protocol::api_key_from_query(""));
  BOOST_TEST(!protocol::api_key_from_query("key="));
  BOOST_TEST(!protocol::api_key_from_query("key"));
  BOOST_TEST(!protocol::api_key_from_query("apikey=x&keys=y"));
  BOOST_TEST(protocol::api_key_from_query("k%65y=z").value() == "z");
  BOOST_TEST(protocol::api_key_from_query("key=100%").value() == "100%");  // a stray % stays
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_buckets)

BOOST_AUTO_TEST_CASE(a_second_of_burst_then_debt_says_how_long_to_wait) {
  const auto t0 = protocol::token_bucket::clock::now();
  protocol::token_bucket b(10, t0);
  BOOST_TEST((b.take(10, t0) == 0s));
  const auto wait = b.take(5, t0);  // 5 tokens in debt at 10/s
  BOOST_TEST(std::chrono::duration<double>(wait).count() == 0.5, boost::test_tools::tolerance(1e-9));
  // Half a second later the debt is paid; the bucket never holds more than a second's worth.
  BOOST_TEST((b.take(0, t0 + 500ms) == 0s));
  BOOST_TEST(b.tokens(t0 + 10s) == 10.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(zero_is_unlimited_and_a_new_rate_keeps_the_debt) {
  const auto t0 = protocol::token_bucket::clock::now();
  protocol::token_bucket unlimited(0, t0);
  BOOST_TEST((unlimited.take(1000000, t0) == 0s));
  protocol::token_bucket b(100, t0);
  b.take(300, t0);  // 200 in debt
  b.set_rate(50, t0);
  BOOST_TEST(std::chrono::duration<double>(b.take(0, t0)).count() == 4.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(access_rules)

BOOST_AUTO_TEST_CASE(open_by_default_and_nothing_to_count) {
  access_counters counters;
  access_control access(access_settings{}, counters);
  auto a = access.admit(std::nullopt, "10.0.0.1");
  BOOST_TEST(a.status == 0u);
  BOOST_TEST(!a.grant);  // no per-IP limit: nothing is counted for anonymous connections
}

BOOST_AUTO_TEST_CASE(a_required_key_must_be_known_and_not_revoked) {
  access_counters counters;
  access_control access(access_settings{true, 0, 0}, counters);
  access.replace_keys({key_record("aaaaaaaa", "moai_aaaaaaaa_good")});
  BOOST_TEST(access.active_keys() == 1u);
  BOOST_TEST(access.admit(std::nullopt, "ip").status == 401u);
  BOOST_TEST(refused(counters, refusal::missing_key) == 1u);
  bool woken = false;
  access.on_unknown_key([&] { woken = true; });
  BOOST_TEST(access.admit(std::string("moai_aaaaaaaa_bad"), "ip").status == 401u);
  BOOST_TEST(woken);
  BOOST_TEST(refused(counters, refusal::unknown_key) == 1u);
  auto good = access.admit(std::string("moai_aaaaaaaa_good"), "ip");
  BOOST_TEST(good.status == 0u);
  BOOST_REQUIRE(good.grant);
  BOOST_TEST(good.grant->key_id() == "aaaaaaaa");
  auto revoked = key_record("aaaaaaaa", "moai_aaaaaaaa_good");
  revoked.revoked_at_ms = 2;
  access.replace_keys({revoked});
  BOOST_TEST(access.active_keys() == 0u);
  auto again = access.admit(std::string("moai_aaaaaaaa_good"), "ip");
  BOOST_TEST(again.status == 401u);
  BOOST_TEST(again.message == "API key revoked");
  BOOST_TEST(refused(counters, refusal::revoked_key) == 1u);
}

BOOST_AUTO_TEST_CASE(an_invalid_key_is_refused_even_when_keys_are_not_required) {
  access_counters counters;
  access_control access(access_settings{}, counters);
  BOOST_TEST(access.admit(std::string("moai_00000000_nope"), "ip").status == 401u);
  BOOST_TEST(access.admit(std::nullopt, "ip").status == 0u);
}

BOOST_AUTO_TEST_CASE(a_keys_connection_limit_counts_connections_out_too) {
  access_counters counters;
  access_control access(access_settings{true, 0, 0}, counters);
  access.replace_keys({key_record("bbbbbbbb", "k", {2, 0, 0})});
  auto first = access.admit(std::string("k"), "ip");
  auto second = access.admit(std::string("k"), "ip");
  BOOST_TEST(first.status == 0u);
  BOOST_TEST(second.status == 0u);
  auto third = access.admit(std::string("k"), "ip");
  BOOST_TEST(third.status == 429u);
  BOOST_TEST(refused(counters, refusal::key_connections) == 1u);
  BOOST_TEST(access.connections_by_key().at("bbbbbbbb") == 2u);
  first.grant.reset();  // the connection ended
  BOOST_TEST(access.admit(std::string("k"), "ip").status == 0u);
}

BOOST_AUTO_TEST_CASE(connections_without_a_key_are_limited_per_ip) {
  access_counters counters;
  access_control access(access_settings{false, 1, 0}, counters);
  auto a = access.admit(std::nullopt, "10.0.0.1");
  BOOST_TEST(a.status == 0u);
  BOOST_TEST(access.admit(std::nullopt, "10.0.0.1").status == 429u);
  BOOST_TEST(access.admit(std::nullopt, "10.0.0.2").status == 0u);  // another address
  BOOST_TEST(refused(counters, refusal::ip_connections) == 1u);
  a.grant.reset();
  BOOST_TEST(access.admit(std::nullopt, "10.0.0.1").status == 0u);
  // A key lifts the per-IP limit.
  access.replace_keys({key_record("cccccccc", "k")});
  auto keyed = access.admit(std::string("k"), "10.0.0.1");
  BOOST_TEST(keyed.status == 0u);
}

BOOST_AUTO_TEST_CASE(message_rates_per_ip_pause_reading_and_debt_outlives_a_reconnection) {
  access_counters counters;
  access_control access(access_settings{false, 0, 10}, counters);
  const auto t0 = actors::access_clock::now();
  auto a = access.admit(std::nullopt, "ip", t0);
  BOOST_REQUIRE(a.grant);
  BOOST_TEST(a.grant->paces());
  BOOST_TEST(!a.grant->counts_bytes());
  BOOST_TEST((a.grant->pace(frame_charge{10, 0, 0}, t0) == 0s));
  const auto pause = a.grant->pace(frame_charge{20, 0, 0}, t0);
  BOOST_TEST(std::chrono::duration<double>(pause).count() == 2.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(counters.rate_limited_ip.load() == 1u);
  a.grant.reset();
  auto b = access.admit(std::nullopt, "ip", t0);
  BOOST_TEST((b.grant->pace(frame_charge{1, 0, 0}, t0) > 1s));  // still in debt
}

BOOST_AUTO_TEST_CASE(transactions_per_second_of_a_key_are_shared_by_its_connections) {
  access_counters counters;
  access_control access(access_settings{}, counters);
  const auto t0 = actors::access_clock::now();
  access.replace_keys({key_record("dddddddd", "k", {0, 5, 0})}, t0);
  auto a = access.admit(std::string("k"), "ip", t0);
  auto b = access.admit(std::string("k"), "ip", t0);
  BOOST_TEST((a.grant->pace(frame_charge{1, 5, 0}, t0) == 0s));
  BOOST_TEST((b.grant->pace(frame_charge{1, 5, 0}, t0) == 1s));
  BOOST_TEST(counters.rate_limited_key.load() == 1u);
}

BOOST_AUTO_TEST_CASE(the_stored_bytes_quota_refuses_what_would_exceed_it) {
  access_counters counters;
  access_control access(access_settings{}, counters);
  auto record = key_record("eeeeeeee", "k", {0, 0, 1000});
  record.stored_bytes = 600;  // stored before (by this or another server)
  access.replace_keys({record});
  auto a = access.admit(std::string("k"), "ip");
  BOOST_TEST(a.grant->store(300));
  BOOST_TEST(!a.grant->store(101));
  BOOST_TEST(counters.closed_storage_quota.load() == 1u);
  BOOST_TEST(a.grant->store(0));  // loads and acks still pass
  // The counts go to the table; until it is read back they still count.
  auto taken = access.take_stored_bytes();
  BOOST_TEST(taken.at("eeeeeeee") == 300u);
  BOOST_TEST(!a.grant->store(101));
  access.give_back_stored_bytes(taken);  // storing them failed: counted again next time
  BOOST_TEST(access.take_stored_bytes().at("eeeeeeee") == 300u);
  record.stored_bytes = 900;
  access.replace_keys({record});
  BOOST_TEST(access.take_stored_bytes().empty());
  BOOST_TEST(a.grant->store(100));
  BOOST_TEST(!a.grant->store(1));
}

BOOST_AUTO_TEST_CASE(revoking_a_key_closes_its_connections_once) {
  access_counters counters;
  access_control access(access_settings{}, counters);
  access.replace_keys({key_record("ffffffff", "k"), key_record("99999999", "other")});
  auto a = access.admit(std::string("k"), "ip");
  auto other = access.admit(std::string("other"), "ip");
  int closed = 0, other_closed = 0;
  a.grant->on_revoked([&] { closed++; });
  other.grant->on_revoked([&] { other_closed++; });
  auto revoked = key_record("ffffffff", "k");
  revoked.revoked_at_ms = 5;
  access.replace_keys({revoked, key_record("99999999", "other")});
  access.replace_keys({revoked, key_record("99999999", "other")});
  BOOST_TEST(closed == 1);
  BOOST_TEST(other_closed == 0);
  // A key deleted from the table counts as revoked.
  access.replace_keys({revoked});
  BOOST_TEST(other_closed == 1);
  BOOST_TEST(counters.closed_revoked.load() == 2u);
}

BOOST_AUTO_TEST_CASE(a_frames_text_counts_lines_and_transaction_keys) {
  const std::string frame =
      R"({"action":"load","id":"co_z1","header":false,"sessions":{}})" "\n"
      R"({"action":"content","id":"co_z2","new":{"s":{"after":0,"newTransactions":[)"
      R"({"privacy":"trusting","madeAt":1,"changes":"[{\"madeAt\":2}]"},)"
      R"({"privacy":"private", "madeAt" :3,"keyUsed":"k","encryptedChanges":"e"}],"lastSignature":"x"}}})" "\n";
  const auto c = actors::count_frame(frame);
  BOOST_TEST(c.messages == 2u);
  BOOST_TEST(c.transactions == 2u);  // the escaped key inside changes is not one
  BOOST_TEST(actors::count_frame("").messages == 0u);
}

BOOST_AUTO_TEST_CASE(a_keys_transactions_are_paced_even_when_its_rate_comes_later) {
  access_counters counters;
  access_control access(access_settings{}, counters);
  const auto t0 = actors::access_clock::now();
  access.replace_keys({key_record("abcdabcd", "k")}, t0);
  auto a = access.admit(std::string("k"), "ip", t0);
  BOOST_TEST(a.grant->paces());
  BOOST_TEST((a.grant->pace(frame_charge{1, 1000, 0}, t0) == 0s));  // unlimited
  access.replace_keys({key_record("abcdabcd", "k", {0, 10, 0})}, t0);
  a.grant->pace(frame_charge{1, 10, 0}, t0);
  BOOST_TEST((a.grant->pace(frame_charge{1, 10, 0}, t0) == 1s));
}

BOOST_AUTO_TEST_CASE(a_frame_is_charged_by_its_content_transactions) {
  protocol::content_message content;
  content.id = "co_z1";
  protocol::session_content s;
  s.session_id = "s";
  protocol::transaction t;
  t.json = "0123456789";
  s.transactions = {t, t, t};
  content.sessions = {s};
  std::vector<protocol::sync_message> messages = {protocol::load_message{}, content};
  const auto c = actors::charge_of(messages);
  BOOST_TEST(c.messages == 2u);
  BOOST_TEST(c.transactions == 3u);
  BOOST_TEST(c.transaction_bytes == 30u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_key_tables)

// The key table in memory and in a SQLite file (PostgreSQL: ops.keys_postgres).
BOOST_AUTO_TEST_CASE(insert_list_revoke_count) {
  const std::string path = "/tmp/moai_keys_test_" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  for (int round = 0; round < 2; ++round) {
    auto store = round == 0 ? storage::open_memory_api_key_store() : storage::open_sqlite_api_key_store(path);
    auto k = key_record("12345678", "moai_12345678_s", {3, 4, 5});
    store->insert(k);
    BOOST_CHECK_THROW(store->insert(k), std::runtime_error);  // the id is taken
    auto keys = store->list();
    BOOST_REQUIRE(keys.size() == 1u);
    BOOST_TEST(keys[0].secret_hash == k.secret_hash);
    BOOST_TEST(keys[0].limits.max_connections == 3u);
    BOOST_TEST(keys[0].limits.tx_per_second == 4u);
    BOOST_TEST(keys[0].limits.max_stored_bytes == 5u);
    BOOST_TEST(!keys[0].revoked_at_ms);
    store->add_stored_bytes({{"12345678", 40}, {"unknown", 1}});
    store->add_stored_bytes({{"12345678", 2}});
    BOOST_TEST(store->list()[0].stored_bytes == 42u);
    BOOST_TEST(store->revoke("12345678", 77));
    BOOST_TEST(!store->revoke("12345678", 78));
    BOOST_TEST(!store->revoke("nope", 78));
    BOOST_TEST(*store->list()[0].revoked_at_ms == 77);
  }
  // The SQLite table is there for the next process; cojson's schema version is untouched.
  BOOST_TEST(storage::open_sqlite_api_key_store(path)->list().size() == 1u);
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
