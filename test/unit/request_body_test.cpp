// What the agent routes and the LLM proxy read from request bodies
// (actors/agent/agent_requests.hpp, actors/llm/chat_request.hpp): the original's answers
// for bodies that will not do.
#include <boost/test/unit_test.hpp>

#include "actors/agent/agent_requests.hpp"
#include "actors/llm/chat_request.hpp"

using namespace moai::actors;
using namespace moai::actors::agent_api;

namespace {

template <class T>
const early_answer& refused(const std::variant<T, early_answer>& v) {
  BOOST_REQUIRE(std::holds_alternative<early_answer>(v));
  return std::get<early_answer>(v);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_requests)

BOOST_AUTO_TEST_CASE(on_added_reads_strict_json_and_a_co_z_spark) {
  BOOST_TEST(std::get<std::string>(read_on_added(R"({"sparkId":"co_zAbc"})")) == "co_zAbc");
  BOOST_TEST(refused(read_on_added("{not json")).body.find("JSON Parse error") != std::string::npos);
  BOOST_TEST(refused(read_on_added(R"({"sparkId":"nope"})")).body == R"x({"ok":false,"error":"sparkId required (co_z...)"})x");
  BOOST_TEST(refused(read_on_added(R"({"sparkId":5})")).status == 400u);
  BOOST_TEST(refused(read_on_added("[]")).status == 400u);
}

BOOST_AUTO_TEST_CASE(register_human_reads_leniently) {
  auto in = std::get<register_human_input>(read_register_human(R"({"username":" alice ","accountId":"anything"})"));
  BOOST_TEST(in.username == "alice");
  BOOST_TEST(in.account_id == "anything");  // the original does not check it is an ID
  BOOST_TEST(refused(read_register_human("{not json")).body.find("username required") != std::string::npos);
  BOOST_TEST(refused(read_register_human(R"({"username":"a","accountId":""})")).body.find("accountId required") !=
             std::string::npos);
  BOOST_TEST(refused(read_register_human(R"({"username":"a","accountId":7})")).status == 400u);
}

BOOST_AUTO_TEST_CASE(trigger_keeps_what_was_given_and_refuses_bad_sparks) {
  auto defaults = std::get<trigger_input>(read_trigger("garbage"));
  BOOST_TEST(defaults.text_json == R"("Test todo from agent")");
  BOOST_TEST(defaults.spark == "@maia");
  auto given = std::get<trigger_input>(read_trigger(R"({"text":5,"spark":"@x"})"));
  BOOST_TEST(given.text_json == "5");  // passed on, for the schema to refuse
  BOOST_TEST(given.spark_json == R"("@x")");
  BOOST_TEST(refused(read_trigger(R"({"spark":3})")).body == R"({"ok":false,"error":"[getSparkGroup] spark is required"})");
  BOOST_TEST(refused(read_trigger(R"({"spark":""})")).body.find("Invalid context") != std::string::npos);
  BOOST_TEST(std::get<trigger_input>(read_trigger(R"({"text":null})")).text_json == R"("Test todo from agent")");
}

BOOST_AUTO_TEST_CASE(covalue_routes_read_their_bodies) {
  auto map = std::get<create_request>(read_create_covalue(R"({"type":"comap","content":{"a":1},"public":true})"));
  BOOST_TEST(map.type == "comap");
  BOOST_TEST(map.public_read);
  BOOST_REQUIRE_EQUAL(map.map_init.size(), 1u);
  BOOST_TEST(*map.map_init[0].value_json == "1");
  BOOST_TEST(refused(read_create_covalue(R"({"type":"costream"})")).status == 400u);
  BOOST_TEST(refused(read_create_covalue(R"({"type":"colist","content":{}})")).status == 400u);
  BOOST_TEST(refused(read_create_covalue("{")).body.find("invalid JSON body") != std::string::npos);
  auto patch = std::get<covalue_patch>(read_patch_covalue("co_zX", R"({"set":{"k":"v"},"delete":["d"]})"));
  BOOST_REQUIRE(std::holds_alternative<update_map_request>(patch));
  BOOST_TEST(std::get<update_map_request>(patch).edits.size() == 2u);
  auto append = std::get<covalue_patch>(read_patch_covalue("co_zX", R"({"append":[1,2]})"));
  BOOST_TEST(std::get<append_list_request>(append).items_json.size() == 2u);
  BOOST_TEST(refused(read_patch_covalue("co_zX", R"({"append":[1],"set":{}})")).status == 400u);
  BOOST_TEST(refused(read_patch_covalue("co_zX", "{}")).body.find("nothing to change") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(chat_requests)

BOOST_AUTO_TEST_CASE(a_chat_body_becomes_the_upstream_request) {
  auto ok = std::get<chat_request>(read_chat_body(R"({"messages":[{"role":"user","content":"hi"}],"temperature":0.5})",
                                                  "default-model"));
  BOOST_TEST(ok.model == "default-model");
  BOOST_TEST(!ok.stream);
  BOOST_TEST(ok.upstream_body ==
             R"({"model":"default-model","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
  auto streamed = std::get<chat_request>(read_chat_body(R"({"messages":[1],"model":"m","stream":true})", "d"));
  BOOST_TEST(streamed.model == "m");
  BOOST_TEST(streamed.upstream_body == R"({"model":"m","messages":[1],"temperature":1,"stream":true})");
}

BOOST_AUTO_TEST_CASE(bodies_that_will_not_do) {
  auto body = [](const char* text) { return std::get<chat_refusal>(read_chat_body(text, "d")).body; };
  BOOST_TEST(body("{").find("Invalid JSON body") != std::string::npos);
  BOOST_TEST(body(R"({"messages":[]})") == R"({"error":"messages array required"})");
  BOOST_TEST(body(R"({"messages":[1],"model":5})") == R"({"error":"model must be a string"})");
  BOOST_TEST(body(R"({"messages":[1],"temperature":"hot"})") == R"({"error":"temperature must be a number"})");
}

BOOST_AUTO_TEST_SUITE_END()
