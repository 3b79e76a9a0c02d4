// CoValue headers: parsing, the Rust core's canonical re-serialization, and the ID.
//
// A receiver does not hash the wire text. Like the Rust core, moai parses the header
// into fixed members and serializes them again (createdAt?, meta, ruleset, type,
// uniqueness; unknown members dropped; serde spelling), then hashes that. The
// canonical text is what moai stores and forwards, so every peer re-derives the same ID.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json/json.hpp"

namespace moai::protocol {

enum class ruleset_kind { group, owned_by_group, unsafe_allow_all };

// Content priority as cojson computes it from the header (weights of its send queues).
enum class priority : int { high = 0, medium = 3, low = 6 };

struct covalue_header {
  std::string json;  // canonical text: hashes to the CoValue ID
  std::string type;  // comap | colist | costream | coplaintext (any string is kept)
  ruleset_kind ruleset = ruleset_kind::unsafe_allow_all;
  std::string initial_admin;  // ruleset group: account or agent ID
  std::string group;          // ruleset ownedByGroup: the owning group
  std::string meta_type;      // meta.type when it is a string
  std::string meta_source;    // meta.source when it is a CoValue ID (branches)
  std::string meta_schema;    // meta.$schema when it is a string (MaiaOS names each CoValue's schema)
  bool has_meta = false;      // meta is an object (not null or absent)

  bool is_group_or_account() const { return ruleset == ruleset_kind::group; }
  // cojson's resolveAccountAgent test: a comap group whose meta.type is "account".
  bool is_account() const { return type == "comap" && ruleset == ruleset_kind::group && meta_type == "account"; }
  protocol::priority content_priority() const;
  // Dependencies named by the header (guide §2.7 items 1 and 2).
  void add_dependencies(std::vector<std::string>& out) const;
};

// Parses a header the way the Rust core accepts it. On failure returns nullopt and
// sets `error` (e.g. "missing field `uniqueness`").
std::optional<covalue_header> parse_header(const json_value& v, std::string& error);

// "co_z" + base58(BLAKE3(canonical)[0..19]).
std::string covalue_id_of(const covalue_header& header);

// Headers of the CoValues cojson writers create. `created_at` is an ISO-8601 text as JS
// Date.toISOString() writes it, `uniqueness` the "z…" string of crypto.createdNowUnique;
// `meta_json` an object's JSON text or "null". nullopt when an argument is malformed.
// createMap / createList / createStream: {type, ruleset:{type:"ownedByGroup", group}, meta, createdAt, uniqueness}.
std::optional<covalue_header> make_owned_header(std::string_view type, std::string_view group_id,
                                                std::string_view created_at, std::string_view uniqueness,
                                                std::string_view meta_json = "null");
// createGroup: {type:"comap", ruleset:{type:"group", initialAdmin}, meta, createdAt, uniqueness}.
std::optional<covalue_header> make_group_header(std::string_view initial_admin, std::string_view created_at,
                                                std::string_view uniqueness, std::string_view meta_json = "null");
// accountHeaderForInitialAgentSecret: {type:"comap", ruleset:{type:"group", initialAdmin:<agent>},
// meta:{type:"account"}, createdAt:null, uniqueness:null}.
std::optional<covalue_header> make_account_header(std::string_view agent_id);

// JavaScript's new Date(unix_ms).toISOString(): "2025-01-31T12:34:56.789Z".
std::string iso_timestamp(std::uint64_t unix_ms);

}  // namespace moai::protocol
