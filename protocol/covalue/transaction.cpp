#include "protocol/covalue/transaction.hpp"

#include <climits>
#include <cstdint>
#include <cstring>

#include "base/json_text.hpp"

namespace moai::protocol {
namespace {

// Optional string member: absent or null → not set; any other non-string → invalid.
bool optional_string(const json_value& obj, std::string_view key, const json_value*& out) {
  out = find_member(obj, key);
  if (out && out->IsNull()) out = nullptr;
  return !out || out->IsString();
}

// A cursor over canonical transaction text.
struct canonical_reader {
  const char* p;
  const char* end;

  bool literal(std::string_view s) {
    if (static_cast<std::size_t>(end - p) < s.size() || std::memcmp(p, s.data(), s.size()) != 0) return false;
    p += s.size();
    return true;
  }

  // A string spelled exactly as append_json_string spells its value; `units` gets the
  // value's length as utf16_length counts it. Surrogate code points are refused, as
  // parse_transaction refuses them.
  bool string(std::uint32_t* units = nullptr) {
    if (p == end || *p != '"') return false;
    ++p;
    std::uint32_t n = 0;
    while (p < end) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') {
        ++p;
        if (units) *units = n;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (end - p < 2) return false;
        switch (p[1]) {
          case '"':
          case '\\':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            p += 2;
            ++n;
            continue;
          case 'u': {
            // Only control characters without a short escape, as \u00xx in lowercase.
            if (end - p < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) return false;
            const char h = p[5];
            const bool hex = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f');
            const int value = (p[4] - '0') * 16 + (h <= '9' ? h - '0' : h - 'a' + 10);
            if (!hex || value == '\b' || value == '\t' || value == '\n' || value == '\f' || value == '\r') return false;
            p += 6;
            ++n;
            continue;
          }
          default:
            return false;
        }
      }
      if (c == 0xED && p + 1 < end && static_cast<unsigned char>(p[1]) >= 0xA0) return false;
      if ((c & 0xC0) != 0x80) ++n;
      if (c >= 0xF0) ++n;
      ++p;
    }
    return false;
  }

  // An unsigned integer as std::to_string writes it.
  bool uint64(std::uint64_t& out) {
    const char* start = p;
    out = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      const auto digit = static_cast<std::uint64_t>(*p - '0');
      if (out > (UINT64_MAX - digit) / 10) return false;
      out = out * 10 + digit;
      ++p;
    }
    const auto digits = p - start;
    return digits > 0 && (digits == 1 || *start != '0');
  }
};

}  // namespace

namespace {

// The canonical grammar check; fills everything but tx.json.
bool read_canonical_members(std::string_view text, transaction& tx) {
  canonical_reader r{text.data(), text.data() + text.size()};
  if (r.literal("{\"encryptedChanges\":")) {
    tx.is_private = true;
    if (!r.string(&tx.size) || !r.literal(",\"keyUsed\":") || !r.string()) return false;
  } else if (r.literal("{\"changes\":")) {
    if (!r.string(&tx.size)) return false;
  } else {
    return false;
  }
  if (!r.literal(",\"madeAt\":") || !r.uint64(tx.made_at)) return false;
  if (r.literal(",\"meta\":") && !r.string()) return false;
  return r.literal(tx.is_private ? ",\"privacy\":\"private\"}" : ",\"privacy\":\"trusting\"}") && r.p == r.end;
}

}  // namespace

std::optional<transaction> read_canonical_transaction(std::string_view text) {
  transaction tx;
  if (!read_canonical_members(text, tx)) return std::nullopt;
  tx.json = std::string(text);
  return tx;
}

transaction make_trusting_transaction(std::string_view changes, std::uint64_t made_at,
                                      const std::optional<std::string>& meta) {
  transaction tx;
  tx.json.reserve(changes.size() + 64);
  tx.json.append("{\"changes\":");
  base::append_json_string(tx.json, changes);
  tx.json.append(",\"madeAt\":");
  tx.json.append(std::to_string(made_at));
  if (meta) {
    tx.json.append(",\"meta\":");
    base::append_json_string(tx.json, *meta);
  }
  tx.json.append(",\"privacy\":\"trusting\"}");
  tx.made_at = made_at;
  tx.size = static_cast<std::uint32_t>(base::utf16_length(changes));
  return tx;
}

transaction make_private_transaction(std::string_view encrypted_changes, std::string_view key_id, std::uint64_t made_at,
                                     const std::optional<std::string>& encrypted_meta) {
  transaction tx;
  tx.json.reserve(encrypted_changes.size() + 96);
  tx.json.append("{\"encryptedChanges\":");
  base::append_json_string(tx.json, encrypted_changes);
  tx.json.append(",\"keyUsed\":");
  base::append_json_string(tx.json, key_id);
  tx.json.append(",\"madeAt\":");
  tx.json.append(std::to_string(made_at));
  if (encrypted_meta) {
    tx.json.append(",\"meta\":");
    base::append_json_string(tx.json, *encrypted_meta);
  }
  tx.json.append(",\"privacy\":\"private\"}");
  tx.made_at = made_at;
  tx.is_private = true;
  tx.size = static_cast<std::uint32_t>(base::utf16_length(encrypted_changes));
  return tx;
}

std::optional<transaction> parse_transaction(const json_value& v, std::string& error) {
  if (!v.IsObject()) {
    error = "transaction is not an object";
    return std::nullopt;
  }
  const json_value* made_at = find_member(v, "madeAt");
  std::string_view privacy;
  if (!made_at || !made_at->IsNumber() || !get_string(v, "privacy", privacy)) {
    error = "transaction without madeAt or privacy";
    return std::nullopt;
  }
  // The Rust core reads madeAt as a serde Number and requires as_u64(): a JSON
  // integer literal in 0..2^64-1 (1.5, -1 and 1e3 are all rejected).
  if (!made_at->IsUint64()) {
    error = "Invalid transaction: Failed to convert made_at to u64";
    return std::nullopt;
  }

  transaction tx;
  tx.made_at = made_at->GetUint64();
  std::string& out = tx.json;

  std::string_view encrypted_changes, key_used, changes;
  const json_value* meta = nullptr;
  const bool meta_ok = optional_string(v, "meta", meta);
  if (get_string(v, "encryptedChanges", encrypted_changes) && get_string(v, "keyUsed", key_used) && meta_ok) {
    tx.is_private = true;
    tx.size = static_cast<std::uint32_t>(base::utf16_length(encrypted_changes));
    out.reserve(encrypted_changes.size() + 96);
    out.append("{\"encryptedChanges\":");
    base::append_json_string(out, encrypted_changes);
    out.append(",\"keyUsed\":");
    base::append_json_string(out, key_used);
  } else if (get_string(v, "changes", changes) && meta_ok) {
    tx.size = static_cast<std::uint32_t>(base::utf16_length(changes));
    out.reserve(changes.size() + 64);
    out.append("{\"changes\":");
    base::append_json_string(out, changes);
  } else {
    error = "transaction matches neither the private nor the trusting shape";
    return std::nullopt;
  }
  out.append(",\"madeAt\":");
  out.append(std::to_string(tx.made_at));
  if (meta) {
    out.append(",\"meta\":");
    base::append_json_string(out, view_of(*meta));
  }
  out.append(",\"privacy\":");
  base::append_json_string(out, privacy);
  out.push_back('}');

  if (base::has_surrogate_code_point(out)) {
    error = "lone surrogate in transaction";
    return std::nullopt;
  }
  return tx;
}

std::optional<transaction> parse_stored_transaction(std::string&& text, std::string& error) {
  transaction tx;
  if (read_canonical_members(text, tx)) {
    tx.json = std::move(text);  // already canonical: kept, not copied
    return tx;
  }
  json_document doc;
  if (!parse_stored_json(text, doc, error)) return std::nullopt;
  return parse_transaction(doc, error);
}

std::optional<trusting_content> read_trusting_content(const transaction& tx) {
  if (tx.is_private) return std::nullopt;
  json_document doc;
  std::string error;
  if (!parse_json(tx.json, doc, error)) return std::nullopt;
  std::string_view changes, meta;
  if (!get_string(doc, "changes", changes)) return std::nullopt;
  trusting_content content;
  content.changes = std::string(changes);
  if (get_string(doc, "meta", meta)) content.meta = std::string(meta);
  return content;
}

std::optional<private_content> read_private_content(const transaction& tx) {
  if (!tx.is_private) return std::nullopt;
  json_document doc;
  std::string error;
  if (!parse_json(tx.json, doc, error)) return std::nullopt;
  std::string_view changes, key, meta;
  if (!get_string(doc, "encryptedChanges", changes) || !get_string(doc, "keyUsed", key)) return std::nullopt;
  private_content content;
  content.encrypted_changes = std::string(changes);
  content.key_used = std::string(key);
  if (get_string(doc, "meta", meta)) content.encrypted_meta = std::string(meta);
  return content;
}

}  // namespace moai::protocol
