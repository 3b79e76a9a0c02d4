#include "protocol/groups/read_keys.hpp"

#include <vector>

#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

// group.ts canRead: the direct roles that may read the group's key.
bool can_read(const std::string* role) {
  if (!role) return false;
  const std::string& r = *role;
  return r == "admin" || r == "manager" || r == "writer" || r == "reader" || r == "adminInvite" ||
         r == "writerInvite" || r == "readerInvite";
}

// keyRevelations (group.ts updateKeyRevelationsCache): for "<keyID>_for_key_…" fields,
// the IDs of the keys that `key_id` is encrypted under.
std::vector<std::string> encrypting_keys_of(const group_view& group, std::string_view key_id) {
  std::vector<std::string> out;
  const std::string prefix = std::string(key_id) + "_for_";
  const auto& changes = group.changes();
  for (auto it = changes.lower_bound(std::string_view(prefix)); it != changes.end(); ++it) {
    const std::string& field = it->first;
    if (!starts_with(field, prefix)) break;
    // permissions.ts isKeyForKeyField, then split("_for_") into exactly two parts.
    if (!starts_with(field, "key_") || field.find("_for_key") == std::string::npos) continue;
    std::string_view rest = std::string_view(field).substr(prefix.size());
    if (rest.find("_for_") != std::string_view::npos) continue;
    out.emplace_back(rest);
  }
  return out;
}

}  // namespace

key_resolver::key_resolver(agent_identity reader, state_lookup states)
    : reader_(std::move(reader)), states_(std::move(states)) {}

group_view::parent_lookup key_resolver::parent_lookup() {
  return [this](const std::string& id) { return group(id); };
}

const group_view* key_resolver::group(const std::string& id) {
  if (auto it = views_.find(id); it != views_.end()) return &it->second;
  const covalue_state* s = state(id);
  // Parent chains are short; the bound keeps hostile data from exhausting the stack.
  constexpr std::size_t kMaxNesting = 64;
  if (!s || !s->header() || s->header()->ruleset != ruleset_kind::group || evaluating_.count(id) ||
      evaluating_.size() >= kMaxNesting) {
    return nullptr;
  }
  evaluating_.insert(id);
  group_view v = group_view::evaluate(*s, parent_lookup());
  evaluating_.erase(id);
  return &views_.emplace(id, std::move(v)).first->second;
}

std::optional<std::string> key_resolver::agent_of(std::string_view account_or_agent) const {
  if (is_agent_id(account_or_agent)) return std::string(account_or_agent);
  const covalue_state* account = state(std::string(account_or_agent));
  if (!account || !account->header() || !account->header()->is_account()) return std::nullopt;
  const std::string& agent = account->header()->initial_admin;
  if (!is_agent_id(agent)) return std::nullopt;
  return agent;
}

std::optional<std::string> key_resolver::role_of(const std::string& group_id, std::optional<std::uint64_t> time) {
  const group_view* g = group(group_id);
  if (!g) return std::nullopt;
  return g->role_of(reader_.member_id(), time, parent_lookup());
}

std::string key_resolver::key_owner(const covalue_state& value) {
  const covalue_header* h = value.header();
  if (!h) return {};
  if (h->ruleset == ruleset_kind::owned_by_group) return h->group;
  if (h->ruleset == ruleset_kind::group) return value.id();
  return {};
}

std::optional<key32> key_resolver::read_key_secret(const std::string& group_id, std::string_view key_id) {
  auto cache_key = std::make_pair(group_id, std::string(key_id));
  if (auto it = secrets_.find(cache_key); it != secrets_.end()) return it->second;
  const group_view* g = group(group_id);
  // A revelation chain that comes back to a key being resolved cannot help (cojson
  // would recurse forever on such data).
  constexpr std::size_t kMaxChain = 256;  // revelation chains deeper than this are hostile
  if (!g || resolving_.count(cache_key) || resolving_.size() >= kMaxChain) return std::nullopt;
  resolving_.insert(cache_key);
  auto secret = uncached_read_key(group_id, *g, key_id);
  resolving_.erase(cache_key);
  if (secret) secrets_.emplace(std::move(cache_key), *secret);
  return secret;
}

std::optional<key32> key_resolver::uncached_read_key(const std::string& group_id, const group_view& g,
                                                     std::string_view key_id) {
  const std::string key(key_id);
  // 1. Revealed to everyone: the plain secret.
  if (const std::string* everyone = g.get(key + "_for_everyone"); everyone && !everyone->empty()) {
    return decode_key_secret(*everyone);
  }

  // 2. Sealed to the reader. In its own account the key is revealed to the account's
  // primitive agent, elsewhere to the account.
  const std::string agent = reader_.agent_id();
  const std::string me =
      reader_.account_id.empty() ? agent : (group_id == reader_.account_id ? agent : reader_.account_id);
  if (const auto* edit = g.last_change(key + "_for_" + me); edit && !edit->value.empty()) {
    // The sealer is the agent behind the session that wrote the revelation.
    auto revealer = agent_of(session_author(edit->session_id));
    auto from = revealer ? decode_sealer_id(agent_sealer_id(*revealer)) : std::nullopt;
    if (from) {
      auto plain = unseal_text(reader_.secret.sealer_secret, *from, edit->value,
                               transaction_nonce_material(group_id, edit->session_id, edit->tx_index));
      if (plain) {
        if (auto secret = parse_key_secret_json(*plain)) return secret;
      }
    }
  }

  // 3. Encrypted under another key of this group (an older key under the newer one).
  const auto encrypting = encrypting_keys_of(g, key);
  for (const auto& other : encrypting) {
    auto other_secret = read_key_secret(group_id, other);
    if (!other_secret) continue;
    const std::string* encrypted = g.get(key + "_for_" + other);
    if (!encrypted) continue;
    if (auto secret = decrypt_key_secret(*encrypted, key, other, *other_secret)) return secret;
  }

  // 4. Revealed to a parent group: under one of the parent's keys, or sealed to its
  // group sealer. Every parent ever extended counts (old keys stay readable).
  std::vector<std::string> parents;
  const auto& changes = g.changes();
  for (auto it = changes.lower_bound(std::string_view("parent_")); it != changes.end(); ++it) {
    if (!starts_with(it->first, "parent_")) break;
    parents.push_back(it->first.substr(7));
  }
  for (const auto& parent : parents) {
    if (!group(parent)) continue;
    for (const auto& other : encrypting) {
      auto parent_secret = read_key_secret(parent, other);
      if (!parent_secret) continue;
      const std::string* encrypted = g.get(key + "_for_" + other);
      if (!encrypted) continue;
      if (auto secret = decrypt_key_secret(*encrypted, key, other, *parent_secret)) return secret;
    }
    if (auto secret = from_group_sealer(group_id, g, parent, key)) return secret;
  }
  return std::nullopt;
}

std::optional<key32> key_resolver::from_group_sealer(const std::string& child_id, const group_view& child,
                                                     const std::string& parent_id, std::string_view key_id) {
  // group.ts tryDecryptWithGroupSealer: the parent's groupSealer values, newest first;
  // each "readKeyID@sealerID" names the key the sealer secret derives from.
  const group_view* parent = group(parent_id);
  if (!parent) return std::nullopt;
  auto sealers = parent->changes().find(std::string_view("groupSealer"));
  if (sealers == parent->changes().end()) return std::nullopt;
  for (auto it = sealers->second.rbegin(); it != sealers->second.rend(); ++it) {
    const std::string& value = it->value;
    const auto at = value.find('@');
    const bool composite = at != std::string::npos && at > 0;
    const std::string sealer_id = composite ? value.substr(at + 1) : value;
    const auto* edit = child.last_change(std::string(key_id) + "_sealedFor_" + sealer_id);
    if (!edit || edit->value.empty() || !composite) continue;
    auto parent_key = read_key_secret(parent_id, value.substr(0, at));
    if (!parent_key) continue;
    const key32 sealer_secret = group_sealer_secret(encode_key_secret(*parent_key));
    auto plain = unseal_for_group_text(sealer_secret, edit->value,
                                       transaction_nonce_material(child_id, edit->session_id, edit->tx_index));
    if (!plain) continue;
    if (auto secret = parse_key_secret_json(*plain)) return secret;
  }
  return std::nullopt;
}

std::optional<std::string> key_resolver::current_read_key_id(const std::string& group_id) {
  const group_view* g = group(group_id);
  if (!g) return std::nullopt;
  const std::string* read_key_id = g->get("readKey");
  const std::string me = reader_.member_id();

  // healMissingKeyForEveryone (group migration; accounts have none): in a readable-by-
  // everyone group whose current key was not revealed to everyone, an outsider falls
  // back to the newest key that was.
  if (!g->is_account() && read_key_id && can_read(g->get("everyone")) && !g->get(*read_key_id + "_for_everyone") &&
      !can_read(g->get(me))) {
    const std::string suffix = "_for_everyone";
    const group_view::change* latest = nullptr;
    std::string latest_field;
    for (const auto& [field, list] : g->changes()) {
      if (!starts_with(field, "key_") || !ends_with(field, suffix) || list.empty()) continue;
      if (!latest || list.back().made_at > latest->made_at) {
        latest = &list.back();
        latest_field = field;
      }
    }
    if (latest) return latest_field.substr(0, latest_field.find(suffix));
  }

  const auto role = g->role_of(me, std::nullopt, parent_lookup());
  const std::string* write_key = g->get("writeKeyFor_" + me);
  if (role == "writeOnly") {
    if (!write_key) return std::nullopt;
    return *write_key;
  }
  if (!role && write_key) return *write_key;
  if (!read_key_id) return std::nullopt;
  return *read_key_id;
}

std::optional<read_key> key_resolver::current_read_key(const std::string& group_id) {
  auto id = current_read_key_id(group_id);
  if (!id) return std::nullopt;
  auto secret = read_key_secret(group_id, *id);
  if (!secret) return std::nullopt;
  return read_key{*id, *secret};
}

}  // namespace moai::protocol
