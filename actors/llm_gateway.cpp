#include "actors/llm_gateway.hpp"

namespace moai::actors {
namespace {

// Placeholder until the proxy lands: a clear 501 instead of a 404.
class unimplemented_llm_gateway final : public llm_gateway {
 public:
  void handle(gateway::http_request&&, gateway::responder respond) override {
    respond(gateway::json_response(501, "{\"error\":\"LLM proxy not implemented yet\"}"));
  }
};

}  // namespace

std::unique_ptr<llm_gateway> make_llm_gateway(caf::actor_system&, const config&) {
  return std::make_unique<unimplemented_llm_gateway>();
}

}  // namespace moai::actors
