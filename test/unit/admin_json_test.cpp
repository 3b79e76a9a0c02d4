// The admin page's data (actors/admin/admin_json.hpp) and the static files it is served
// from (gateway/server/static_files.hpp).
#include <boost/test/unit_test.hpp>

#include "actors/admin/admin_json.hpp"
#include "actors/admin/admin_page.hpp"
#include "gateway/server/static_files.hpp"
#include "protocol/json/json.hpp"

using namespace moai;

namespace {

protocol::json_document parsed(const std::string& text) {
  protocol::json_document doc;
  std::string error;
  BOOST_REQUIRE_MESSAGE(protocol::parse_json(text, doc, error), error << ": " << text);
  return doc;
}

gateway::http_response get(const gateway::http_handler& handler, const std::string& path,
                           const std::string& method = "GET") {
  gateway::http_response out;
  gateway::http_request req;
  req.method = method;
  req.path = path;
  handler(std::move(req), [&](gateway::http_response r) { out = std::move(r); });
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_page)

BOOST_AUTO_TEST_CASE(stats_are_the_metrics_counters) {
  actors::sync_metrics m;
  m.count_in(actors::action::content);
  m.count_in(actors::action::content);
  m.count_in(actors::action::load);
  m.count_out(actors::action::known);
  m.storage_write_latency.observe(2'000'000);   // 2 ms
  m.storage_write_latency.observe(30'000'000);  // 30 ms
  gateway::server_counters server;
  server.connections_open = 4;
  std::vector<actors::actor_kind_summary> kinds(1);
  kinds[0].kind = "covalue";
  kinds[0].count = 17;
  std::vector<actors::actor_mailbox> busiest{{"sync_manager", 12, 5, 1.5}};
  actors::process_stats process;
  process.uptime_seconds = 9;
  auto doc = parsed(actors::render_admin_stats(m, server, kinds, busiest, process, 1000.0));
  BOOST_TEST(doc["connections_open"].GetDouble() == 4);
  BOOST_TEST(doc["messages_in_total"].GetDouble() == 3);
  BOOST_TEST(doc["messages_in"]["content"].GetDouble() == 2);
  BOOST_TEST(doc["messages_out_total"].GetDouble() == 1);
  BOOST_TEST(doc["covalues_in_memory"].GetDouble() == 17);
  BOOST_TEST(doc["busiest"][0]["kind"].GetString() == std::string("sync_manager"));
  BOOST_TEST(doc["busiest"][0]["mailbox"].GetDouble() == 5);
  const auto& storage = doc["storage"];
  BOOST_TEST(storage["write_count"].GetDouble() == 2);
  BOOST_TEST(storage["write_seconds_sum"].GetDouble() == 0.032, boost::test_tools::tolerance(1e-9));
  const auto& buckets = storage["write_buckets"];
  BOOST_REQUIRE(buckets.Size() == actors::latency_histogram::bounds.size() + 1);
  BOOST_TEST(buckets[0][1].GetDouble() == 0);  // ≤ 0.5 ms
  BOOST_TEST(buckets[3][1].GetDouble() == 1);  // ≤ 5 ms: cumulative, as in /metrics
  BOOST_TEST(buckets[buckets.Size() - 1][0].GetString() == std::string("+Inf"));
  BOOST_TEST(buckets[buckets.Size() - 1][1].GetDouble() == 2);
}

BOOST_AUTO_TEST_CASE(a_covalue_as_its_actor_holds_it) {
  actors::inspect_reply r;
  r.id = "co_zMap";
  r.found = true;
  r.header =
      "{\"type\":\"comap\",\"ruleset\":{\"type\":\"ownedByGroup\",\"group\":\"co_zGroup\"},\"meta\":null,"
      "\"uniqueness\":\"z1\"}";
  r.sessions = {{"co_zAlice_session_zA", 3, 3, 120, "signature_zX", 1700}, {"sealer_z1/signer_z2_session_zB", 1, 0, 5, "signature_zY", 1800}};
  r.peers = {{7, false, true, 4}, {9, true, false, 0}};
  auto doc = parsed(actors::render_inspection(r));
  BOOST_TEST(doc["found"].GetBool());
  BOOST_TEST(doc["type"].GetString() == std::string("comap"));
  BOOST_TEST(doc["ruleset"].GetString() == std::string("ownedByGroup"));
  BOOST_TEST(doc["owner"].GetString() == std::string("co_zGroup"));
  BOOST_TEST(doc["header"]["uniqueness"].GetString() == std::string("z1"));
  BOOST_TEST(doc["transactions"].GetDouble() == 4);
  BOOST_TEST(doc["private_transactions"].GetDouble() == 3);
  BOOST_TEST(!doc["private"].GetBool());  // one trusting transaction: not ciphertext only
  BOOST_TEST(doc["sessions"][0]["author"].GetString() == std::string("co_zAlice"));
  BOOST_TEST(doc["sessions"][0]["last_signature"].GetString() == std::string("signature_zX"));
  BOOST_TEST(doc["sessions"][1]["author"].GetString() == std::string("sealer_z1/signer_z2"));
  BOOST_TEST(doc["connections"][0]["peer"].GetDouble() == 7);
  BOOST_TEST(doc["connections"][1]["upstream"].GetBool());

  r.sessions.pop_back();
  BOOST_TEST(parsed(actors::render_inspection(r))["private"].GetBool());
  actors::inspect_reply missing;
  missing.id = "co_zNone";
  auto none = parsed(actors::render_inspection(missing));
  BOOST_TEST(!none["found"].GetBool());
  BOOST_TEST(!none.HasMember("sessions"));
}

BOOST_AUTO_TEST_CASE(the_page_is_served_from_the_binary) {
  auto handler = gateway::static_files(actors::admin_page_files(), "/admin/index.html");
  for (const char* path : {"/admin", "/admin/", "/admin/index.html"}) {
    auto r = get(handler, path);
    BOOST_TEST(r.status == 200u, path);
    BOOST_TEST(r.content_type == "text/html; charset=utf-8");
    BOOST_TEST(r.body.find("<title>moai admin</title>") != std::string::npos);
  }
  auto js = get(handler, "/admin/admin.js");
  BOOST_TEST(js.content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(js.body.find("Authorization: `Bearer ${token}`") != std::string::npos);
  BOOST_TEST(get(handler, "/admin/admin.css").content_type == "text/css; charset=utf-8");
  BOOST_TEST(get(handler, "/admin/nothing.js").status == 404u);
  BOOST_TEST(get(handler, "/admin/admin.js", "POST").status == 405u);
  auto head = get(handler, "/admin/admin.js", "HEAD");
  BOOST_TEST(head.status == 200u);
  BOOST_TEST(head.body.empty());
  bool csp = false;
  for (const auto& [name, value] : js.headers) csp = csp || (name == "Content-Security-Policy" && value.find("default-src 'self'") == 0);
  BOOST_TEST(csp);
}

BOOST_AUTO_TEST_SUITE_END()
