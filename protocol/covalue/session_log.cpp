#include "protocol/covalue/session_log.hpp"

#include "protocol/crypto/keys.hpp"

namespace moai::protocol {

const blake3_hasher_state& session_log::chain() {
  for (; hashed_ < transactions_.size(); ++hashed_) hasher_.update(transactions_[hashed_].json);
  return hasher_;
}

std::string session_log::hash_with(const std::vector<transaction>& more) {
  blake3_hasher_state h = chain();
  for (const auto& tx : more) h.update(tx.json);
  return hash_id(h.digest());
}

bool session_log::try_append(std::vector<transaction>&& more, std::string_view signature, const key32& signer,
                             std::string& hash) {
  return try_append(more, 0, more.size(), signature, signer, hash);
}

bool session_log::try_append(std::vector<transaction>& source, std::size_t from, std::size_t to,
                             std::string_view signature, const key32& signer, std::string& hash) {
  blake3_hasher_state h = chain();
  std::uint32_t batch_size = 0;
  for (std::size_t i = from; i < to; ++i) {
    h.update(source[i].json);
    batch_size += source[i].size;
  }
  hash = hash_id(h.digest());
  auto sig = decode_signature(signature);
  if (!sig || !verify_hash_signature(signer, hash, *sig)) return false;

  hasher_ = h;
  for (std::size_t i = from; i < to; ++i) transactions_.push_back(std::move(source[i]));
  hashed_ = transactions_.size();
  last_signature_ = std::string(signature);
  record_batch(batch_size, last_signature_);
  return true;
}

void session_log::append_trusted(std::vector<transaction>&& more, std::string signature) {
  std::uint32_t batch_size = 0;
  for (auto& tx : more) {
    batch_size += tx.size;
    transactions_.push_back(std::move(tx));
  }
  last_signature_ = std::move(signature);
  record_batch(batch_size, last_signature_);
}

void session_log::restore_checkpoints(std::map<std::uint32_t, std::string> checkpoints,
                                      std::uint32_t bytes_since_checkpoint) {
  checkpoints_ = std::move(checkpoints);
  bytes_since_checkpoint_ = bytes_since_checkpoint;
}

std::string session_log::append_signed(transaction tx, const key32& signer_seed) {
  blake3_hasher_state h = chain();
  h.update(tx.json);
  std::string signature = sign_hash(signer_seed, hash_id(h.digest()));
  hasher_ = h;
  std::uint32_t size = tx.size;
  transactions_.push_back(std::move(tx));
  hashed_ = transactions_.size();
  last_signature_ = signature;
  record_batch(size, last_signature_);
  return signature;
}

void session_log::record_batch(std::uint32_t batch_size, const std::string& signature) {
  // The rule cojson's SQLite storage applies per stored batch (storageSync.ts putNewTxs).
  if (bytes_since_checkpoint_ + batch_size > kMaxRecommendedTxSize) {
    checkpoints_[count() - 1] = signature;
    bytes_since_checkpoint_ = 0;
  } else {
    bytes_since_checkpoint_ += batch_size;
  }
}

}  // namespace moai::protocol
