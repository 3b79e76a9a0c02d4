#include "protocol/encoding/ids.hpp"

#include "protocol/encoding/base58.hpp"

namespace moai::protocol {

bool is_covalue_id(std::string_view id) { return starts_with(id, "co_z"); }

bool is_account_id(std::string_view id) { return starts_with(id, "co_"); }

bool is_agent_id(std::string_view id) {
  return starts_with(id, "sealer_") && id.find("/signer_") != std::string_view::npos;
}

std::string_view agent_signer_id(std::string_view agent_id) {
  if (!is_agent_id(agent_id)) return {};
  std::string_view rest = agent_id.substr(agent_id.find('/') + 1);
  return rest.substr(0, rest.find('/'));
}

std::string_view agent_sealer_id(std::string_view agent_id) {
  if (!is_agent_id(agent_id)) return {};
  return agent_id.substr(0, agent_id.find('/'));
}

std::optional<session_id_parts> parse_session_id(std::string_view session_id) {
  auto pos = session_id.find("_session");
  if (pos == std::string_view::npos || pos == 0) return std::nullopt;
  session_id_parts parts;
  parts.owner = session_id.substr(0, pos);
  parts.is_delete = is_delete_session_id(session_id);
  if (!is_account_id(parts.owner) && !is_agent_id(parts.owner)) return std::nullopt;
  return parts;
}

std::optional<bytes> decode_prefixed(std::string_view text, std::string_view prefix, std::size_t size) {
  if (!starts_with(text, prefix)) return std::nullopt;
  auto decoded = base58_decode(text.substr(prefix.size()));
  if (!decoded || decoded->size() != size) return std::nullopt;
  return decoded;
}

}  // namespace moai::protocol
