// The JavaScript moai's storage rule (MaiaOS storage-hook-wrapper.js), as an option for
// MaiaOS deployments (storage.require_schema): a CoValue whose header carries no
// meta.$schema is not stored. Groups and accounts are exempt (ruleset "group", or meta
// type "account"), and so is the server's own account. Only content that carries a
// header is judged: later content of a CoValue we never accepted has nothing to join.
#pragma once

#include <optional>
#include <string>

#include "protocol/covalue/header.hpp"

namespace moai::protocol {

// Why the CoValue `id` with `header` is refused; nullopt when it may be stored.
std::optional<std::string> missing_schema(const std::string& id, const covalue_header& header,
                                          const std::string& server_account);

}  // namespace moai::protocol
