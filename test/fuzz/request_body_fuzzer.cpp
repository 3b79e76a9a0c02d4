// libFuzzer target: every body a caller can send to an HTTP route that reads one — the
// agent routes (/on-added, /register-human, /trigger, POST and PATCH /covalues), the LLM
// proxy's chat, and a todo checked against MaiaOS's todos schema — is read without a
// crash; what is read is either a request or a refusal with a 4xx status. The first byte
// picks the route.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "actors/agent/agent_requests.hpp"
#include "actors/llm/chat_request.hpp"
#include "protocol/content/data_schema.hpp"

namespace {

void expect(bool ok) {
  if (!ok) std::abort();
}

template <class T>
void check(const std::variant<T, moai::actors::agent_api::early_answer>& read) {
  if (auto* a = std::get_if<moai::actors::agent_api::early_answer>(&read)) {
    expect(a->status >= 400 && a->status < 500 && !a->body.empty());
  }
}

const char* kTodos =
    R"({"properties":{"text":{"type":"string","minLength":1,"pattern":".*\\S.*"},"done":{"type":"boolean"}},)"
    R"("required":["text","done"],"additionalProperties":false})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace moai::actors;
  using namespace moai::actors::agent_api;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: check(read_on_added(body)); break;
    case 1: check(read_register_human(body)); break;
    case 2: check(read_trigger(body)); break;
    case 3: check(read_create_covalue(body)); break;
    case 4: check(read_patch_covalue("co_zFuzz", body)); break;
    case 5: {
      auto read = read_chat_body(body, "default");
      if (auto* ok = std::get_if<chat_request>(&read)) {
        // What goes upstream is JSON again.
        moai::protocol::json_document doc;
        std::string error;
        expect(moai::protocol::parse_json(ok->upstream_body, doc, error));
      }
      break;
    }
    default: {
      moai::protocol::json_document schema, todo;
      std::string error;
      expect(moai::protocol::parse_json(kTodos, schema, error));
      if (moai::protocol::parse_json(body, todo, error)) {
        auto violations = moai::protocol::check_against_schema(schema, todo);
        for (const auto& v : violations) expect(!v.path.empty() && !v.message.empty());
      }
      // The body as a schema too: any schema a spark holds is read without a crash.
      moai::protocol::json_document as_schema;
      if (moai::protocol::parse_json(body, as_schema, error)) moai::protocol::check_against_schema(as_schema, schema);
    }
  }
  return 0;
}
