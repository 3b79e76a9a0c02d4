#include "actors/metrics.hpp"

namespace moai::actors {

std::string_view action_name(action a) {
  static constexpr std::string_view names[] = {"load", "known", "content", "done", "reconcile", "reconcile-ack"};
  return names[static_cast<std::size_t>(a)];
}

std::string_view rejection_name(rejection r) {
  static constexpr std::string_view names[] = {"invalid_json",      "invalid_message",     "invalid_header",
                                                "invalid_signature", "unknown_signer",      "invalid_transaction",
                                                "invalid_delete"};
  return names[static_cast<std::size_t>(r)];
}

}  // namespace moai::actors
