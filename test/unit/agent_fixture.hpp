// The CoValues of agent_fixtures.json (written by real cojson nodes, see
// test/vectors/gen_agent.mjs), loaded the way a peer accepts content: headers hashed to
// their IDs by the codec, every session's signature verified.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "protocol/crypto/identity.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/content_ingest.hpp"
#include "vectors.hpp"

namespace moai::test {

struct agent_world {
  protocol::json_document doc;
  std::map<std::string, protocol::covalue_state> states;
  std::map<std::string, std::string> names;  // fixture label → CoValue ID

  const protocol::covalue_state* find(const std::string& id) const {
    auto it = states.find(id);
    return it == states.end() ? nullptr : &it->second;
  }
  protocol::covalue_lookup lookup() const {
    return [this](const std::string& id) { return find(id); };
  }
  const std::string& id(const std::string& name) const { return names.at(name); }

  // A reader of the fixture ("bob", "carol") with its known secret.
  protocol::agent_identity reader(const std::string& name) const {
    const auto& r = doc["readers"][name.c_str()];
    auto identity = protocol::parse_identity(str(r, "accountID"), str(r, "agentSecret"));
    if (!identity) throw std::runtime_error("bad reader " + name);
    return *identity;
  }

  // Applies one content message (as wire JSON text); throws unless fully accepted.
  void apply(const std::string& wire) {
    auto frame = protocol::decode_frame(wire);
    if (frame.dropped || !frame.errors.empty() || frame.messages.size() != 1) {
      throw std::runtime_error("undecodable content message");
    }
    auto& message = std::get<protocol::content_message>(frame.messages[0]);
    auto& state = states.try_emplace(message.id, message.id).first->second;
    auto result = protocol::ingest_content(state, message, lookup());
    if (!result.errors.empty() || result.gap) {
      throw std::runtime_error("content rejected: " + (result.errors.empty() ? "gap" : result.errors[0]));
    }
  }
};

inline std::unique_ptr<agent_world> load_agent_world() {
  auto world = std::make_unique<agent_world>();
  world->doc = load_vector("agent_fixtures.json");
  for (auto it = world->doc["names"].MemberBegin(); it != world->doc["names"].MemberEnd(); ++it) {
    if (it->value.IsString()) world->names[it->name.GetString()] = it->value.GetString();
  }
  for (const auto& covalue : world->doc["covalues"].GetArray()) {
    for (const auto& message : covalue["messages"].GetArray()) world->apply(to_wire(message));
  }
  return world;
}

}  // namespace moai::test
