#include "protocol/content/group_writer.hpp"

#include "base/json_text.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

std::string set_change(std::string_view key, std::string_view string_value) {
  std::string out = "[{\"op\":\"set\",\"key\":";
  base::append_json_string(out, key);
  out.append(",\"value\":");
  base::append_json_string(out, string_value);
  out.append("}]");
  return out;
}

// storeKeyRevelationForMember: `<keyID>_for_<member>` = the key sealed from our agent to
// the member's agent, with the nonce of the transaction that will hold it.
bool reveal_to(const local_writer& writer, covalue_state& group, const read_key& key, std::string_view member,
               std::string_view member_agent_id, std::uint64_t made_at) {
  auto to = decode_sealer_id(agent_sealer_id(member_agent_id));
  if (!to) return false;
  const transaction_id at = writer.next_transaction_id(group);
  const std::string sealed = seal_text(writer.identity().secret.sealer_secret, *to, key_secret_json(key.secret),
                                       transaction_nonce_material(group.id(), at.session_id, at.tx_index));
  if (sealed.empty()) return false;
  writer.append_trusting(group, set_change(key.id + "_for_" + std::string(member), sealed), made_at);
  return true;
}

}  // namespace

std::string group_sealer_value(const read_key& key) {
  const key32 sealer_secret = group_sealer_secret(key.secret_text());
  return key.id + "@" + encode_sealer_id(x25519_public_key(sealer_secret));
}

std::optional<created_group> create_group(const local_writer& writer, const creation_stamp& stamp,
                                          std::string_view meta_json) {
  const agent_identity& me = writer.identity();
  auto header = make_group_header(me.member_id(), stamp.created_at, stamp.uniqueness, meta_json);
  if (!header) return std::nullopt;
  created_group g{local_writer::new_covalue(*header), new_random_read_key()};
  writer.append_trusting(g.state, set_change(me.member_id(), "admin"), stamp.made_at);
  if (!reveal_to(writer, g.state, g.key, me.member_id(), me.agent_id(), stamp.made_at)) return std::nullopt;
  writer.append_trusting(g.state, set_change("readKey", g.key.id), stamp.made_at);
  writer.append_trusting(g.state, set_change("groupSealer", group_sealer_value(g.key)), stamp.made_at);
  return g;
}

bool add_member(const local_writer& writer, covalue_state& group, const read_key& current_key, std::string_view member,
                std::string_view member_agent_id, std::string_view role, std::uint64_t made_at) {
  static constexpr std::string_view roles[] = {"reader",       "writer",       "manager",       "admin",
                                               "readerInvite", "writerInvite", "managerInvite", "adminInvite"};
  bool known = false;
  for (auto r : roles) known = known || r == role;
  if (!known || member == "everyone" || !is_agent_id(member_agent_id)) return false;
  if (!decode_sealer_id(agent_sealer_id(member_agent_id))) return false;
  writer.append_trusting(group, set_change(member, role), made_at);
  return reveal_to(writer, group, current_key, member, member_agent_id, made_at);
}

bool add_everyone(const local_writer& writer, covalue_state& group, const read_key& current_key, std::string_view role,
                  std::uint64_t made_at) {
  if (role != "reader" && role != "writer") return false;
  writer.append_trusting(group, set_change("everyone", role), made_at);
  writer.append_trusting(group, set_change(current_key.id + "_for_everyone", current_key.secret_text()), made_at);
  return true;
}

void extend_group(const local_writer& writer, covalue_state& child, const read_key& child_key,
                  std::string_view parent_id, const read_key& parent_key, std::string_view role,
                  std::uint64_t made_at) {
  writer.append_trusting(child, set_change("parent_" + std::string(parent_id), role), made_at);
  writer.append_trusting(child,
                         set_change(child_key.id + "_for_" + parent_key.id, encrypt_key_secret(child_key, parent_key)),
                         made_at);
}

std::optional<read_key> remove_member(const local_writer& writer, covalue_state& group, const read_key& current_key,
                                      std::string_view member, const std::vector<group_reader>& remaining_readers,
                                      const std::vector<std::pair<std::string, read_key>>& parents,
                                      std::uint64_t made_at) {
  read_key fresh = new_random_read_key();
  for (const auto& r : remaining_readers) {
    if (r.member == member) continue;
    if (!reveal_to(writer, group, fresh, r.member, r.agent_id, made_at)) return std::nullopt;
  }
  writer.append_trusting(group, set_change(current_key.id + "_for_" + fresh.id, encrypt_key_secret(current_key, fresh)),
                         made_at);
  writer.append_trusting(group, set_change("readKey", fresh.id), made_at);
  writer.append_trusting(group, set_change("groupSealer", group_sealer_value(fresh)), made_at);
  for (const auto& [parent_id, parent_key] : parents) {
    writer.append_trusting(group, set_change(fresh.id + "_for_" + parent_key.id, encrypt_key_secret(fresh, parent_key)),
                           made_at);
  }
  writer.append_trusting(group, set_change(member, "revoked"), made_at);
  return fresh;
}

}  // namespace moai::protocol
