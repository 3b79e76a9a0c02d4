// moai check's walk over a real SQLite store with damage planted in its rows, the
// repair that cuts damaged sessions back, and moai backup / restore's copies.
#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <map>

#include "storage/backup.hpp"
#include "storage/covalue_store.hpp"
#include "storage/session_batches.hpp"
#include "storage/store_check.hpp"
#include "sync_fixture.hpp"

using moai::test::signed_world;
using namespace moai;
using namespace moai::storage;

namespace {

std::string temp_path(const char* what) {
  static int n = 0;
  std::string path = "/tmp/moai_store_check_" + std::to_string(::getpid()) + "_" + what + std::to_string(n++) + ".db";
  std::remove(path.c_str());
  return path;
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// An account, its group and a CoMap of five edits whose session has a checkpoint after
// its second transaction, as a server stores them.
struct stored_world {
  signed_world w;
  std::string after_two;  // the session's signature after two transactions

  stored_world() {
    w.edits(5);
    after_two = w.signature_after(2);
  }
  const std::string& id() const { return w.map->id(); }
  std::size_t covalues() const { return w.alice.covalues.size() + 2; }

  covalue_write map_from(std::uint32_t from) const {
    const auto* log = w.map->find_session(w.session());
    covalue_write write;
    write.id = id();
    write.header = w.map->header()->json;
    auto piece = [&](std::uint32_t begin, std::uint32_t end, const std::string& signature, bool checkpoint) {
      if (end <= from) return;
      session_batch b;
      b.session_id = w.session();
      b.after = std::max(begin, from);
      for (auto i = b.after; i < end; ++i) b.transactions.push_back(log->transactions()[i].json);
      b.last_signature = signature;
      b.checkpoint = checkpoint;
      write.batches.push_back(std::move(b));
    };
    piece(0, 2, after_two, true);
    piece(2, log->count(), log->last_signature(), false);
    return write;
  }

  void store(covalue_store& s) const {
    for (const auto& cv : w.alice.covalues) BOOST_REQUIRE(s.write({write_of_state(cv, {})}).empty());
    BOOST_REQUIRE(s.write({write_of_state(*w.group, {})}).empty());
    BOOST_REQUIRE(s.write({map_from(0)}).empty());
  }
};

// The findings of a whole walk, by CoValue.
std::map<std::string, std::vector<check_finding>> walk_all(covalue_store& s, check_totals* totals = nullptr) {
  std::map<std::string, std::vector<check_finding>> out;
  store_checker checker(s);
  checker.walk(3, [&](const std::string& id, const std::vector<check_finding>& f) {
    if (!f.empty()) out[id] = f;
  }, {});
  if (totals) *totals = checker.totals();
  return out;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_check)

BOOST_AUTO_TEST_CASE(check_finds_planted_damage_and_repair_cuts_it_back) {
  const std::string path = temp_path("check");
  stored_world forged, gapped, misheaded;
  {
    auto s = open_sqlite_store(path, "normal");
    for (const auto* world : {&forged, &gapped, &misheaded}) world->store(*s);
    check_totals totals;
    BOOST_TEST(walk_all(*s, &totals).empty());
    BOOST_TEST(totals.covalues == 3 * forged.covalues());
    BOOST_TEST(totals.verified == totals.transactions);
    BOOST_TEST(totals.transactions > 15u);
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    SQLite::Statement sig(db,
                          "UPDATE sessions SET lastSignature = ? WHERE sessionID = ? AND coValue = "
                          "(SELECT rowID FROM coValues WHERE id = ?)");
    sig.bind(1, gapped.after_two);  // a real signature, of another chain
    sig.bind(2, forged.w.session());
    sig.bind(3, forged.id());
    BOOST_REQUIRE_EQUAL(sig.exec(), 1);
    SQLite::Statement gap(db,
                          "DELETE FROM transactions WHERE idx = 3 AND ses = (SELECT s.rowID FROM sessions s JOIN "
                          "coValues c ON s.coValue = c.rowID WHERE c.id = ? AND s.sessionID = ?)");
    gap.bind(1, gapped.id());
    gap.bind(2, gapped.w.session());
    BOOST_REQUIRE_EQUAL(gap.exec(), 1);
    SQLite::Statement header(db, "UPDATE coValues SET header = replace(header, '\"comap\"', '\"colist\"') WHERE id = ?");
    header.bind(1, misheaded.id());
    BOOST_REQUIRE_EQUAL(header.exec(), 1);
  }
  std::map<std::string, std::vector<check_finding>> found;
  {
    auto s = open_sqlite_store(path, "normal", store_access::read_only);
    found = walk_all(*s);
  }
  BOOST_REQUIRE_EQUAL(found.size(), 3u);
  const auto& f = found.at(forged.id()).at(0);
  BOOST_TEST(f.session_id == forged.w.session());
  BOOST_TEST(mentions(f.problem, "from index 2 do not verify"), f.problem);
  BOOST_TEST(f.repairable);
  BOOST_TEST(f.keep == 2u);
  BOOST_TEST(f.signature == forged.after_two);
  BOOST_TEST(f.stored == 5u);
  const auto& g = found.at(gapped.id()).at(0);
  BOOST_TEST(mentions(g.problem, "skip from index 3 to 4"), g.problem);
  BOOST_TEST(g.repairable);
  BOOST_TEST(g.keep == 2u);
  BOOST_TEST(g.stored == 4u);
  const auto& h = found.at(misheaded.id()).at(0);
  BOOST_TEST(h.session_id.empty());
  BOOST_TEST(mentions(h.problem, "header"), h.problem);
  BOOST_TEST(!h.repairable);

  {
    auto s = open_sqlite_store(path, "normal", store_access::exclusive);
    BOOST_TEST(repair(*s, f) == 3u);
    BOOST_TEST(repair(*s, g) == 2u);  // rows 2 and 4 (3 was gone)
    BOOST_TEST(repair(*s, h) == 0u);
    auto again = walk_all(*s);
    BOOST_REQUIRE_EQUAL(again.size(), 1u);
    BOOST_TEST(again.count(misheaded.id()) == 1u);
    // What was cut back verifies, and the writer's content fills it again.
    BOOST_TEST(s->load_known(forged.id())->at(forged.w.session()) == 2u);
    BOOST_TEST(s->write({forged.map_from(2)}).empty());
    BOOST_TEST(s->write({gapped.map_from(2)}).empty());
    BOOST_TEST(walk_all(*s).size() == 1u);
    BOOST_TEST(s->load_known(gapped.id())->at(gapped.w.session()) == 5u);
  }
  remove_db(path);
}

BOOST_AUTO_TEST_CASE(backup_and_restore_copy_the_database_whole) {
  const std::string source = temp_path("source"), copy = temp_path("copy"), fresh = temp_path("fresh");
  stored_world world;
  {
    auto server = open_sqlite_store(source, "normal");  // a server keeps it open meanwhile
    world.store(*server);
    auto report = backup_sqlite(source, copy);
    BOOST_TEST(report.integrity == "ok");
    BOOST_TEST(report.pages > 0u);
    BOOST_TEST(report.rows.covalues == world.covalues());
    BOOST_TEST(report.rows.transactions == server->stats().transactions);
    BOOST_CHECK_THROW(backup_sqlite(source, copy), std::runtime_error);  // never over an existing file
    BOOST_CHECK_THROW(restore_sqlite(copy, source, true), std::runtime_error);  // a server has it open
  }
  auto restored = restore_sqlite(copy, fresh, false);
  BOOST_TEST(restored.rows.covalues == world.covalues());
  {
    auto s = open_sqlite_store(fresh, "normal", store_access::read_only);
    BOOST_TEST(walk_all(*s).empty());
    BOOST_TEST(s->load_known(world.id())->at(world.w.session()) == 5u);
  }
  BOOST_CHECK_THROW(restore_sqlite(copy, fresh, false), std::runtime_error);  // it holds CoValues now
  BOOST_TEST(restore_sqlite(copy, fresh, true).rows.covalues == world.covalues());
  const std::string junk = temp_path("junk");
  std::ofstream(junk) << "not a database";
  BOOST_CHECK_THROW(restore_sqlite(junk, temp_path("never"), false), std::runtime_error);
  for (const auto& p : {source, copy, fresh, junk}) remove_db(p);
}

BOOST_AUTO_TEST_SUITE_END()
