// Signed content for the sync core's tests, made with the project's own writer (checked
// against real cojson in unit.agent_writes): an account that owns a group, a CoMap in
// that group, and content messages for what a peer lacks of it, as a client sends them.
#pragma once

#include <boost/test/unit_test.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "protocol/content/account_factory.hpp"
#include "protocol/content/group_writer.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/session_signer.hpp"

namespace moai::protocol {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& out, const known_state& k) { return out << encode_known(k); }
}  // namespace moai::protocol

namespace moai::test {

class signed_world {
 public:
  static constexpr std::uint64_t kNow = 1764000000000;

  protocol::created_account alice;
  std::optional<protocol::covalue_state> group;
  std::optional<protocol::covalue_state> map;  // the client's copy

  signed_world() {
    protocol::crypto_init();
    alice = *protocol::create_account({"alice", kNow, std::nullopt, "", std::nullopt});
    writer_.emplace(alice.identity, protocol::local_writer::random_session_suffix());
    auto created = protocol::create_group(*writer_, protocol::creation_stamp::at(kNow));
    BOOST_REQUIRE(created);
    group = std::move(created->state);
    const auto stamp = protocol::creation_stamp::at(kNow + 1);
    map = protocol::local_writer::new_covalue(
        *protocol::make_owned_header("comap", group->id(), stamp.created_at, stamp.uniqueness));
  }

  // One edit of the client's map (a trusting `set`), in alice's account session.
  void edit(const std::string& key, int value) {
    const std::string changes = "[{\"op\":\"set\",\"key\":\"" + key + "\",\"value\":" + std::to_string(value) + "}]";
    writer_->append_trusting(*map, changes, kNow + 10 + edits_++);
    signatures_.push_back(map->find_session(session())->last_signature());
  }
  // Edits k0 = 0, k1 = 1, …, `n` of them.
  void edits(int n) {
    for (int i = 0; i < n; ++i) edit("k" + std::to_string(i), i);
  }
  // The session's signature after its first `n` edits (a checkpoint's, for tests).
  const std::string& signature_after(std::size_t n) const { return signatures_.at(n - 1); }
  const std::string& session() const { return writer_->session_id(); }

  // What a peer that holds `from` lacks of `state`, as decoded content messages.
  static std::vector<protocol::content_message> content_since(const protocol::covalue_state& state,
                                                              const protocol::known_state& from) {
    std::vector<protocol::content_message> out;
    for (const auto& piece : state.new_content_since(&from)) {
      auto frame = protocol::decode_frame(piece);
      BOOST_REQUIRE(!frame.dropped && frame.errors.empty() && frame.messages.size() == 1);
      out.push_back(std::get<protocol::content_message>(std::move(frame.messages[0])));
    }
    return out;
  }
  // The whole map as one message (header included).
  protocol::content_message whole_map() const {
    auto messages = content_since(*map, protocol::known_state{map->id(), false, {}});
    BOOST_REQUIRE_EQUAL(messages.size(), 1u);
    return messages[0];
  }
  // The map's session from transaction `after` on, without the header.
  protocol::content_message map_from(std::uint32_t after) const {
    protocol::known_state from{map->id(), true, {{session(), after}}};
    auto messages = content_since(*map, from);
    BOOST_REQUIRE_EQUAL(messages.size(), 1u);
    return messages[0];
  }

  // Account facts as a server learns them: alice's account is at hand.
  protocol::account_lookup accounts() const {
    return [this](const std::string& id) -> std::optional<protocol::account_facts> {
      const auto* account = alice.find(id);
      if (!account || !account->header()) return std::nullopt;
      return protocol::account_facts{account->header()->is_account(), account->header()->initial_admin};
    };
  }

 private:
  std::optional<protocol::local_writer> writer_;
  int edits_ = 0;
  std::vector<std::string> signatures_;
};

}  // namespace moai::test
