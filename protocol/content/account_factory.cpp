#include "protocol/content/account_factory.hpp"

#include "base/json_text.hpp"
#include "protocol/content/comap.hpp"
#include "protocol/content/group_writer.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

std::string json_string(std::string_view s) {
  std::string out;
  base::append_json_string(out, s);
  return out;
}

}  // namespace

std::vector<std::string> created_account::content_messages() const {
  std::vector<std::string> out;
  for (const auto& state : covalues) {
    for (auto& message : state.new_content_since(nullptr)) out.push_back(std::move(message));
  }
  return out;
}

const covalue_state* created_account::find(const std::string& id) const {
  for (const auto& state : covalues) {
    if (state.id() == id) return &state;
  }
  return nullptr;
}

std::optional<created_account> create_account(const account_options& options) {
  agent_secret secret;
  if (options.secret) {
    secret = *options.secret;
  } else {
    key32 seed{};
    if (options.seed) {
      seed = *options.seed;
    } else {
      random_bytes(seed.data(), seed.size());
    }
    secret = agent_secret_from_seed(seed);
  }
  const std::string agent = secret.agent_id();
  auto account_header = make_account_header(agent);
  if (!account_header) return std::nullopt;

  created_account out;
  out.account_id = covalue_id_of(*account_header);
  out.identity = agent_identity{out.account_id, secret};
  out.agent_secret = secret.text();
  const std::string suffix =
      options.session_suffix.empty() ? local_writer::random_session_suffix() : options.session_suffix;
  const local_writer writer(out.identity, suffix);
  out.session_id = writer.session_id();
  const std::uint64_t now = options.made_at;

  // internalCreateAccount: the agent makes itself admin and reveals the first read key
  // to itself (the account is its own group; it has no account to seal to yet).
  covalue_state account = local_writer::new_covalue(*account_header);
  const read_key account_key = new_random_read_key();
  writer.append_trusting(account, *comap_set_changes(agent, "\"admin\""), now);
  const transaction_id reveal_at = writer.next_transaction_id(account);
  const auto own_sealer = x25519_public_key(secret.sealer_secret);
  const std::string sealed =
      seal_text(secret.sealer_secret, own_sealer, key_secret_json(account_key.secret),
                transaction_nonce_material(out.account_id, reveal_at.session_id, reveal_at.tx_index));
  if (sealed.empty()) return std::nullopt;
  writer.append_trusting(account, *comap_set_changes(account_key.id + "_for_" + agent, json_string(sealed)), now);
  writer.append_trusting(account, *comap_set_changes("readKey", json_string(account_key.id)), now);

  // MaiaOS's schema migration: a profile readable by everyone, with its schema.
  auto profile_group = create_group(writer, creation_stamp::at(now));
  if (!profile_group || !add_everyone(writer, profile_group->state, profile_group->key, "reader", now)) {
    return std::nullopt;
  }
  const creation_stamp profile_stamp = creation_stamp::at(now);
  auto profile_header = make_owned_header("comap", profile_group->state.id(), profile_stamp.created_at,
                                          profile_stamp.uniqueness, "{\"$schema\":\"ProfileSchema\"}");
  auto name_changes = comap_set_changes("name", json_string(options.name));
  if (!profile_header || !name_changes) return std::nullopt;
  covalue_state profile = local_writer::new_covalue(*profile_header);
  writer.append_private(profile, *name_changes, profile_group->key, now);
  writer.append_private(account, *comap_set_changes("profile", json_string(profile.id())), account_key, now);

  // MaiaOS's minimal agent bootstrap: a guardian, and the sparks registry in a group that
  // extends it as admin and that the account leaves (createCoValueForSpark).
  auto guardian = create_group(writer, creation_stamp::at(now));
  auto sparks_group = create_group(writer, creation_stamp::at(now));
  if (!guardian || !sparks_group) return std::nullopt;
  extend_group(writer, sparks_group->state, sparks_group->key, guardian->state.id(), guardian->key, "admin", now);
  const creation_stamp sparks_stamp = creation_stamp::at(now);
  auto sparks_header = make_owned_header("comap", sparks_group->state.id(), sparks_stamp.created_at,
                                         sparks_stamp.uniqueness, "{\"$schema\":\"@metaSchema\"}");
  if (!sparks_header) return std::nullopt;
  covalue_state sparks = local_writer::new_covalue(*sparks_header);
  writer.append_private(sparks, "[]", sparks_group->key, now);
  if (!remove_member(writer, sparks_group->state, sparks_group->key, out.account_id, {},
                     {{guardian->state.id(), guardian->key}}, now)) {
    return std::nullopt;
  }
  writer.append_private(account, *comap_set_changes("sparks", json_string(sparks.id())), account_key, now);

  out.profile_group_id = profile_group->state.id();
  out.profile_id = profile.id();
  out.guardian_id = guardian->state.id();
  out.sparks_group_id = sparks_group->state.id();
  out.sparks_id = sparks.id();
  out.covalues.push_back(std::move(account));
  out.covalues.push_back(std::move(profile_group->state));
  out.covalues.push_back(std::move(profile));
  out.covalues.push_back(std::move(guardian->state));
  out.covalues.push_back(std::move(sparks_group->state));
  out.covalues.push_back(std::move(sparks));
  return out;
}

}  // namespace moai::protocol
