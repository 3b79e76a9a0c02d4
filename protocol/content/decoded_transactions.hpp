// What a reader's content view is built from (cojson coValueCore.ts getValidTransactions
// and getValidSortedTransactions): the transactions that are valid under the CoValue's
// ruleset, decrypted where the reader holds the key, in the order cojson applies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/groups/read_keys.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace moai::protocol {

// A transaction's position: the "txID" of cojson.
struct transaction_id {
  std::string session_id;
  std::uint32_t tx_index = 0;
};

struct decoded_transaction {
  transaction_id id;
  std::uint64_t made_at = 0;
  bool is_private = false;
  std::string changes_json;              // a JSON array (decrypted for private transactions)
  std::optional<std::string> meta_json;  // a JSON object when present and readable
};

struct decode_stats {
  std::size_t valid = 0;
  std::size_t invalid = 0;        // the author had no write rights at madeAt (or a bad group tx)
  std::size_t undecryptable = 0;  // key out of reach, or the plaintext is not a JSON array
  bool owner_missing = false;     // the owning group is not at hand: nothing is valid
};

// Decrypts a private transaction of `covalue_id` written at (session_id, tx_index):
// changes and meta share the nonce {"in":…,"tx":{sessionID, txIndex}}. nullopt when the
// changes do not decrypt to a JSON array; an undecryptable meta is left out, as cojson does.
struct decrypted_members {
  std::string changes_json;
  std::optional<std::string> meta_json;
};
std::optional<decrypted_members> decrypt_transaction(std::string_view covalue_id, const transaction_id& id,
                                                     const transaction& tx, const key32& key);

// The valid, readable transactions of `value`, ordered as a reader that loaded the
// whole CoValue at once applies them:
//  * validity: owned values count a transaction when its author was admin, manager,
//    writer or writeOnly of the owning group at madeAt (permissions.ts); groups and
//    accounts use the group rules (group_view); unsafeAllowAll takes everything;
//  * processing order: valid trusting transactions first, then the private ones once
//    decrypted, each in session order (cojson's dispatch order on a fresh load);
//  * then sorted by madeAt; on equal madeAt, transactions of one session by index and
//    transactions of different sessions in processing order (compareTransactions with
//    JavaScript's stable sort).
std::vector<decoded_transaction> decode_transactions(const covalue_state& value, key_resolver& keys,
                                                     decode_stats* stats = nullptr);

}  // namespace moai::protocol
