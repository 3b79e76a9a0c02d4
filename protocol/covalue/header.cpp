#include "protocol/covalue/header.hpp"

#include <cstdio>

#include "base/json_text.hpp"
#include "protocol/encoding/blake3_hash.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

// serde_json's default recursion limit; deeper headers are rejected by the Rust core.
constexpr int kSerdeMaxDepth = 128;

bool has_duplicate_names(const json_value& obj) {
  for (auto a = obj.MemberBegin(); a != obj.MemberEnd(); ++a) {
    for (auto b = a + 1; b != obj.MemberEnd(); ++b) {
      if (view_of(a->name) == view_of(b->name)) return true;
    }
  }
  return false;
}

// Uniqueness = String | Bool | Integer(i64) | Null | Object(string → string, non-empty keys).
bool append_uniqueness(std::string& out, const json_value& u) {
  if (u.IsString() || u.IsBool() || u.IsNull()) return append_serde_json(out, u, 1);
  if (u.IsNumber()) {
    if (!u.IsInt64()) return false;  // floats and integers beyond i64
    out.append(std::to_string(u.GetInt64()));
    return true;
  }
  if (u.IsObject()) {
    for (auto it = u.MemberBegin(); it != u.MemberEnd(); ++it) {
      if (!it->value.IsString() || it->name.GetStringLength() == 0) return false;
    }
    return append_serde_json(out, u, 2);
  }
  return false;
}

bool parse_ruleset(const json_value& r, covalue_header& h, std::string& out, std::string& error) {
  std::string_view type;
  if (!r.IsObject() || !get_string(r, "type", type)) {
    error = "invalid ruleset";
    return false;
  }
  std::string_view text;
  if (type == "group") {
    if (!get_string(r, "initialAdmin", text)) {
      error = "ruleset group without initialAdmin";
      return false;
    }
    h.ruleset = ruleset_kind::group;
    h.initial_admin = std::string(text);
    out.append("{\"initialAdmin\":");
    base::append_json_string(out, text);
    out.append(",\"type\":\"group\"}");
    return true;
  }
  if (type == "ownedByGroup") {
    if (!get_string(r, "group", text)) {
      error = "ruleset ownedByGroup without group";
      return false;
    }
    const json_value* restrict_deletion = find_member(r, "restrictDeletion");
    if (restrict_deletion && !restrict_deletion->IsBool() && !restrict_deletion->IsNull()) {
      error = "invalid restrictDeletion";
      return false;
    }
    h.ruleset = ruleset_kind::owned_by_group;
    h.group = std::string(text);
    out.append("{\"group\":");
    base::append_json_string(out, text);
    if (restrict_deletion && restrict_deletion->IsBool()) {
      out.append(restrict_deletion->GetBool() ? ",\"restrictDeletion\":true" : ",\"restrictDeletion\":false");
    }
    out.append(",\"type\":\"ownedByGroup\"}");
    return true;
  }
  if (type == "unsafeAllowAll") {
    h.ruleset = ruleset_kind::unsafe_allow_all;
    out.append("{\"type\":\"unsafeAllowAll\"}");
    return true;
  }
  error = "unknown ruleset type";
  return false;
}

}  // namespace

priority covalue_header::content_priority() const {
  if (meta_type == "account" || ruleset == ruleset_kind::group) return priority::high;
  if (type == "costream" && meta_type == "binary") return priority::low;
  return priority::medium;
}

void covalue_header::add_dependencies(std::vector<std::string>& out) const {
  if (ruleset == ruleset_kind::owned_by_group) out.push_back(group);
  if (!meta_source.empty()) out.push_back(meta_source);
}

std::optional<covalue_header> parse_header(const json_value& v, std::string& error) {
  if (!v.IsObject()) {
    error = "header is not an object";
    return std::nullopt;
  }
  if (has_duplicate_names(v)) {
    error = "duplicate header member";
    return std::nullopt;
  }
  covalue_header h;
  std::string& out = h.json;
  out.reserve(256);
  out.push_back('{');

  if (const json_value* created_at = find_member(v, "createdAt")) {
    if (created_at->IsString()) {
      out.append("\"createdAt\":");
      base::append_json_string(out, view_of(*created_at));
      out.push_back(',');
    } else if (created_at->IsNull()) {
      out.append("\"createdAt\":null,");
    } else {
      error = "invalid createdAt";
      return std::nullopt;
    }
  }

  out.append("\"meta\":");
  const json_value* meta = find_member(v, "meta");
  if (!meta || meta->IsNull()) {
    out.append("null");
  } else {
    if (!append_serde_json(out, *meta, kSerdeMaxDepth - 1)) {
      error = "meta nests too deeply";
      return std::nullopt;
    }
    std::string_view text;
    h.has_meta = meta->IsObject();
    if (get_string(*meta, "type", text)) h.meta_type = std::string(text);
    if (get_string(*meta, "source", text) && is_covalue_id(text)) h.meta_source = std::string(text);
    if (get_string(*meta, "$schema", text)) h.meta_schema = std::string(text);
  }

  const json_value* ruleset = find_member(v, "ruleset");
  if (!ruleset) {
    error = "missing field `ruleset`";
    return std::nullopt;
  }
  out.append(",\"ruleset\":");
  if (!parse_ruleset(*ruleset, h, out, error)) return std::nullopt;

  std::string_view type;
  if (!get_string(v, "type", type)) {
    error = "missing or invalid field `type`";
    return std::nullopt;
  }
  h.type = std::string(type);
  out.append(",\"type\":");
  base::append_json_string(out, type);

  const json_value* uniqueness = find_member(v, "uniqueness");
  if (!uniqueness) {
    error = "missing field `uniqueness`";
    return std::nullopt;
  }
  out.append(",\"uniqueness\":");
  if (!append_uniqueness(out, *uniqueness)) {
    error = "invalid uniqueness";
    return std::nullopt;
  }
  out.push_back('}');

  if (base::has_surrogate_code_point(out)) {
    error = "lone surrogate in header";
    return std::nullopt;
  }
  return h;
}

std::string covalue_id_of(const covalue_header& header) {
  return covalue_id_from_digest(blake3(header.json));
}

namespace {

std::optional<covalue_header> header_from_text(const std::string& text) {
  json_document doc;
  std::string error;
  if (!parse_json(text, doc, error)) return std::nullopt;
  return parse_header(doc, error);
}

bool is_json_object_or_null(std::string_view text) {
  json_document doc;
  std::string error;
  return parse_json(text, doc, error) && (doc.IsObject() || doc.IsNull());
}

// Closes a header text whose ruleset object is still open: meta, createdAt and
// uniqueness in the order cojson writes them.
std::optional<covalue_header> finish_header(std::string& text, std::string_view meta_json, std::string_view created_at,
                                            std::string_view uniqueness) {
  text.append("},\"meta\":");
  text.append(meta_json);
  text.append(",\"createdAt\":");
  base::append_json_string(text, created_at);
  text.append(",\"uniqueness\":");
  base::append_json_string(text, uniqueness);
  text.push_back('}');
  return header_from_text(text);
}

}  // namespace

std::optional<covalue_header> make_owned_header(std::string_view type, std::string_view group_id,
                                                std::string_view created_at, std::string_view uniqueness,
                                                std::string_view meta_json) {
  if (!is_json_object_or_null(meta_json)) return std::nullopt;
  std::string text = "{\"type\":";
  base::append_json_string(text, type);
  text.append(",\"ruleset\":{\"type\":\"ownedByGroup\",\"group\":");
  base::append_json_string(text, group_id);
  return finish_header(text, meta_json, created_at, uniqueness);
}

std::optional<covalue_header> make_group_header(std::string_view initial_admin, std::string_view created_at,
                                                std::string_view uniqueness, std::string_view meta_json) {
  if (!is_json_object_or_null(meta_json)) return std::nullopt;
  std::string text = "{\"type\":\"comap\",\"ruleset\":{\"type\":\"group\",\"initialAdmin\":";
  base::append_json_string(text, initial_admin);
  return finish_header(text, meta_json, created_at, uniqueness);
}

std::optional<covalue_header> make_account_header(std::string_view agent_id) {
  std::string text = "{\"type\":\"comap\",\"ruleset\":{\"type\":\"group\",\"initialAdmin\":";
  base::append_json_string(text, agent_id);
  text.append("},\"meta\":{\"type\":\"account\"},\"createdAt\":null,\"uniqueness\":null}");
  return header_from_text(text);
}

std::string iso_timestamp(std::uint64_t unix_ms) {
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
  const std::int64_t ms = static_cast<std::int64_t>(unix_ms % 1000);
  const std::int64_t secs = static_cast<std::int64_t>(unix_ms / 1000);
  std::int64_t days = secs / 86400;
  const std::int64_t rem = secs % 86400;
  days += 719468;
  const std::int64_t era = days / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t year = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60), static_cast<long long>(ms));
  return buf;
}

}  // namespace moai::protocol
