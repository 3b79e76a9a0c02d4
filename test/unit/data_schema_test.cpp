// MaiaOS data schemas (protocol/content/data_schema.hpp), with AJV 8's messages; the
// todos schema is MaiaOS's libs/maia-schemata/src/data/todos.schema.json.
#include "protocol/content/data_schema.hpp"

#include <boost/test/unit_test.hpp>

using namespace moai::protocol;

namespace {

const char* kTodos = R"({
  "title": "@maia/schema/data/todos", "cotype": "comap", "indexing": true,
  "properties": {
    "text": {"type": "string", "minLength": 1, "pattern": ".*\\S.*"},
    "done": {"type": "boolean"}
  },
  "required": ["text", "done"],
  "additionalProperties": false
})";

std::vector<std::string> problems(const char* schema_text, const char* data_text) {
  json_document schema, data;
  std::string error;
  BOOST_REQUIRE(parse_json(schema_text, schema, error));
  BOOST_REQUIRE(parse_json(data_text, data, error));
  std::vector<std::string> out;
  for (const auto& v : check_against_schema(schema, data)) out.push_back(v.path + ": " + v.message);
  return out;
}

using lines = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(data_schema)

BOOST_AUTO_TEST_CASE(a_todo_is_checked_as_ajv_checks_it) {
  BOOST_TEST(problems(kTodos, R"({"text":"buy milk","done":false})").empty());
  BOOST_TEST(problems(kTodos, R"({"text":"","done":false})") ==
                 (lines{"/text: must NOT have fewer than 1 characters", "/text: must match pattern \".*\\S.*\""}),
             boost::test_tools::per_element());
  BOOST_TEST(problems(kTodos, R"({"text":"   ","done":false})") == (lines{"/text: must match pattern \".*\\S.*\""}),
             boost::test_tools::per_element());
  BOOST_TEST(problems(kTodos, R"({"text":"x"})") == (lines{"/: must have required property 'done'"}),
             boost::test_tools::per_element());
  BOOST_TEST(problems(kTodos, R"({"text":"x","done":false,"extra":1})") ==
                 (lines{"/: must NOT have additional properties"}),
             boost::test_tools::per_element());
  BOOST_TEST(problems(kTodos, R"({"text":5,"done":"no"})") == (lines{"/text: must be string", "/done: must be boolean"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(other_keywords_and_nested_values) {
  const char* schema = R"({"type":"object","properties":{
      "n":{"type":"integer","minimum":1,"maximum":3},
      "tags":{"type":"array","maxItems":1,"items":{"enum":["a","b"]}},
      "name":{"maxLength":2}},
    "additionalProperties":{"type":"string"}})";
  BOOST_TEST(problems(schema, R"({"n":2,"tags":["a"],"name":"ab","x":"y"})").empty());
  BOOST_TEST(problems(schema, R"({"n":2.5,"tags":["c","a"],"name":"abc","x":1})") ==
                 (lines{"/n: must be integer", "/tags: must NOT have more than 1 items",
                        "/tags/0: must be equal to one of the allowed values", "/name: must NOT have more than 2 characters",
                        "/x: must be string"}),
             boost::test_tools::per_element());
  BOOST_TEST(problems(schema, R"([])") == (lines{"/: must be object"}), boost::test_tools::per_element());
  BOOST_TEST(problems(R"({"properties":{"a/b":{"minimum":5}}})", R"({"a/b":4})") == (lines{"/a~1b: must be >= 5"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(violations_read_as_the_original_writes_them) {
  json_document schema, data;
  std::string error;
  BOOST_REQUIRE(parse_json(kTodos, schema, error));
  BOOST_REQUIRE(parse_json(R"({"text":"","done":false})", data, error));
  BOOST_TEST(describe_violations("createCoMap for schema co_zS", check_against_schema(schema, data)) ==
             "Validation failed for 'createCoMap for schema co_zS':\n"
             "  - /text: must NOT have fewer than 1 characters\n"
             "  - /text: must match pattern \".*\\S.*\"");
}

BOOST_AUTO_TEST_SUITE_END()
