#include "protocol/transaction.hpp"

#include "protocol/json_text.hpp"

namespace moai::protocol {
namespace {

// Optional string member: absent or null → not set; any other non-string → invalid.
bool optional_string(const json_value& obj, std::string_view key, const json_value*& out) {
  out = find_member(obj, key);
  if (out && out->IsNull()) out = nullptr;
  return !out || out->IsString();
}

}  // namespace

transaction make_trusting_transaction(std::string_view changes, std::uint64_t made_at,
                                      const std::optional<std::string>& meta) {
  transaction tx;
  tx.json.reserve(changes.size() + 64);
  tx.json.append("{\"changes\":");
  append_json_string(tx.json, changes);
  tx.json.append(",\"madeAt\":");
  tx.json.append(std::to_string(made_at));
  if (meta) {
    tx.json.append(",\"meta\":");
    append_json_string(tx.json, *meta);
  }
  tx.json.append(",\"privacy\":\"trusting\"}");
  tx.made_at = made_at;
  tx.size = static_cast<std::uint32_t>(utf16_length(changes));
  return tx;
}

transaction make_private_transaction(std::string_view encrypted_changes, std::string_view key_id,
                                     std::uint64_t made_at, const std::optional<std::string>& encrypted_meta) {
  transaction tx;
  tx.json.reserve(encrypted_changes.size() + 96);
  tx.json.append("{\"encryptedChanges\":");
  append_json_string(tx.json, encrypted_changes);
  tx.json.append(",\"keyUsed\":");
  append_json_string(tx.json, key_id);
  tx.json.append(",\"madeAt\":");
  tx.json.append(std::to_string(made_at));
  if (encrypted_meta) {
    tx.json.append(",\"meta\":");
    append_json_string(tx.json, *encrypted_meta);
  }
  tx.json.append(",\"privacy\":\"private\"}");
  tx.made_at = made_at;
  tx.is_private = true;
  tx.size = static_cast<std::uint32_t>(utf16_length(encrypted_changes));
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
    tx.size = static_cast<std::uint32_t>(utf16_length(encrypted_changes));
    out.reserve(encrypted_changes.size() + 96);
    out.append("{\"encryptedChanges\":");
    append_json_string(out, encrypted_changes);
    out.append(",\"keyUsed\":");
    append_json_string(out, key_used);
  } else if (get_string(v, "changes", changes) && meta_ok) {
    tx.size = static_cast<std::uint32_t>(utf16_length(changes));
    out.reserve(changes.size() + 64);
    out.append("{\"changes\":");
    append_json_string(out, changes);
  } else {
    error = "transaction matches neither the private nor the trusting shape";
    return std::nullopt;
  }
  out.append(",\"madeAt\":");
  out.append(std::to_string(tx.made_at));
  if (meta) {
    out.append(",\"meta\":");
    append_json_string(out, view_of(*meta));
  }
  out.append(",\"privacy\":");
  append_json_string(out, privacy);
  out.push_back('}');

  if (has_surrogate_code_point(out)) {
    error = "lone surrogate in transaction";
    return std::nullopt;
  }
  return tx;
}

std::optional<transaction> parse_transaction_text(std::string_view text, std::string& error) {
  json_document doc;
  if (!parse_json(text, doc, error)) return std::nullopt;
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
