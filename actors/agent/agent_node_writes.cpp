// The agent node (agent_node.cpp), its writes: CoMap edits and CoList appends in the
// account's session, new CoValues (in a group of the account's, or a new group that
// may extend others and that the account may leave), and the account's bootstrap. Each
// answers once the server acknowledged what it wrote (in moai: once it is committed).

#include <utility>

#include "actors/agent/agent_node_state.hpp"
#include "config/log.hpp"
#include "protocol/content/account_factory.hpp"
#include "protocol/content/covalue_edit.hpp"
#include "protocol/content/group_writer.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/json/js_json.hpp"

namespace moai::actors::agent_node_internal {
namespace {

// ---- writing ----------------------------------------------------------------

write_result written(std::string id, node_error error = {}) {
  write_result r;
  r.error = std::move(error);
  r.id = std::move(id);
  return r;
}

// Registers `done` for when the server holds everything we wrote to `t` so far.
void await_ack(self_ptr self, tracked_covalue& t, done_callback done) {
  const std::string& session = self->state.writer->session_for(*t.state);
  t.acks.push_back(
      {session, t.state->count(session), steady::now() + self->state.options.ack_timeout, std::move(done)});
  schedule_sweep(self);
  check_acks(t);
}

// The key to encrypt with in group `group_id` (loaded), after checking that the account
// may write there: admin, manager or writer of the group, or its own account.
std::optional<protocol::read_key> write_key(self_ptr self, const std::string& group_id, node_error& error) {
  auto keys = resolver(self);
  if (group_id != self->state.identity.account_id) {
    auto role = keys.role_of(group_id);
    if (!role || (*role != "admin" && *role != "manager" && *role != "writer")) {
      error = {403, "the server account may not write in " + group_id +
                        " (its role there: " + (role ? *role : std::string("none")) + ")"};
      return std::nullopt;
    }
  }
  auto key = keys.current_read_key(group_id);
  if (!key) error = {403, "the server account cannot reach the read key of " + group_id};
  return key;
}

// Every value is JSON text (checked before anything is written, so an edit is all or nothing).
bool all_json(const std::vector<map_edit>& edits, const std::vector<std::string>& items) {
  for (const auto& e : edits) {
    if (e.value_json && !protocol::js_json_from_text(*e.value_json)) return false;
  }
  for (const auto& item : items) {
    if (!protocol::js_json_from_text(item)) return false;
  }
  return true;
}

node_error edit_failure(protocol::edit_error e, const std::string& id) {
  switch (e) {
    case protocol::edit_error::bad_value:
      return {400, "a value is not JSON"};
    case protocol::edit_error::wrong_type:
      return {400, id + " is not of that type"};
    case protocol::edit_error::not_permitted:
      return {403, "the server account may not write to " + id};
    case protocol::edit_error::no_key:
      return {403, "the server account cannot reach the read key of " + id};
    default:
      return {500, std::string("cannot edit ") + id + ": " + protocol::to_string(e)};
  }
}

// Applies `edits` to the CoMap in `t` (each its own transaction, as RawCoMap.set does).
node_error apply_edits(self_ptr self, tracked_covalue& t, const std::vector<map_edit>& edits, std::uint64_t made_at) {
  auto keys = resolver(self);
  for (const auto& e : edits) {
    auto r = e.value_json ? protocol::comap_set(*self->state.writer, keys, *t.state, e.key, *e.value_json, made_at)
                          : protocol::comap_delete(*self->state.writer, keys, *t.state, e.key, made_at);
    if (auto* error = std::get_if<protocol::edit_error>(&r)) return edit_failure(*error, t.state->id());
  }
  return {};
}

node_error apply_append(self_ptr self, tracked_covalue& t, const std::vector<std::string>& items,
                        std::uint64_t made_at) {
  auto keys = resolver(self);
  auto r = protocol::colist_append(*self->state.writer, keys, *t.state, items, made_at);
  if (auto* error = std::get_if<protocol::edit_error>(&r)) return edit_failure(*error, t.state->id());
  return {};
}

}  // namespace

void update_map(self_ptr self, update_map_request req, std::function<void(write_result)> reply) {
  if (!all_json(req.edits, {})) return reply(written(req.id, node_error{400, "a value is not JSON"}));
  ensure_loaded(self, req.id, [=](const node_error& e) {
    if (!e.ok()) return reply(written(req.id, e));
    auto& t = track(self, req.id);
    if (t.state->header()->type != "comap") return reply(written(req.id, node_error{400, req.id + " is not a CoMap"}));
    node_error error = apply_edits(self, t, req.edits, now_ms());
    if (!error.ok()) return reply(written(req.id, error));
    upload(self, t);
    await_ack(self, t, [=](const node_error& e) { reply(written(req.id, e)); });
  });
}

void append_list(self_ptr self, append_list_request req, std::function<void(write_result)> reply) {
  if (!all_json({}, req.items_json)) return reply(written(req.id, node_error{400, "a list item is not JSON"}));
  ensure_loaded(self, req.id, [=](const node_error& e) {
    if (!e.ok()) return reply(written(req.id, e));
    auto& t = track(self, req.id);
    if (t.state->header()->type != "colist") {
      return reply(written(req.id, node_error{400, req.id + " is not a CoList"}));
    }
    node_error error = apply_append(self, t, req.items_json, now_ms());
    if (!error.ok()) return reply(written(req.id, error));
    upload(self, t);
    await_ack(self, t, [=](const node_error& e) { reply(written(req.id, e)); });
  });
}

namespace {

// Creates the value in `owner` (loaded) and uploads it; its ID, or the error.
std::pair<std::string, node_error> make_value(self_ptr self, const create_request& req, const std::string& owner) {
  node_error error;
  if (!write_key(self, owner, error)) return {std::string(), error};
  const auto stamp = protocol::creation_stamp::at(now_ms());
  auto header = protocol::make_owned_header(req.type, owner, stamp.created_at, stamp.uniqueness, req.meta_json);
  if (!header) return {std::string(), node_error{400, "invalid meta"}};
  const std::string id = protocol::covalue_id_of(*header);
  auto& t = track(self, id);
  *t.state = protocol::local_writer::new_covalue(*header);
  t.load_sent = t.settled = t.found = true;
  if (req.type == "comap") {
    // createMap(init): all of it in one transaction.
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& e : req.map_init) {
      if (e.value_json) entries.emplace_back(e.key, *e.value_json);
    }
    auto keys = resolver(self);
    auto r = protocol::comap_assign(*self->state.writer, keys, *t.state, entries, stamp.made_at);
    if (auto* e = std::get_if<protocol::edit_error>(&r)) error = edit_failure(*e, id);
  }
  if (req.type == "colist" && !req.list_init.empty()) error = apply_append(self, t, req.list_init, stamp.made_at);
  upload(self, t);
  return {id, error};
}

// Loads `ids` one after the other, then calls `done` (with the first error, if any).
void load_all(self_ptr self, std::vector<std::string> ids, done_callback done) {
  if (ids.empty()) return done(node_error{});
  const std::string first = ids.front();
  ids.erase(ids.begin());
  ensure_loaded(self, first, [=](const node_error& e) {
    if (!e.ok()) return done(e);
    load_all(self, ids, done);
  });
}

// Calls `done` once the server acknowledged everything written to every one of `ids`.
void await_all(self_ptr self, const std::vector<std::string>& ids, done_callback done) {
  auto left = std::make_shared<std::size_t>(ids.size());
  auto first_error = std::make_shared<node_error>();
  for (const auto& id : ids) {
    await_ack(self, track(self, id), [=](const node_error& e) {
      if (!e.ok() && first_error->ok()) *first_error = e;
      if (--*left == 0) done(*first_error);
    });
  }
}

// A new group for `req`: it extends the requested parents (each loaded), then holds the
// value; the account leaves it afterwards when asked to.
void create_in_new_group(self_ptr self, const create_request& req, std::function<void(write_result)> reply) {
  auto& st = self->state;
  auto created = protocol::create_group(*st.writer, protocol::creation_stamp::at(now_ms()));
  if (!created) return reply(written(std::string(), node_error{500, "could not create a group"}));
  if (req.public_read) protocol::add_everyone(*st.writer, created->state, created->key, "reader", now_ms());
  auto keys = resolver(self);
  std::vector<std::pair<std::string, protocol::read_key>> parents;
  for (const auto& [parent, role] : req.extends) {
    auto parent_key = keys.current_read_key(parent);
    if (!parent_key) {
      return reply(written(std::string(), node_error{403, "the server account cannot read the group " + parent +
                                                              " it was asked to extend (add it as a member)"}));
    }
    protocol::extend_group(*st.writer, created->state, created->key, parent, *parent_key, role, now_ms());
    parents.emplace_back(parent, *parent_key);
  }
  const std::string group_id = created->state.id();
  auto& g = track(self, group_id);
  *g.state = std::move(created->state);
  g.load_sent = g.settled = g.found = true;
  auto [id, error] = make_value(self, req, group_id);
  if (!error.ok()) {
    upload(self, g);
    return reply(written(id, error));
  }
  if (req.leave_group) {
    auto& group = track(self, group_id);
    if (!protocol::remove_member(*st.writer, *group.state, created->key, st.identity.account_id, {}, parents,
                                 now_ms())) {
      return reply(written(id, node_error{500, "could not leave the new group"}));
    }
  }
  upload(self, g);
  // A copy: lambdas cannot capture structured bindings in C++17 (clang refuses).
  await_all(self, {group_id, id}, [=, id = id](const node_error& e) { reply(written(id, e)); });
}

}  // namespace

void create(self_ptr self, create_request req, std::function<void(write_result)> reply) {
  if (req.type != "comap" && req.type != "colist") {
    return reply(written(std::string(), node_error{400, "type must be comap or colist"}));
  }
  if (!all_json(req.map_init, req.list_init))
    return reply(written(std::string(), node_error{400, "a value is not JSON"}));
  if (!req.owner_group.empty()) {
    ensure_loaded(self, req.owner_group, [=](const node_error& e) {
      if (!e.ok()) return reply(written(std::string(), e));
      auto& group = track(self, req.owner_group);
      if (!group.state->header()->is_group_or_account() || group.state->header()->is_account()) {
        return reply(written(std::string(), node_error{400, req.owner_group + " is not a group"}));
      }
      auto [id, error] = make_value(self, req, req.owner_group);
      if (!error.ok()) return reply(written(id, error));
      await_ack(self, track(self, id), [=, id = id](const node_error& e) { reply(written(id, e)); });
    });
    return;
  }
  std::vector<std::string> needed{self->state.identity.account_id};
  for (const auto& [parent, role] : req.extends) needed.push_back(parent);
  load_all(self, needed, [=](const node_error& e) {
    if (!e.ok()) return reply(written(std::string(), e));
    create_in_new_group(self, req, reply);
  });
}

void bootstrap(self_ptr self, bootstrap_request req, std::function<void(bootstrap_result)> reply) {
  const std::string account_id = self->state.identity.account_id;
  ensure_loaded(self, account_id, [=](const node_error& e) {
    if (e.ok()) {
      const auto* h = track(self, account_id).state->header();
      if (!h->is_account()) return reply(bootstrap_result{{500, "PEER_ID " + account_id + " is not an account"}, false});
      if (h->initial_admin != self->state.identity.agent_id()) {
        return reply(bootstrap_result{{500, "PEER_SECRET is not the secret of PEER_ID's agent"}, false});
      }
      return reply(bootstrap_result{{}, false});
    }
    if (e.status != 404) return reply(bootstrap_result{e, false});
    // No peer has it: create it from the secret, in this node's session.
    auto& st = self->state;
    const std::string& session = st.writer->session_id();
    protocol::account_options options{req.name, now_ms(), std::nullopt,
                                      session.substr(session.find("_session_") + 9), st.identity.secret};
    auto created = protocol::create_account(options);
    if (!created) return reply(bootstrap_result{{500, "could not create the server account"}, false});
    if (created->account_id != account_id) {
      return reply(bootstrap_result{{500, "PEER_ID " + account_id + " is not the account of PEER_SECRET (" +
                                              created->account_id + ")"},
                                    false});
    }
    std::vector<std::string> ids;
    for (auto& state : created->covalues) {
      const std::string id = state.id();
      auto& t = track(self, id);
      *t.state = std::move(state);
      t.load_sent = t.settled = t.found = true;
      upload(self, t);
      ids.push_back(id);
    }
    log::info("agent", "the server account was not found; created it from PEER_SECRET",
              {{"account", account_id}, {"profile", created->profile_id}, {"sparks", created->sparks_id}});
    await_all(self, ids, [=](const node_error& e) { reply(bootstrap_result{e, e.ok()}); });
  });
}

}  // namespace moai::actors::agent_node_internal
