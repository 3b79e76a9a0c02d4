// MaiaOS's start-up migration of the server account (schema.migration.js), run after
// every start as the JavaScript moai runs it: a profile when the account has none; for
// every spark in account.sparks, os.capabilities.sparkGuardian renamed to guardian, and
// spark.registries.humans created where missing (a CoMap in a group that extends the
// guardian and the public readers, which the account then leaves). Non-blocking: what
// fails is logged and the next start tries again.

#include <memory>
#include <utility>

#include "actors/agent/agent_gateway_state.hpp"
#include "config/log.hpp"

namespace moai::actors::agent_api {
namespace {

on_failure log_failure(const std::string& step) {
  return [step](const node_error& e) {
    log::warn("agent", "start-up migration step skipped", {{"step", step}, {"error", e.message}});
  };
}

void migrate_spark(self_ptr self, const std::string& name, const std::string& spark_id) {
  read(
      self, spark_id,
      [=](const covalue_snapshot& spark) {
        auto os = id_at(spark, "os");
        auto registries = id_at(spark, "registries");
        if (!os) return;
        follow(
            self, *os, {"capabilities"},
            [=](const covalue_snapshot& caps) {
              auto guardian = id_at(caps, "guardian");
              auto old_guardian = id_at(caps, "sparkGuardian");
              if (!guardian && old_guardian) {
                write(
                    self, update_map_request{caps.id, {{"guardian", json_quoted(*old_guardian)}, {"sparkGuardian", {}}}},
                    [=](const std::string&) {
                      log::info("agent", "migrated capabilities sparkGuardian -> guardian", {{"spark", name}});
                    },
                    log_failure("guardian rename"));
                guardian = old_guardian;
              }
              auto public_readers = id_at(caps, "publicReaders");
              if (!registries || !guardian || !public_readers) return;
              read(
                  self, *registries,
                  [=](const covalue_snapshot& regs) {
                    if (id_at(regs, "humans")) return;
                    create_request humans;
                    humans.type = "comap";
                    humans.meta_json = "{\"$schema\":\"@metaSchema\"}";
                    humans.extends = {{*guardian, "extend"}, {*public_readers, "reader"}};
                    humans.leave_group = true;
                    write(
                        self, std::move(humans),
                        [=](const std::string& id) {
                          write(
                              self, update_map_request{regs.id, {{"humans", json_quoted(id)}}},
                              [=](const std::string&) {
                                log::info("agent", "created spark.registries.humans", {{"spark", name}, {"id", id}});
                              },
                              log_failure("registries.humans"));
                        },
                        log_failure("registries.humans"));
                  },
                  log_failure("registries"));
            },
            log_failure("capabilities"));
      },
      log_failure("spark " + name));
}

void migrate_sparks(self_ptr self, const covalue_snapshot& account) {
  auto sparks = id_at(account, "sparks");
  if (!sparks) return;
  read(
      self, *sparks,
      [=](const covalue_snapshot& registry) {
        for (const auto& [name, value] : registry.entries) {
          if (auto id = json_string_value(value); id && id->rfind("co_z", 0) == 0) migrate_spark(self, name, *id);
        }
      },
      log_failure("sparks"));
}

}  // namespace

void migrate_account(self_ptr self) {
  const std::string account_id = self->state.cfg.peer_id;
  read(
      self, account_id,
      [=](const covalue_snapshot& account) {
        if (id_at(account, "profile")) return migrate_sparks(self, account);
        create_request profile;
        profile.type = "comap";
        profile.public_read = true;
        profile.meta_json = "{\"$schema\":\"ProfileSchema\"}";
        profile.map_init = {{"name", json_quoted("Maia Sync Server")}};
        write(
            self, std::move(profile),
            [=](const std::string& id) {
              write(
                  self, update_map_request{account_id, {{"profile", json_quoted(id)}}},
                  [=](const std::string&) {
                    log::info("agent", "created the account's missing profile", {{"profile", id}});
                    migrate_sparks(self, account);
                  },
                  log_failure("profile"));
            },
            log_failure("profile"));
      },
      log_failure("account"));
}

}  // namespace moai::actors::agent_api
