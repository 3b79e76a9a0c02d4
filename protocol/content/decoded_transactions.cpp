#include "protocol/content/decoded_transactions.hpp"

#include <algorithm>
#include <map>

#include "protocol/encoding/ids.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol {
namespace {

bool is_json_array(std::string_view text) {
  json_document doc;
  std::string error;
  return parse_json(text, doc, error) && doc.IsArray();
}

bool is_json_object(std::string_view text) {
  json_document doc;
  std::string error;
  return parse_json(text, doc, error) && doc.IsObject();
}

bool can_write(const std::optional<std::string>& role) {
  return role == "admin" || role == "manager" || role == "writer" || role == "writeOnly";
}

// A valid transaction before decryption.
struct candidate {
  transaction_id id;
  const transaction* tx;
};

// Applies compareTransactions with a stable sort: madeAt first; among equal madeAt,
// each session keeps the slots its transactions held in processing order but fills
// them by txIndex (what the stable sort yields whenever a session's transactions were
// processed in index order, i.e. always except for trusting/private interleavings).
void sort_like_cojson(std::vector<decoded_transaction>& txs) {
  std::stable_sort(txs.begin(), txs.end(),
                   [](const decoded_transaction& a, const decoded_transaction& b) { return a.made_at < b.made_at; });
  for (std::size_t begin = 0; begin < txs.size();) {
    std::size_t end = begin + 1;
    while (end < txs.size() && txs[end].made_at == txs[begin].made_at) ++end;
    if (end - begin > 1) {
      std::map<std::string, std::vector<std::size_t>> slots;
      for (std::size_t i = begin; i < end; ++i) slots[txs[i].id.session_id].push_back(i);
      for (auto& [session, positions] : slots) {
        if (positions.size() < 2) continue;
        std::vector<decoded_transaction> members;
        for (auto p : positions) members.push_back(std::move(txs[p]));
        std::stable_sort(members.begin(), members.end(),
                         [](const auto& a, const auto& b) { return a.id.tx_index < b.id.tx_index; });
        for (std::size_t k = 0; k < positions.size(); ++k) txs[positions[k]] = std::move(members[k]);
      }
    }
    begin = end;
  }
}

}  // namespace

std::optional<decrypted_members> decrypt_transaction(std::string_view covalue_id, const transaction_id& id,
                                                     const transaction& tx, const key32& key) {
  auto content = read_private_content(tx);
  if (!content) return std::nullopt;
  const std::string nonce = transaction_nonce_material(covalue_id, id.session_id, id.tx_index);
  auto changes = decrypt_text(key, content->encrypted_changes, nonce);
  if (!changes || !is_json_array(*changes)) return std::nullopt;
  decrypted_members out;
  out.changes_json = std::move(*changes);
  if (content->encrypted_meta) {
    auto meta = decrypt_text(key, *content->encrypted_meta, nonce);
    if (meta && is_json_object(*meta)) out.meta_json = std::move(*meta);
  }
  return out;
}

std::vector<decoded_transaction> decode_transactions(const covalue_state& value, key_resolver& keys,
                                                     decode_stats* stats) {
  decode_stats local;
  decode_stats& st = stats ? *stats : local;
  std::vector<decoded_transaction> out;
  const covalue_header* header = value.header();
  if (!header) return out;

  // 1. Validity, in load order.
  std::vector<candidate> valid;
  if (header->ruleset == ruleset_kind::owned_by_group) {
    const group_view* owner = keys.group(header->group);
    if (!owner) {
      st.owner_missing = true;
      return out;
    }
    // An account owning values acts through its agent (agentInAccountOrMemberInGroup).
    std::optional<std::string> owner_agent;
    if (owner->is_account()) owner_agent = keys.agent_of(owner->id());
    const auto lookup = keys.parent_lookup();
    for (const auto& log : value.sessions()) {
      std::string author(session_author(log.id()));
      if (owner_agent && author == owner->id()) author = *owner_agent;
      std::uint32_t index = 0;
      for (const auto& tx : log.transactions()) {
        if (can_write(owner->role_of(author, tx.made_at, lookup))) {
          valid.push_back({{log.id(), index}, &tx});
        } else {
          ++st.invalid;
        }
        ++index;
      }
    }
  } else if (header->ruleset == ruleset_kind::group) {
    const group_view* self = keys.group(value.id());
    std::optional<group_view> evaluated;
    if (!self) {
      evaluated = group_view::evaluate(value, keys.parent_lookup());
      self = &*evaluated;
    }
    for (const auto& ref : self->valid_transactions()) {
      const session_log* log = value.find_session(ref.session_id);
      if (!log || ref.tx_index >= log->count()) continue;
      valid.push_back({{ref.session_id, ref.tx_index}, &log->transactions()[ref.tx_index]});
    }
    st.invalid += value.transaction_count() - valid.size();
  } else {
    for (const auto& log : value.sessions()) {
      std::uint32_t index = 0;
      for (const auto& tx : log.transactions()) valid.push_back({{log.id(), index++}, &tx});
    }
  }

  // 2. Processing order: trusting transactions at once, private ones after decryption.
  for (const auto& c : valid) {
    if (c.tx->is_private) continue;
    auto content = read_trusting_content(*c.tx);
    if (!content || !is_json_array(content->changes)) {
      ++st.undecryptable;  // unparseable changes: cojson never processes them
      continue;
    }
    decoded_transaction d{c.id, c.tx->made_at, false, std::move(content->changes), std::nullopt};
    if (content->meta && is_json_object(*content->meta)) d.meta_json = std::move(content->meta);
    out.push_back(std::move(d));
  }
  const std::string owner = key_resolver::key_owner(value);
  for (const auto& c : valid) {
    if (!c.tx->is_private) continue;
    auto content = read_private_content(*c.tx);
    auto key = content && !owner.empty() ? keys.read_key_secret(owner, content->key_used) : std::nullopt;
    auto plain = key ? decrypt_transaction(value.id(), c.id, *c.tx, *key) : std::nullopt;
    if (!plain) {
      ++st.undecryptable;
      continue;
    }
    out.push_back({c.id, c.tx->made_at, true, std::move(plain->changes_json), std::move(plain->meta_json)});
  }
  st.valid = out.size();

  // 3. cojson's order.
  sort_like_cojson(out);
  return out;
}

}  // namespace moai::protocol
