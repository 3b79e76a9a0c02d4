// The SQLite store: cojson's schema, append semantics, restart durability.
#include <SQLiteCpp/SQLiteCpp.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "storage/covalue_store.hpp"
#include "storage/session_batches.hpp"

using namespace moai::storage;

namespace {

std::string temp_db() {
  static int n = 0;
  std::string path = "/tmp/moai_storage_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".db";
  std::remove(path.c_str());
  return path;
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

covalue_write batch(const std::string& id, const std::string& header, const std::string& session, std::uint32_t after,
                    std::vector<std::string> txs, const std::string& sig, bool checkpoint = false) {
  covalue_write w;
  w.id = id;
  w.header = header;
  session_batch b;
  b.session_id = session;
  b.after = after;
  b.transactions = std::move(txs);
  b.last_signature = sig;
  b.checkpoint = checkpoint;
  w.batches.push_back(std::move(b));
  return w;
}

void exercise(covalue_store& s) {
  BOOST_TEST(!s.load("co_zmissing"));
  BOOST_TEST(!s.load_known("co_zmissing"));
  BOOST_TEST(s.write({batch("co_z1", "{\"h\":1}", "s1", 0, {"t0", "t1"}, "sig1")}).empty());
  // Overlap is trimmed, the new part appended.
  BOOST_TEST(s.write({batch("co_z1", "", "s1", 1, {"t1", "t2"}, "sig2", true)}).empty());
  // A gap is refused and reported.
  BOOST_TEST(s.write({batch("co_z1", "", "s1", 5, {"t5"}, "sig5")}) == std::vector<std::size_t>{0});
  // No header for an unknown CoValue: refused.
  BOOST_TEST(s.write({batch("co_z2", "", "s1", 0, {"t0"}, "sig")}) == std::vector<std::size_t>{0});
  s.write({batch("co_z1", "", "s2", 0, {"u0"}, "sigu")});

  auto cv = s.load("co_z1");
  BOOST_REQUIRE(cv);
  BOOST_TEST(cv->header == "{\"h\":1}");
  BOOST_REQUIRE_EQUAL(cv->sessions.size(), 2u);
  BOOST_TEST(cv->sessions[0].session_id == "s1");  // first stored first
  BOOST_TEST(cv->sessions[0].transactions == (std::vector<std::string>{"t0", "t1", "t2"}));
  BOOST_TEST(cv->sessions[0].last_signature == "sig2");
  BOOST_TEST(cv->sessions[0].checkpoints.at(2) == "sig2");
  BOOST_TEST(cv->sessions[1].transactions == (std::vector<std::string>{"u0"}));
  auto known = s.load_known("co_z1");
  BOOST_REQUIRE(known);
  BOOST_TEST(known->at("s1") == 3u);
  BOOST_TEST(known->at("s2") == 1u);
  // Several loads at once (one read transaction in SQLite), answered in order.
  auto many = s.load_many({"co_zmissing", "co_z1", "co_z1"});
  BOOST_REQUIRE_EQUAL(many.size(), 3u);
  BOOST_TEST(!many[0].covalue);
  BOOST_TEST(many[0].error.empty());
  BOOST_REQUIRE(many[1].covalue && many[2].covalue);
  BOOST_TEST(many[1].covalue->sessions[0].transactions == cv->sessions[0].transactions);
  BOOST_TEST(many[2].covalue->sessions[1].last_signature == "sigu");
  // Writes still commit after a batch of loads.
  s.write({batch("co_z1", "", "s2", 1, {"u1"}, "sigu1")});
  BOOST_TEST(s.load_known("co_z1")->at("s2") == 2u);
  auto stats = s.stats();
  BOOST_TEST(stats.covalues == 1u);
  BOOST_TEST(stats.transactions == 5u);
  // Texts come back byte for byte, whatever they hold (quotes, backslashes, braces,
  // commas, newlines, non-ASCII).
  const std::string odd = "{\"k\":\"a\\\"b\\\\c,{}\",\"u\":\"\xc3\xa9\\n\"}\nNULL";
  BOOST_TEST(s.write({batch("co_zodd", "{\"h\":\"x\"}", "s1", 0, {odd, "", "\""}, "sig")}).empty());
  BOOST_TEST(s.load("co_zodd")->sessions.at(0).transactions == (std::vector<std::string>{odd, "", "\""}));
  s.write({batch("co_zodd", "", "s1", 0, {odd, "", "\""}, "sig")});  // trimmed away entirely
  BOOST_TEST(s.load_known("co_zodd")->at("s1") == 3u);
}

// An accepted delete leaves only the delete sessions (IDs ending in '$') and the
// tombstone, as cojson's storage does.
void exercise_delete(covalue_store& s) {
  s.write({batch("co_zdel", "{\"h\":2}", "alice_session_z1", 0, {"t0", "t1"}, "sig", true)});
  s.write({batch("co_zdel", "", "bob_session_z2", 0, {"u0"}, "sigu")});
  auto del = batch("co_zdel", "", "alice_session_zd$", 0, {"d0"}, "sigd");
  del.deleted = true;
  BOOST_TEST(s.write({del}).empty());
  auto cv = s.load("co_zdel");
  BOOST_REQUIRE(cv);
  BOOST_TEST(cv->deleted);
  BOOST_REQUIRE_EQUAL(cv->sessions.size(), 1u);
  BOOST_TEST(cv->sessions[0].session_id == "alice_session_zd$");
  BOOST_TEST(cv->sessions[0].transactions == (std::vector<std::string>{"d0"}));
  BOOST_TEST(s.load_known("co_zdel")->size() == 1u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage)

// A batch of writes names exactly the writes it could not store in full, so that only
// those go unacknowledged; the others are stored.
void exercise_incomplete(covalue_store& s) {
  auto second = batch("co_zb", "", "s4", 3, {"w3"}, "sigw");  // a gap: nothing of s4 stored
  second.batches.push_back(batch("co_zb", "", "s5", 0, {"x0"}, "sigx").batches.front());
  BOOST_TEST(
      s.write({batch("co_za", "{\"h\":5}", "s3", 0, {"v0"}, "sigv"), covalue_write{"co_zb", "{\"h\":6}", {}, false},
               second, batch("co_za", "", "s3", 1, {"v1"}, "sigv1")}) == (std::vector<std::size_t>{2}));
  auto a = s.load("co_za");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->sessions.at(0).transactions == (std::vector<std::string>{"v0", "v1"}));
  auto b = s.load_known("co_zb");
  BOOST_REQUIRE(b);
  BOOST_TEST(b->count("s4") == 0u);
  BOOST_TEST(b->at("s5") == 1u);  // the write's other batch was stored
}

// The test PostgreSQL server (ctest's `postgres` fixture sets MOAI_TEST_POSTGRES_URL),
// with a new empty schema: the URL of a connection that uses it.
std::string fresh_postgres_schema() {
  const char* url = std::getenv("MOAI_TEST_POSTGRES_URL");
  if (!url || !*url) return {};
  static int n = 0;
  const std::string schema = "moai_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  PGconn* c = PQconnectdb(url);
  BOOST_REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, "PostgreSQL at " << url << ": " << PQerrorMessage(c));
  PGresult* r = PQexec(c, ("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema).c_str());
  BOOST_REQUIRE(PQresultStatus(r) == PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(c);
  std::string with_schema = url;
  with_schema += (with_schema.find('?') == std::string::npos ? "?" : "&");
  return with_schema + "options=-csearch_path%3D" + schema;
}

// Runs `check` on a memory store, on the test PostgreSQL server (in a schema of its own)
// and on a new SQLite database, whose path it returns (closed, still on disk).
template <class Check>
std::string on_every_store(Check check) {
  check(*open_memory_store());
  if (auto url = fresh_postgres_schema(); !url.empty()) {
    check(*open_postgres_store(url));
  } else {
    BOOST_TEST_MESSAGE("MOAI_TEST_POSTGRES_URL unset: PostgreSQL store not checked (ctest sets it)");
  }
  std::string path = temp_db();
  check(*open_sqlite_store(path, "normal"));
  return path;
}

BOOST_AUTO_TEST_CASE(writes_not_stored_in_full_are_named) {
  remove_db(on_every_store(exercise_incomplete));
}

// Stored CoValues are listed in pages, in ID order, with their session counts.
void exercise_list(covalue_store& s) {
  BOOST_TEST(s.list_known("", 10).empty());
  s.write({batch("co_zc", "{\"h\":3}", "s1", 0, {"t0", "t1"}, "sig")});
  s.write({batch("co_za", "{\"h\":1}", "s1", 0, {"t0"}, "sig")});
  s.write({batch("co_zb", "{\"h\":2}", "s2", 0, {"u0"}, "sig")});
  auto first = s.list_known("", 2);
  BOOST_REQUIRE_EQUAL(first.size(), 2u);
  BOOST_TEST(first[0].id == "co_za");
  BOOST_TEST(first[1].id == "co_zb");
  BOOST_TEST(first[1].sessions.at("s2") == 1u);
  auto rest = s.list_known(first.back().id, 2);
  BOOST_REQUIRE_EQUAL(rest.size(), 1u);
  BOOST_TEST(rest[0].id == "co_zc");
  BOOST_TEST(rest[0].sessions.at("s1") == 2u);
  BOOST_TEST(s.list_known("co_zc", 2).empty());
}

BOOST_AUTO_TEST_CASE(stored_covalues_are_listed_in_pages) {
  remove_db(on_every_store(exercise_list));
}

// Rows that could not be read back are replaced by a batch marked `replace` (inside the
// stored range the session's end and signature stay; past it they move on), and so is a
// header marked replace_header. Unmarked batches are trimmed as before.
void exercise_replace(covalue_store& s) {
  BOOST_TEST(s.write({batch("co_zr", "{\"bad\"", "s1", 0, {"t0", "BAD1", "BAD2", "t3"}, "sig3")}).empty());
  auto trimmed = batch("co_zr", "", "s1", 1, {"t1", "t2"}, "sig2");
  BOOST_TEST(s.write({trimmed}).empty());
  BOOST_TEST(s.load("co_zr")->sessions.at(0).transactions[1] == "BAD1");  // trimmed: not replaced

  auto inside = batch("co_zr", "{\"h\":7}", "s1", 1, {"t1", "t2"}, "sig2");
  inside.batches[0].replace = true;
  inside.replace_header = true;
  BOOST_TEST(s.write({inside}).empty());
  auto cv = s.load("co_zr");
  BOOST_REQUIRE(cv);
  BOOST_TEST(cv->header == "{\"h\":7}");
  BOOST_TEST(cv->sessions.at(0).transactions == (std::vector<std::string>{"t0", "t1", "t2", "t3"}));
  BOOST_TEST(cv->sessions.at(0).last_signature == "sig3");     // still the stored end's
  BOOST_TEST(cv->sessions.at(0).checkpoints.at(2) == "sig2");  // the replaced rows' own end

  auto beyond = batch("co_zr", "", "s1", 3, {"t3", "t4"}, "sig4", true);
  beyond.batches[0].replace = true;
  BOOST_TEST(s.write({beyond}).empty());
  cv = s.load("co_zr");
  BOOST_TEST(cv->sessions.at(0).transactions == (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
  BOOST_TEST(cv->sessions.at(0).last_signature == "sig4");
  BOOST_TEST(cv->sessions.at(0).checkpoints.at(4) == "sig4");
  BOOST_TEST(s.load_known("co_zr")->at("s1") == 5u);
  // A gap is refused even when replacing.
  auto gap = batch("co_zr", "", "s1", 7, {"t7"}, "sig7");
  gap.batches[0].replace = true;
  BOOST_TEST(s.write({gap}) == std::vector<std::size_t>{0});
}

BOOST_AUTO_TEST_CASE(unreadable_rows_are_replaced_on_request) {
  remove_db(on_every_store(exercise_replace));
}

// moai check --repair's cut: a session keeps its first `keep` transactions, ending at the
// given signature; the rest and their checkpoints go; keep 0 removes the session. What
// was cut can be written again. Loads say how the rows stand (the recorded count).
void exercise_trim(covalue_store& s) {
  s.write({batch("co_zt", "{\"h\":8}", "s1", 0, {"t0", "t1"}, "sig1", true)});
  s.write({batch("co_zt", "", "s1", 2, {"t2", "t3", "t4"}, "sig4", true)});
  s.write({batch("co_zt", "", "s2", 0, {"u0"}, "sigu")});
  BOOST_TEST(s.trim_session("co_zt", "s1", 2, "sig1") == 3u);
  auto cv = s.load("co_zt");
  BOOST_REQUIRE(cv);
  const auto& s1 = cv->sessions.at(0);
  BOOST_TEST(s1.transactions == (std::vector<std::string>{"t0", "t1"}));
  BOOST_TEST(s1.last_signature == "sig1");
  BOOST_TEST(s1.checkpoints.size() == 1u);
  BOOST_TEST(s1.checkpoints.at(1) == "sig1");
  BOOST_TEST(s1.recorded_count.value_or(2) == 2u);
  BOOST_TEST(!s1.gap);
  BOOST_TEST(s.load_known("co_zt")->at("s1") == 2u);
  BOOST_TEST(s.trim_session("co_zt", "s2", 0, "") == 1u);
  BOOST_TEST(s.load("co_zt")->sessions.size() == 1u);
  BOOST_TEST(s.write({batch("co_zt", "", "s1", 2, {"t2"}, "sig2")}).empty());
  BOOST_TEST(s.load("co_zt")->sessions.at(0).transactions.size() == 3u);
  BOOST_TEST(s.trim_session("co_zmissing", "s1", 0, "") == 0u);
  BOOST_TEST(s.trim_session("co_zt", "s9", 0, "") == 0u);
}

BOOST_AUTO_TEST_CASE(sessions_are_cut_back_on_request) {
  remove_db(on_every_store(exercise_trim));
}

// A session is written in batches that end at its checkpoints, so the store keeps each
// checkpoint's signature, and a write from the middle starts where it is asked to.
BOOST_AUTO_TEST_CASE(session_batches_end_at_checkpoints) {
  moai::protocol::session_log log("s1");
  auto tx = [](int i, std::uint32_t size) {
    return moai::protocol::transaction{"t" + std::to_string(i), 0, false, size};
  };
  // 60 KiB each: the second pushes past 100 KiB, so its batch signature is a checkpoint.
  for (int i = 0; i < 5; ++i) {
    std::vector<moai::protocol::transaction> one;
    one.push_back(tx(i, 60 * 1024));
    log.append_trusted(std::move(one), "sig" + std::to_string(i));
  }
  BOOST_REQUIRE_EQUAL(log.checkpoints().size(), 2u);  // after t1 and after t3

  covalue_write all;
  append_session_batches(all, log, 0);
  BOOST_REQUIRE_EQUAL(all.batches.size(), 3u);
  BOOST_TEST(all.batches[0].after == 0u);
  BOOST_TEST(all.batches[0].transactions == (std::vector<std::string>{"t0", "t1"}));
  BOOST_TEST(all.batches[0].last_signature == "sig1");
  BOOST_TEST(all.batches[0].checkpoint);
  BOOST_TEST(all.batches[1].after == 2u);
  BOOST_TEST(all.batches[1].last_signature == "sig3");
  BOOST_TEST(all.batches[2].after == 4u);
  BOOST_TEST(all.batches[2].transactions == (std::vector<std::string>{"t4"}));
  BOOST_TEST(all.batches[2].last_signature == "sig4");
  BOOST_TEST(!all.batches[2].checkpoint);
  BOOST_TEST(all.batches[2].bytes_since_checkpoint == 60u * 1024);

  covalue_write tail;
  append_session_batches(tail, log, 3);
  BOOST_REQUIRE_EQUAL(tail.batches.size(), 2u);
  BOOST_TEST(tail.batches[0].transactions == (std::vector<std::string>{"t3"}));
  BOOST_TEST(tail.batches[0].last_signature == "sig3");
  BOOST_TEST(tail.batches[1].after == 4u);

  covalue_write none;
  append_session_batches(none, log, 5);
  BOOST_TEST(none.batches.empty());
}

BOOST_AUTO_TEST_CASE(deletes_erase_all_but_the_delete_sessions) {
  std::string path = on_every_store([](covalue_store& s) {
    exercise_delete(s);
    BOOST_TEST(s.stats().transactions == 1u);
  });
  SQLite::Database db(path);
  BOOST_TEST(db.execAndGet("SELECT status FROM deletedCoValues WHERE coValueID = 'co_zdel'").getInt() == 1);
  BOOST_TEST(db.execAndGet("SELECT count(*) FROM signatureAfter").getInt() == 0);
  remove_db(path);
}

BOOST_AUTO_TEST_CASE(pending_deletes_are_carried_out_on_open) {
  // A database whose delete was only queued (status 0), as cojson or an older moai leaves it.
  std::string path = temp_db();
  {
    auto s = open_sqlite_store(path, "normal");
    s->write({batch("co_zq", "{\"h\":3}", "alice_session_z1", 0, {"t0"}, "sig")});
    s->write({batch("co_zq", "", "alice_session_zd$", 0, {"d0"}, "sigd")});
    s->write({batch("co_zkeep", "{\"h\":4}", "alice_session_z1", 0, {"k0"}, "sigk")});
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO deletedCoValues (coValueID, status) VALUES ('co_zq', 0)");
  }
  {
    auto s = open_sqlite_store(path, "normal");
    auto cv = s->load("co_zq");
    BOOST_REQUIRE(cv);
    BOOST_TEST(cv->deleted);
    BOOST_REQUIRE_EQUAL(cv->sessions.size(), 1u);
    BOOST_TEST(cv->sessions[0].session_id == "alice_session_zd$");
    BOOST_TEST(s->load("co_zkeep")->sessions.size() == 1u);  // other CoValues untouched
  }
  SQLite::Database db(path);
  BOOST_TEST(db.execAndGet("SELECT status FROM deletedCoValues WHERE coValueID = 'co_zq'").getInt() == 1);
  remove_db(path);
}

BOOST_AUTO_TEST_CASE(memory_store_semantics) {
  auto s = open_memory_store();
  exercise(*s);
}

BOOST_AUTO_TEST_CASE(sqlite_store_semantics_and_restart) {
  std::string path = temp_db();
  {
    auto s = open_sqlite_store(path, "normal");
    exercise(*s);
  }
  {
    // Reopened: everything is still there, and the schema is cojson's.
    auto s = open_sqlite_store(path, "normal");
    auto cv = s->load("co_z1");
    BOOST_REQUIRE(cv);
    BOOST_TEST(cv->sessions[0].transactions.size() == 3u);
  }
  SQLite::Database db(path);
  BOOST_TEST(db.execAndGet("PRAGMA user_version").getInt() == 7);
  for (const char* table : {"transactions", "sessions", "coValues", "signatureAfter", "unsynced_covalues",
                            "deletedCoValues", "storageReconciliationLocks"}) {
    SQLite::Statement q(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
    q.bind(1, table);
    BOOST_REQUIRE(q.executeStep());
    BOOST_TEST(q.getColumn(0).getInt() == 1, table);
  }
  BOOST_TEST(db.execAndGet("SELECT lastIdx FROM sessions WHERE sessionID='s1'").getInt() == 3);
  BOOST_TEST(db.execAndGet("SELECT idx FROM signatureAfter").getInt() == 2);
  remove_db(path);
}

BOOST_AUTO_TEST_CASE(unusable_database_is_a_clear_error) {
  BOOST_CHECK_THROW(open_sqlite_store("/nonexistent-dir/x.db", "normal"), std::runtime_error);
  BOOST_CHECK_THROW(open_postgres_store("postgresql://nobody@/nothing?host=/nonexistent-dir"), std::runtime_error);
}

// A damaged file is refused before anything is written to it (it used to open and then
// fail every read and write while /health said ok).
BOOST_AUTO_TEST_CASE(damaged_sqlite_file_is_refused_and_left_unchanged) {
  const std::string path = temp_db();
  {
    auto s = open_sqlite_store(path, "normal");
    for (int i = 0; i < 200; ++i) {
      s->write({batch("co_z" + std::to_string(i), "{\"h\":" + std::to_string(i) + "}", "s1", 0,
                      {std::string(2000, 'x')}, "sig")});
    }
  }
  BOOST_REQUIRE(open_sqlite_store(path, "normal", store_access::serve, true)->load("co_z7"));  // sound: opens
  const auto read_file = [&] {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    std::string bytes;
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
    std::fclose(f);
    return bytes;
  };
  std::string bytes = read_file();
  BOOST_REQUIRE(bytes.size() > 40 * 4096);
  std::mt19937 random(7);
  for (std::size_t i = 8 * 4096; i < 40 * 4096; ++i) bytes[i] = static_cast<char>(random());  // pages 9..40
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  try {
    open_sqlite_store(path, "normal", store_access::serve, true);
    BOOST_FAIL("a damaged file was opened");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("is damaged (quick_check: ") != std::string::npos, e.what());
  }
  BOOST_TEST(read_file() == bytes);  // nothing written: not even a migration
  remove_db(path);
}

// Commands beside a server: a reader (moai check, export) opens the database while a
// server has it; a command that changes rows under its feet (check --repair, import,
// restore) is refused then, and keeps servers and readers out while it runs.
BOOST_AUTO_TEST_CASE(sqlite_store_access_beside_a_server) {
  const std::string path = temp_db();
  BOOST_CHECK_THROW(open_sqlite_store(path, "normal", store_access::read_only), std::runtime_error);  // no file
  {
    auto server = open_sqlite_store(path, "normal");
    BOOST_TEST(server->write({batch("co_zx", "{\"h\":1}", "s1", 0, {"t0"}, "sig")}).empty());
    auto reader = open_sqlite_store(path, "normal", store_access::read_only);
    BOOST_TEST(reader->load("co_zx")->sessions.at(0).transactions.size() == 1u);
    BOOST_CHECK_THROW(open_sqlite_store(path, "normal", store_access::exclusive), std::runtime_error);
  }
  {
    auto alone = open_sqlite_store(path, "normal", store_access::exclusive);
    BOOST_TEST(alone->load("co_zx").has_value());
    BOOST_CHECK_THROW(open_sqlite_store(path, "normal"), std::runtime_error);
    BOOST_CHECK_THROW(open_sqlite_store(path, "normal", store_access::read_only), std::runtime_error);
  }
  BOOST_TEST(open_sqlite_store(path, "normal")->load("co_zx").has_value());
  remove_db(path);
}

// Runs `sql` on its own connection to the test server.
void postgres_admin(const std::string& sql) {
  PGconn* c = PQconnectdb(std::getenv("MOAI_TEST_POSTGRES_URL"));
  PGresult* r = PQexec(c, sql.c_str());
  const auto status = PQresultStatus(r);
  BOOST_REQUIRE_MESSAGE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK, PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
}

// A dropped connection (a database restart, a failover) costs the call that meets it;
// the store reconnects and the next call works. Several stores (moai nodes) share the
// tables: no lock keeps a second one out.
BOOST_AUTO_TEST_CASE(postgres_store_reconnects_and_is_shared) {
  auto url = fresh_postgres_schema();
  if (url.empty()) {
    BOOST_TEST_MESSAGE("MOAI_TEST_POSTGRES_URL unset: skipped (ctest sets it)");
    return;
  }
  const std::string name = "moai_unit_" + std::to_string(::getpid());
  auto s = open_postgres_store(url + "&application_name=" + name);  // only this connection gets cut below
  BOOST_TEST(s->write({batch("co_zpg", "{\"h\":9}", "s1", 0, {"t0"}, "sig0")}).empty());
  auto other = open_postgres_store(url);
  BOOST_TEST(other->load_known("co_zpg")->at("s1") == 1u);

  postgres_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + name + "'");
  bool first_failed = false;
  try {
    s->write({batch("co_zpg", "", "s1", 1, {"t1"}, "sig1")});
  } catch (const std::runtime_error&) {
    first_failed = true;  // met the dead connection; nothing of it was stored
  }
  BOOST_TEST(first_failed);
  BOOST_TEST(s->write({batch("co_zpg", "", "s1", 1, {"t1"}, "sig1")}).empty());
  auto cv = other->load("co_zpg");
  BOOST_REQUIRE(cv);
  BOOST_TEST(cv->sessions.at(0).transactions == (std::vector<std::string>{"t0", "t1"}));
  // A command that changes rows under the servers' feet (check --repair, import) is
  // refused while any serves (servers hold the schema's lock shared), and can run alone.
  BOOST_CHECK_THROW(open_postgres_store(url, store_access::exclusive), std::runtime_error);
  s.reset();
  other.reset();
  auto alone = open_postgres_store(url, store_access::exclusive);
}

// A write goes out as one pipeline: a statement that fails takes the whole write back
// (nothing of it is kept), the connection stays usable, and the answers of the others
// still say which writes were incomplete.
BOOST_AUTO_TEST_CASE(postgres_store_failed_write_keeps_nothing) {
  const auto url = fresh_postgres_schema();
  if (url.empty()) {
    BOOST_TEST_MESSAGE("MOAI_TEST_POSTGRES_URL unset: skipped (ctest sets it)");
    return;
  }
  auto s = open_postgres_store(url);
  const std::string schema = url.substr(url.rfind("%3D") + 3);
  postgres_admin("CREATE FUNCTION " + schema +
                 ".refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.tx = 'boom' THEN "
                 "RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; CREATE TRIGGER refuse_boom BEFORE INSERT ON " +
                 schema + ".transactions FOR EACH ROW EXECUTE FUNCTION " + schema + ".refuse_boom()");

  BOOST_CHECK_THROW(s->write({batch("co_za", "{\"h\":1}", "s1", 0, {"t0"}, "sig0"),
                              batch("co_zb", "{\"h\":2}", "s1", 0, {"boom"}, "sig0")}),
                    std::runtime_error);
  BOOST_TEST(!s->load("co_za"));  // the good half went back with the failed one
  BOOST_TEST(!s->load("co_zb"));

  // Usable at once; a CoValue without a stored header, and a gap, are reported.
  const auto incomplete =
      s->write({batch("co_za", "{\"h\":1}", "s1", 0, {"t0"}, "sig0"), batch("co_znone", "", "s1", 0, {"t0"}, "sig0"),
                batch("co_za", "", "s2", 3, {"t3"}, "sig3"), batch("co_za", "", "s1", 1, {"t1"}, "sig1")});
  BOOST_TEST(incomplete == (std::vector<std::size_t>{1, 2}));
  auto cv = s->load("co_za");
  BOOST_REQUIRE(cv);
  BOOST_REQUIRE(cv->sessions.size() == 1u);
  BOOST_TEST(cv->sessions.at(0).transactions == (std::vector<std::string>{"t0", "t1"}));
  BOOST_TEST(!s->load("co_znone"));

  // A failure early in a long pipeline: all the skipped answers are read, and the same
  // connection (its statements, its lock) goes on.
  std::vector<covalue_write> many{batch("co_zlong", "{\"h\":3}", "s1", 0, {"boom"}, "sig0")};
  for (int i = 0; i < 60000; ++i) many.push_back(batch("co_zlong", "", "s" + std::to_string(i + 2), 0, {"t"}, "sig"));
  BOOST_CHECK_THROW(s->write(many), std::runtime_error);
  BOOST_TEST(s->write({batch("co_za", "", "s1", 2, {"t2"}, "sig2")}).empty());
  BOOST_TEST(s->load("co_za")->sessions.at(0).transactions.size() == 3u);
}

// The PostgreSQL store keeps everything across a reconnection (a restart of moai).
BOOST_AUTO_TEST_CASE(postgres_store_semantics_and_restart) {
  auto url = fresh_postgres_schema();
  if (url.empty()) {
    BOOST_TEST_MESSAGE("MOAI_TEST_POSTGRES_URL unset: skipped (ctest sets it)");
    return;
  }
  exercise(*open_postgres_store(url));
  auto s = open_postgres_store(url);
  auto cv = s->load("co_z1");
  BOOST_REQUIRE(cv);
  BOOST_TEST(cv->sessions[0].transactions == (std::vector<std::string>{"t0", "t1", "t2"}));
  BOOST_TEST(cv->sessions[0].checkpoints.at(2) == "sig2");
  BOOST_TEST(s->stats().transactions == 8u);
  exercise_delete(*s);
  BOOST_TEST(s->load("co_zdel")->deleted);
  // A reader (moai check, export) runs beside the server that holds the schema's lock,
  // sees how the rows stand, and writes nothing.
  auto reader = open_postgres_store(url, store_access::read_only);
  BOOST_TEST(reader->load("co_z1")->sessions.at(0).recorded_count.value_or(0) == 3u);
  BOOST_TEST(reader->list_known("", 10).size() == s->list_known("", 10).size());
  BOOST_CHECK_THROW(reader->trim_session("co_z1", "s1", 0, ""), std::runtime_error);
  BOOST_TEST(s->load("co_z1")->sessions.at(0).transactions.size() == 3u);
}

// A load since known counts (a node catching up) returns only what lies beyond them,
// with the checkpoints there; sessions with nothing new are left out.
void exercise_since(covalue_store& s) {
  s.write({batch("co_zs", "{\"h\":4}", "s1", 0, {"t0", "t1", "t2"}, "sig2", true)});
  s.write({batch("co_zs", "", "s1", 3, {"t3", "t4"}, "sig4")});
  s.write({batch("co_zs", "", "s2", 0, {"u0"}, "sigu")});
  auto many = s.load_many({load_query("co_zs", {{"s1", 2}, {"s2", 1}}), load_query("co_zs", {}), "co_zmissing",
                           load_query("co_zs", {{"s1", 5}, {"s2", 1}})});
  BOOST_REQUIRE_EQUAL(many.size(), 4u);
  BOOST_REQUIRE(many[0].covalue);
  BOOST_TEST(many[0].covalue->header == "{\"h\":4}");
  BOOST_REQUIRE_EQUAL(many[0].covalue->sessions.size(), 1u);
  const auto& s1 = many[0].covalue->sessions[0];
  BOOST_TEST(s1.session_id == "s1");
  BOOST_TEST(s1.first == 2u);
  BOOST_TEST(s1.transactions == (std::vector<std::string>{"t2", "t3", "t4"}));
  BOOST_TEST(s1.checkpoints.at(2) == "sig2");
  BOOST_TEST(s1.last_signature == "sig4");
  BOOST_REQUIRE(many[1].covalue);
  BOOST_TEST(many[1].covalue->sessions.size() == 2u);  // empty counts: everything
  BOOST_TEST(many[1].covalue->sessions[0].first == 0u);
  BOOST_TEST(!many[2].covalue);
  BOOST_REQUIRE(many[3].covalue);
  BOOST_TEST(many[3].covalue->sessions.empty());  // nothing new: the header alone
}

BOOST_AUTO_TEST_CASE(loads_since_known_counts_return_only_what_is_new) {
  remove_db(on_every_store(exercise_since));
}

// The text of a change announcement, both ways.
BOOST_AUTO_TEST_CASE(change_announcements_round_trip) {
  stored_change c;
  c.id = "co_zAbc";
  c.sessions = {{"co_zA_session_zX", 3}, {"co_zA_session_zY$", 1}};
  c.header = true;
  c.committed_ms = 1764000000123;
  std::string node;
  auto back = parse_change(encode_change("n1", c), node);
  BOOST_REQUIRE(back);
  BOOST_TEST(node == "n1");
  BOOST_TEST(back->id == c.id);
  BOOST_TEST(back->sessions == c.sessions);
  BOOST_TEST(back->header);
  BOOST_TEST(!back->deleted);
  BOOST_TEST(back->complete);
  BOOST_TEST(back->committed_ms == c.committed_ms);
  // Too long for one announcement: the sessions are left out, and it says so.
  auto cut = parse_change(encode_change("n1", c, 40), node);
  BOOST_REQUIRE(cut);
  BOOST_TEST(!cut->complete);
  BOOST_TEST(cut->sessions.empty());
  c.deleted = true;
  c.header = false;
  BOOST_TEST(parse_change(encode_change("n2", c), node)->deleted);
  BOOST_TEST(!parse_change("hello", node));
  BOOST_TEST(!parse_change("m1 n1 12x - co_z1", node));
  BOOST_TEST(!parse_change("m1 n1 12 - co_z1 s1", node));
}

std::string query_text(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_TUPLES_OK, sql << ": " << PQerrorMessage(c));
  std::string out;
  for (int i = 0; i < PQntuples(r); ++i) {
    for (int j = 0; j < PQnfields(r); ++j) {
      if (j) out += ' ';
      out += PQgetvalue(r, i, j);
    }
    out += ';';
  }
  PQclear(r);
  return out;
}

struct pg_connection {
  explicit pg_connection(const std::string& url) : c(PQconnectdb(url.c_str())) {
    BOOST_REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
  }
  ~pg_connection() { PQfinish(c); }
  std::string operator()(const std::string& sql) { return query_text(c, sql); }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK, sql << ": " << PQerrorMessage(c));
    PQclear(r);
  }
  PGconn* c;
};

// The tables are the original JavaScript moai's, name for name and column for column
// (maia-storage's schema/postgres.js: migrations 1, 3, 4, 5 recorded in schema_version), and rows mean what
// cojson's StorageApiAsync makes them mean: lastIdx = stored count, signatureafter idx =
// the last index a checkpoint covers, tx and header = the JSON texts, a tombstone with
// status 1 (done) and only the delete sessions left.
BOOST_AUTO_TEST_CASE(the_schema_and_rows_are_the_originals) {
  auto url = fresh_postgres_schema();
  if (url.empty()) return;
  auto s = open_postgres_store(url);
  pg_connection db(url);
  BOOST_TEST(db("SELECT version FROM schema_version ORDER BY version") == "1;3;4;5;");
  BOOST_TEST(db("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "ORDER BY table_name") ==
             "covalues;deletedcovalues;schema_version;sessions;signatureafter;transactions;unsynced_covalues;");
  auto columns = [&](const std::string& table) {
    return db(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = '" +
        table + "' ORDER BY ordinal_position");
  };
  BOOST_TEST(columns("covalues") == "rowID integer NO;id text NO;header text NO;");
  BOOST_TEST(columns("sessions") ==
             "rowID integer NO;coValue integer NO;sessionID text NO;lastIdx integer YES;lastSignature text YES;"
             "bytesSinceLastSignature integer YES;");
  BOOST_TEST(columns("transactions") == "ses integer NO;idx integer NO;tx text NO;");
  BOOST_TEST(columns("signatureafter") == "ses integer NO;idx integer NO;signature text NO;");
  BOOST_TEST(columns("deletedcovalues") == "coValueID text NO;status integer NO;");
  BOOST_TEST(columns("unsynced_covalues") == "rowID integer NO;co_value_id text NO;peer_id text NO;");
  BOOST_TEST(columns("schema_version") == "version integer NO;applied_at timestamp without time zone YES;");
  BOOST_TEST(db("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE "
                "'%pkey' AND indexname NOT LIKE '%key' ORDER BY indexname") ==
             "covaluesbyid;deletedcovaluesbystatus;idx_unsynced_covalues_co_value_id;sessionsbycovalue;");

  s->write({batch("co_zrow", "{\"type\":\"comap\"}", "alice_session_z1", 0, {"{\"a\":0}", "{\"a\":1}"}, "sig1", true)});
  s->write({batch("co_zrow", "", "alice_session_z1", 2, {"{\"a\":2}"}, "sig2")});
  BOOST_TEST(db("SELECT header FROM covalues WHERE id = 'co_zrow'") == "{\"type\":\"comap\"};");
  BOOST_TEST(db("SELECT \"sessionID\", \"lastIdx\", \"lastSignature\" FROM sessions") == "alice_session_z1 3 sig2;");
  BOOST_TEST(db("SELECT idx, tx FROM transactions ORDER BY idx") == "0 {\"a\":0};1 {\"a\":1};2 {\"a\":2};");
  BOOST_TEST(db("SELECT idx, signature FROM signatureafter") == "1 sig1;");
  auto del = batch("co_zrow", "", "alice_session_zd$", 0, {"{\"d\":0}"}, "sigd");
  del.deleted = true;
  s->write({del});
  BOOST_TEST(db("SELECT \"coValueID\", status FROM deletedcovalues") == "co_zrow 1;");
  BOOST_TEST(db("SELECT \"sessionID\" FROM sessions") == "alice_session_zd$;");
  BOOST_TEST(db("SELECT count(*) FROM transactions") == "1;");
  // Reopened: the migrations are not run again.
  auto again = open_postgres_store(url);
  BOOST_TEST(db("SELECT count(*) FROM schema_version") == "4;");
}

// A database the original left at an older version (say 3: before unsynced_covalues and
// deletedCoValues) is migrated the rest of the way; its rows stay. A delete the
// original's cojson only queued (status 0) is carried out on open.
BOOST_AUTO_TEST_CASE(an_older_version_is_migrated_and_queued_deletes_done) {
  auto url = fresh_postgres_schema();
  if (url.empty()) return;
  {
    pg_connection db(url);
    db.exec(R"sql(CREATE TABLE transactions (ses INTEGER, idx INTEGER, tx TEXT NOT NULL, PRIMARY KEY (ses, idx));
      CREATE TABLE sessions ("rowID" SERIAL PRIMARY KEY, "coValue" INTEGER NOT NULL, "sessionID" TEXT NOT NULL,
        "lastIdx" INTEGER, "lastSignature" TEXT, UNIQUE ("sessionID", "coValue"));
      CREATE TABLE coValues ("rowID" SERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, header TEXT NOT NULL);
      CREATE TABLE signatureAfter (ses INTEGER, idx INTEGER, signature TEXT NOT NULL, PRIMARY KEY (ses, idx));
      ALTER TABLE sessions ADD COLUMN IF NOT EXISTS "bytesSinceLastSignature" INTEGER;
      CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
      INSERT INTO schema_version (version) VALUES (1), (3);
      INSERT INTO coValues (id, header) VALUES ('co_zold', '{"h":1}');
      INSERT INTO sessions ("coValue", "sessionID", "lastIdx", "lastSignature", "bytesSinceLastSignature")
        VALUES (1, 'alice_session_z1', 2, 'sigB', NULL);
      INSERT INTO transactions VALUES (1, 0, 'tA'), (1, 1, 'tB');)sql");
  }
  {
    auto s = open_postgres_store(url);
    auto cv = s->load("co_zold");
    BOOST_REQUIRE(cv);
    BOOST_TEST(cv->sessions.at(0).transactions == (std::vector<std::string>{"tA", "tB"}));
    BOOST_TEST(cv->sessions.at(0).last_signature == "sigB");
    BOOST_TEST(cv->sessions.at(0).bytes_since_checkpoint == 0u);  // NULL as cojson reads it
    s->write({batch("co_zold", "", "alice_session_zd$", 0, {"d0"}, "sigd")});
  }
  pg_connection db(url);
  BOOST_TEST(db("SELECT version FROM schema_version ORDER BY version") == "1;3;4;5;");
  db.exec(R"sql(INSERT INTO deletedcovalues ("coValueID", status) VALUES ('co_zold', 0))sql");
  auto s = open_postgres_store(url);
  BOOST_TEST(s->load("co_zold")->deleted);
  BOOST_TEST(db("SELECT \"sessionID\" FROM sessions") == "alice_session_zd$;");
  BOOST_TEST(db("SELECT status FROM deletedcovalues") == "1;");
}

// moai 0.1's own tables (signature_after, deleted_covalues, snake_case columns) are
// refused with an error that names them, and nothing is changed.
BOOST_AUTO_TEST_CASE(moai_01_tables_are_refused_by_name) {
  auto url = fresh_postgres_schema();
  if (url.empty()) return;
  pg_connection db(url);
  db.exec(
      "CREATE TABLE covalues (row_id BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, header TEXT NOT NULL);"
      "CREATE TABLE sessions (row_id BIGSERIAL PRIMARY KEY, covalue BIGINT NOT NULL, session_id TEXT NOT NULL, "
      "last_idx BIGINT NOT NULL, last_signature TEXT NOT NULL, bytes_since_last_signature BIGINT NOT NULL DEFAULT 0);"
      "CREATE TABLE signature_after (ses BIGINT, idx BIGINT, signature TEXT NOT NULL, PRIMARY KEY (ses, idx));"
      "CREATE TABLE deleted_covalues (covalue_id TEXT PRIMARY KEY, status INTEGER NOT NULL DEFAULT 0)");
  try {
    open_postgres_store(url);
    BOOST_FAIL("moai 0.1's tables were opened");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find("signature_after") != std::string::npos, message);
    BOOST_TEST(message.find("deleted_covalues") != std::string::npos, message);
    BOOST_TEST(message.find("sessions.row_id") != std::string::npos, message);
  }
  BOOST_TEST(db("SELECT to_regclass('schema_version') IS NULL") == "t;");
}

// Several nodes append to one session at once, each the same content in batches of its
// own sizes (a client that moved between nodes, or content relayed by two): every
// transaction is stored once, in order, whatever the interleaving; a gap is refused. A
// write that holds two CoValues locks them in ID order, so writes naming them in
// opposite orders do not deadlock.
BOOST_AUTO_TEST_CASE(concurrent_appends_from_several_nodes_store_each_transaction_once) {
  auto url = fresh_postgres_schema();
  if (url.empty()) return;
  constexpr int kNodes = 4;
  constexpr std::uint32_t kTxs = 1000;
  std::vector<std::unique_ptr<covalue_store>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(open_postgres_store(url));
  std::atomic<int> failures{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < kNodes; ++n) {
    threads.emplace_back([&, n] {
      std::mt19937 random(static_cast<unsigned>(n + 1));
      std::uint32_t at = 0;
      while (at < kTxs) {
        const std::uint32_t size = std::min<std::uint32_t>(kTxs - at, 1 + random() % 7);
        std::vector<std::string> txs;
        for (std::uint32_t i = at; i < at + size; ++i) txs.push_back("t" + std::to_string(i));
        auto a = batch("co_zshared", "{\"h\":1}", "s1", at, txs, "sig" + std::to_string(at + size - 1));
        auto b = batch("co_zother", "{\"h\":2}", "s" + std::to_string(n), at, txs, "sig");
        std::vector<covalue_write> writes = n % 2 ? std::vector<covalue_write>{a, b} : std::vector<covalue_write>{b, a};
        try {
          if (!nodes[static_cast<std::size_t>(n)]->write(writes).empty()) refused++;
        } catch (const std::exception& e) {
          failures++;
          BOOST_TEST_MESSAGE("node " << n << ": " << e.what());
          continue;  // retried
        }
        at += size;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(refused.load() == 0);
  auto cv = nodes[0]->load("co_zshared");
  BOOST_REQUIRE(cv);
  BOOST_REQUIRE_EQUAL(cv->sessions.size(), 1u);
  std::vector<std::string> expected;
  for (std::uint32_t i = 0; i < kTxs; ++i) expected.push_back("t" + std::to_string(i));
  BOOST_TEST(cv->sessions[0].transactions == expected);
  BOOST_TEST(cv->sessions[0].last_signature == "sig" + std::to_string(kTxs - 1));
  BOOST_TEST(nodes[1]->load_known("co_zother")->size() == static_cast<std::size_t>(kNodes));
  // A gap is refused whoever asks.
  BOOST_TEST(nodes[2]->write({batch("co_zshared", "", "s1", kTxs + 1, {"x"}, "sigx")}) == std::vector<std::size_t>{0});
}

// What one node commits is announced to the others (not to itself) on their change
// feeds, with the session counts it stored; a feed whose connection drops says so on the
// next wait (reconnected), since what was committed meanwhile was not heard.
BOOST_AUTO_TEST_CASE(commits_are_announced_to_the_other_nodes) {
  auto url = fresh_postgres_schema();
  if (url.empty()) return;
  const std::string name = "moai_feed_" + std::to_string(::getpid());
  auto a = open_postgres_store(url);
  auto b = open_postgres_store(url + "&application_name=" + name);
  auto feed_a = a->open_change_feed();
  auto feed_b = b->open_change_feed();
  BOOST_REQUIRE(feed_a && feed_b);
  bool reconnected = false;
  BOOST_TEST(feed_b->wait(std::chrono::milliseconds(0), reconnected).empty());
  BOOST_TEST(reconnected);  // the first connection: nothing heard before it
  feed_a->wait(std::chrono::milliseconds(0), reconnected);

  BOOST_TEST(a->write({batch("co_zfeed", "{\"h\":1}", "s1", 0, {"t0", "t1"}, "sig1")}).empty());
  BOOST_TEST(a->changes_announced() == 1u);
  std::vector<stored_change> heard;
  for (int i = 0; i < 50 && heard.empty(); ++i) heard = feed_b->wait(std::chrono::milliseconds(100), reconnected);
  BOOST_REQUIRE_EQUAL(heard.size(), 1u);
  BOOST_TEST(!reconnected);
  BOOST_TEST(heard[0].id == "co_zfeed");
  BOOST_TEST(heard[0].header);
  BOOST_TEST(heard[0].sessions.at("s1") == 2u);
  BOOST_TEST(heard[0].committed_ms > 0);
  BOOST_TEST(feed_a->wait(std::chrono::milliseconds(200), reconnected).empty());  // its own commit
  // A deployment in another schema of the same database is not heard.
  auto elsewhere = open_postgres_store(fresh_postgres_schema());
  BOOST_TEST(elsewhere->write({batch("co_zfeed", "{\"h\":1}", "s1", 0, {"t0"}, "sig0")}).empty());
  BOOST_TEST(feed_b->wait(std::chrono::milliseconds(300), reconnected).empty());

  postgres_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + name + "'");
  bool threw = false;
  for (int i = 0; i < 50 && !threw; ++i) {
    try {
      feed_b->wait(std::chrono::milliseconds(100), reconnected);
    } catch (const std::runtime_error&) {
      threw = true;
    }
  }
  BOOST_TEST(threw);
  BOOST_TEST(feed_b->wait(std::chrono::milliseconds(0), reconnected).empty());
  BOOST_TEST(reconnected);
}

BOOST_AUTO_TEST_SUITE_END()
