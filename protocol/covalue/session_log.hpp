// One session's transactions and the BLAKE3 hash chain that its signatures cover
// (guide §3.5).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/covalue/transaction.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/encoding/blake3_hash.hpp"

namespace moai::protocol {

// cojson's MAX_RECOMMENDED_TX_SIZE: past this many bytes since the last checkpoint a
// batch's signature is kept as a checkpoint, and content is cut into pieces there.
constexpr std::uint32_t kMaxRecommendedTxSize = 100 * 1024;

class session_log {
 public:
  explicit session_log(std::string session_id) : id_(std::move(session_id)) {}

  const std::string& id() const { return id_; }
  std::uint32_t count() const { return static_cast<std::uint32_t>(transactions_.size()); }
  const std::vector<transaction>& transactions() const { return transactions_; }
  const std::string& last_signature() const { return last_signature_; }
  // Index of the last transaction a checkpoint covers → that batch's signature.
  const std::map<std::uint32_t, std::string>& checkpoints() const { return checkpoints_; }
  std::uint32_t bytes_since_checkpoint() const { return bytes_since_checkpoint_; }

  // The hash ("hash_z…") the log would have with `more` appended.
  std::string hash_with(const std::vector<transaction>& more);

  // Verifies that `signature` signs the chain extended by `more` with `signer`, and
  // appends on success. `more` must continue the log exactly (the caller trims what
  // is already known). On failure nothing changes and `hash` names the hash that
  // did not verify.
  bool try_append(std::vector<transaction>&& more, std::string_view signature, const key32& signer, std::string& hash);
  // The same for source[from, to), which are moved out of `source` only on success.
  bool try_append(std::vector<transaction>& source, std::size_t from, std::size_t to, std::string_view signature,
                  const key32& signer, std::string& hash);

  // Appends transactions already verified elsewhere (e.g. read back from storage):
  // no hashing until a later append needs the chain.
  void append_trusted(std::vector<transaction>&& more, std::string signature);

  // Restores checkpoint bookkeeping exactly as storage recorded it.
  void restore_checkpoints(std::map<std::uint32_t, std::string> checkpoints, std::uint32_t bytes_since_checkpoint);

  // Appends a transaction written by this server and signs the new hash with `signer_seed`.
  // Returns the new signature.
  std::string append_signed(transaction tx, const key32& signer_seed);

 private:
  const blake3_hasher_state& chain();
  void record_batch(std::uint32_t batch_size, const std::string& signature);

  std::string id_;
  std::vector<transaction> transactions_;
  std::string last_signature_;
  std::map<std::uint32_t, std::string> checkpoints_;
  std::uint32_t bytes_since_checkpoint_ = 0;
  // Hash chain over transactions_[0 .. hashed_); caught up lazily.
  blake3_hasher_state hasher_;
  std::size_t hashed_ = 0;
};

}  // namespace moai::protocol
