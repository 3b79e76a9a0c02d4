#include "protocol/sync/schema_rule.hpp"

namespace moai::protocol {

std::optional<std::string> missing_schema(const std::string& id, const covalue_header& header,
                                          const std::string& server_account) {
  if (header.ruleset == ruleset_kind::group || header.meta_type == "account" || id == server_account) {
    return std::nullopt;
  }
  if (!header.has_meta) return "missing header.meta: every CoValue must have headerMeta.$schema (groups and accounts excepted)";
  if (header.meta_schema.empty()) return "missing $schema in headerMeta: every CoValue must have a schema";
  return std::nullopt;
}

}  // namespace moai::protocol
