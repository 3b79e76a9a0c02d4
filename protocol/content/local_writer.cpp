#include "protocol/content/local_writer.hpp"

#include <array>

#include "protocol/covalue/header.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/encoding/base58.hpp"

namespace moai::protocol {
namespace {

template <std::size_t N>
std::string random_z() {
  std::array<std::uint8_t, N> bytes{};
  random_bytes(bytes.data(), bytes.size());
  return "z" + base58_encode(bytes.data(), bytes.size());
}

}  // namespace

creation_stamp creation_stamp::at(std::uint64_t made_at) {
  return creation_stamp{made_at, iso_timestamp(made_at), random_z<12>()};
}

std::string local_writer::random_session_suffix() {
  return random_z<8>();
}

local_writer::local_writer(agent_identity me, std::string session_suffix)
    : me_(std::move(me)),
      session_id_(me_.member_id() + "_session_" + session_suffix),
      agent_session_id_(me_.agent_id() + "_session_" + session_suffix),
      signer_public_(ed25519_public_key(me_.secret.signer_seed)) {}

const std::string& local_writer::session_for(const covalue_state& target) const {
  const covalue_header* h = target.header();
  return h && h->meta_type == "account" ? agent_session_id_ : session_id_;
}

transaction_id local_writer::next_transaction_id(const covalue_state& target) const {
  const std::string& session = session_for(target);
  return {session, target.count(session)};
}

transaction_id local_writer::append(covalue_state& target, transaction tx) const {
  transaction_id id = next_transaction_id(target);
  // Signed, then added through the verifying path so the state notes dependencies
  // (member accounts of groups) exactly as for content from peers.
  const std::string hash = target.session(id.session_id).hash_with({tx});
  const std::string signature = sign_hash(me_.secret.signer_seed, hash);
  std::vector<transaction> batch;
  batch.push_back(std::move(tx));
  std::string checked;
  target.try_add(id.session_id, std::move(batch), signature, signer_public_, checked);
  return id;
}

transaction_id local_writer::append_trusting(covalue_state& target, std::string_view changes_json,
                                             std::uint64_t made_at, const std::optional<std::string>& meta_json) const {
  return append(target, make_trusting_transaction(changes_json, made_at, meta_json));
}

transaction_id local_writer::append_private(covalue_state& target, std::string_view changes_json, const read_key& key,
                                            std::uint64_t made_at, const std::optional<std::string>& meta_json) const {
  const transaction_id id = next_transaction_id(target);
  const std::string nonce = transaction_nonce_material(target.id(), id.session_id, id.tx_index);
  std::optional<std::string> encrypted_meta;
  if (meta_json) encrypted_meta = encrypt_text(key.secret, *meta_json, nonce);
  return append(
      target, make_private_transaction(encrypt_text(key.secret, changes_json, nonce), key.id, made_at, encrypted_meta));
}

covalue_state local_writer::new_covalue(const covalue_header& header) {
  covalue_state state(covalue_id_of(header));
  state.set_header(header);
  return state;
}

}  // namespace moai::protocol
