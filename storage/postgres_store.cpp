// PostgreSQL storage (storage.kind = postgres). The tables are the original JavaScript
// moai's (MaiaOS libs/maia-storage: a port of cojson's SQLite schema, migrations 1, 3,
// 4 and 5 recorded in schema_version, quoted camelCase columns), with the same meaning
// of every row, so a database written by it (cojson's StorageApiAsync over those
// tables) is served here and the other way round. The semantics are the SQLite store's:
// one transaction per write batch, trimming, gaps refused, damaged rows replaced on
// request, tombstones.
//
// Several moai nodes may share the tables: an append locks its session row, so two
// nodes appending to one session take turns (the same content is stored once, a gap is
// refused); every commit announces what it changed (NOTIFY moai_changes:SCHEMA, see
// change_feed.hpp) and loads read one snapshot. libpq with prepared statements; one
// connection, used by the storage writer's thread only, reset when it breaks (the failed
// call throws and the storage writer's retries carry on over the new one). The change
// feed has a connection of its own.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "storage/covalue_store.hpp"
#include "storage/migration.hpp"

namespace moai::storage {
namespace {

// The original's migrations, statement for statement (libs/maia-storage/src/schema/
// postgres.js); each version is recorded as a row of schema_version.
const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
      {1,
       {R"sql(CREATE TABLE IF NOT EXISTS transactions (
      ses INTEGER,
      idx INTEGER,
      tx TEXT NOT NULL,
      PRIMARY KEY (ses, idx)
    );)sql",
        R"sql(CREATE TABLE IF NOT EXISTS sessions (
      "rowID" SERIAL PRIMARY KEY,
      "coValue" INTEGER NOT NULL,
      "sessionID" TEXT NOT NULL,
      "lastIdx" INTEGER,
      "lastSignature" TEXT,
      UNIQUE ("sessionID", "coValue")
    );)sql",
        R"sql(CREATE INDEX IF NOT EXISTS sessionsByCoValue ON sessions ("coValue");)sql",
        R"sql(CREATE TABLE IF NOT EXISTS coValues (
      "rowID" SERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      header TEXT NOT NULL
    );)sql",
        R"sql(CREATE INDEX IF NOT EXISTS coValuesByID ON coValues (id);)sql"}},
      {3,
       {R"sql(CREATE TABLE IF NOT EXISTS signatureAfter (
      ses INTEGER,
      idx INTEGER,
      signature TEXT NOT NULL,
      PRIMARY KEY (ses, idx)
    );)sql",
        R"sql(ALTER TABLE sessions ADD COLUMN IF NOT EXISTS "bytesSinceLastSignature" INTEGER;)sql"}},
      {4,
       {R"sql(CREATE TABLE IF NOT EXISTS unsynced_covalues (
      "rowID" SERIAL PRIMARY KEY,
      "co_value_id" TEXT NOT NULL,
      "peer_id" TEXT NOT NULL,
      UNIQUE ("co_value_id", "peer_id")
    );)sql",
        R"sql(CREATE INDEX IF NOT EXISTS idx_unsynced_covalues_co_value_id ON unsynced_covalues("co_value_id");)sql"}},
      {5,
       {R"sql(CREATE TABLE IF NOT EXISTS deletedCoValues (
      "coValueID" TEXT PRIMARY KEY,
      status INTEGER NOT NULL DEFAULT 0
    );)sql",
        R"sql(CREATE INDEX IF NOT EXISTS deletedCoValuesByStatus ON deletedCoValues (status);)sql"}},
  };
  return all;
}

const char* const kSchemaVersionTable = R"sql(CREATE TABLE IF NOT EXISTS schema_version (
      version INTEGER PRIMARY KEY,
      applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    );)sql";

// moai's own addition, which the original never calls: one session batch in one call (a
// network hop per row would make a remote database the bottleneck), the SQLite store's
// append server-side. The session row is locked first, so appends from several nodes to
// one session take turns and each trims against what the other stored. False when the
// batch would leave a gap (or the CoValue has no stored header). A deleted CoValue
// keeps only its delete sessions (IDs ending in '$'): a batch of another session counts
// as stored. A new name for every change of its meaning, so nodes of two versions can
// share a database during a rolling deploy.
const char* const kAppendFunction = R"sql(CREATE OR REPLACE FUNCTION moai_append_session(p_id TEXT, p_session TEXT,
    p_after INTEGER, p_txs TEXT[], p_signature TEXT, p_checkpoint BOOLEAN, p_bytes INTEGER, p_replace BOOLEAN)
    RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
  v_covalue INTEGER;
  v_row INTEGER;
  v_stored INTEGER := 0;
  v_n INTEGER := coalesce(array_length(p_txs, 1), 0);
  v_skip INTEGER;
  v_new INTEGER;
  v_inserted BOOLEAN := FALSE;
BEGIN
  SELECT "rowID" INTO v_covalue FROM covalues WHERE id = p_id;
  IF NOT FOUND THEN RETURN FALSE; END IF;
  IF p_session NOT LIKE '%$' AND EXISTS (SELECT 1 FROM deletedcovalues WHERE "coValueID" = p_id AND status = 1) THEN
    RETURN TRUE;
  END IF;
  SELECT "rowID", coalesce("lastIdx", 0) INTO v_row, v_stored FROM sessions
    WHERE "coValue" = v_covalue AND "sessionID" = p_session FOR UPDATE;
  IF NOT FOUND THEN
    IF p_after > 0 THEN RETURN FALSE; END IF;
    IF v_n = 0 THEN RETURN TRUE; END IF;
    INSERT INTO sessions ("coValue", "sessionID", "lastIdx", "lastSignature", "bytesSinceLastSignature")
      VALUES (v_covalue, p_session, v_n, p_signature, p_bytes)
      ON CONFLICT ("sessionID", "coValue") DO NOTHING RETURNING "rowID" INTO v_row;
    IF v_row IS NOT NULL THEN
      v_inserted := TRUE;
      v_stored := 0;
    ELSE
      -- Another node stored the session meanwhile (its insert committed): its row, locked.
      SELECT "rowID", coalesce("lastIdx", 0) INTO v_row, v_stored FROM sessions
        WHERE "coValue" = v_covalue AND "sessionID" = p_session FOR UPDATE;
    END IF;
  END IF;
  IF p_after > v_stored THEN RETURN FALSE; END IF;
  v_skip := CASE WHEN p_replace THEN 0 ELSE v_stored - p_after END;
  IF v_skip >= v_n THEN RETURN TRUE; END IF;
  v_new := p_after + v_n;
  IF NOT v_inserted AND v_new >= v_stored THEN
    UPDATE sessions SET "lastIdx" = v_new, "lastSignature" = p_signature, "bytesSinceLastSignature" = p_bytes
      WHERE "rowID" = v_row;
  END IF;  -- else: new, or rows replaced inside the stored range (the session's end stays)
  IF p_replace THEN
    INSERT INTO transactions (ses, idx, tx)
      SELECT v_row, p_after + u.i - 1, u.t FROM unnest(p_txs) WITH ORDINALITY AS u(t, i) WHERE u.i > v_skip
      ON CONFLICT (ses, idx) DO UPDATE SET tx = EXCLUDED.tx;
  ELSE
    INSERT INTO transactions (ses, idx, tx)
      SELECT v_row, p_after + u.i - 1, u.t FROM unnest(p_txs) WITH ORDINALITY AS u(t, i) WHERE u.i > v_skip;
  END IF;
  -- Rows replaced inside the stored range end at a verified signature: kept as a checkpoint.
  IF p_checkpoint OR v_new < v_stored THEN
    INSERT INTO signatureafter (ses, idx, signature) VALUES (v_row, v_new - 1, p_signature)
      ON CONFLICT (ses, idx) DO UPDATE SET signature = EXCLUDED.signature;
  END IF;
  RETURN TRUE;
END
$$)sql";

// The channel every node on these tables listens on (change_feed.hpp). NOTIFY reaches
// the whole database, so the schema is part of its name: deployments in other schemas
// of the same database do not hear each other.
std::string channel_of(const std::string& schema) {
  return ("moai_changes:" + schema).substr(0, 63);  // an identifier's length
}

// Statement name → SQL, prepared once per connection.
const std::pair<const char*, const char*> kStatements[] = {
    // Every statement names its CoValue by ID, so that none needs an earlier one's
    // answer: a whole write, or a batch of loads, goes out as one pipeline.
    {"find_covalue", R"sql(SELECT "rowID", header FROM covalues WHERE id = $1)sql"},
    {"insert_covalue", "INSERT INTO covalues (id, header) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING"},
    {"replace_header", "UPDATE covalues SET header = $2 WHERE id = $1"},
    {"find_sessions",
     R"sql(SELECT s."rowID", s."sessionID", coalesce(s."lastIdx", 0), coalesce(s."lastSignature", ''),
       coalesce(s."bytesSinceLastSignature", 0) FROM sessions s JOIN covalues c ON s."coValue" = c."rowID"
       WHERE c.id = $1 ORDER BY s."rowID")sql"},
    {"append", "SELECT moai_append_session($1, $2, $3, $4::text[], $5, $6, $7, $8)"},
    // A CoValue's transactions and checkpoints, all sessions at once (round trips count),
    // from the counts $2 (session IDs) / $3 (counts) on: a node catching up reads only
    // what it lacks.
    {"find_transactions",
     R"sql(SELECT t.ses, t.idx, t.tx FROM transactions t JOIN sessions s ON t.ses = s."rowID"
       JOIN covalues c ON s."coValue" = c."rowID" LEFT JOIN unnest($2::text[], $3::integer[]) AS k(sid, n)
       ON k.sid = s."sessionID" WHERE c.id = $1 AND t.idx >= coalesce(k.n, 0) AND t.idx < coalesce(s."lastIdx", 0)
       ORDER BY t.ses, t.idx)sql"},
    {"find_signatures",
     R"sql(SELECT a.ses, a.idx, a.signature FROM signatureafter a JOIN sessions s ON a.ses = s."rowID"
       JOIN covalues c ON s."coValue" = c."rowID" LEFT JOIN unnest($2::text[], $3::integer[]) AS k(sid, n)
       ON k.sid = s."sessionID" WHERE c.id = $1 AND a.idx >= coalesce(k.n, 0))sql"},
    {"find_deleted", R"sql(SELECT status FROM deletedcovalues WHERE "coValueID" = $1)sql"},
    {"list_ids", "SELECT id FROM covalues WHERE id > $1 ORDER BY id LIMIT $2"},
    // A delete keeps only the delete sessions (IDs ending in '$') and a done tombstone,
    // as the original's eraseCoValueButKeepTombstone.
    {"erase_transactions",
     R"sql(DELETE FROM transactions WHERE ses IN (SELECT s."rowID" FROM sessions s JOIN covalues c
       ON s."coValue" = c."rowID" WHERE c.id = $1 AND s."sessionID" NOT LIKE '%$'))sql"},
    {"erase_signatures",
     R"sql(DELETE FROM signatureafter WHERE ses IN (SELECT s."rowID" FROM sessions s JOIN covalues c
       ON s."coValue" = c."rowID" WHERE c.id = $1 AND s."sessionID" NOT LIKE '%$'))sql"},
    {"erase_sessions",
     R"sql(DELETE FROM sessions WHERE "coValue" = (SELECT "rowID" FROM covalues WHERE id = $1)
       AND "sessionID" NOT LIKE '%$')sql"},
    {"mark_deleted",
     R"sql(INSERT INTO deletedcovalues ("coValueID", status) SELECT $1, 1 WHERE EXISTS
       (SELECT 1 FROM covalues WHERE id = $1) ON CONFLICT ("coValueID") DO UPDATE SET status = 1)sql"},
    {"notify", "SELECT pg_notify($1, $2)"},
    // moai check --repair: a session cut back to its first $3 transactions.
    {"trim_transactions",
     R"sql(DELETE FROM transactions WHERE ses = (SELECT s."rowID" FROM sessions s JOIN covalues c
       ON s."coValue" = c."rowID" WHERE c.id = $1 AND s."sessionID" = $2) AND idx >= $3)sql"},
    {"trim_signatures",
     R"sql(DELETE FROM signatureafter WHERE ses = (SELECT s."rowID" FROM sessions s JOIN covalues c
       ON s."coValue" = c."rowID" WHERE c.id = $1 AND s."sessionID" = $2) AND idx >= $3)sql"},
    {"drop_session",
     R"sql(DELETE FROM sessions WHERE "coValue" = (SELECT "rowID" FROM covalues WHERE id = $1) AND "sessionID" = $2)sql"},
    {"end_session",
     R"sql(UPDATE sessions SET "lastIdx" = $3, "lastSignature" = $4, "bytesSinceLastSignature" = 0
       WHERE "coValue" = (SELECT "rowID" FROM covalues WHERE id = $1) AND "sessionID" = $2)sql"},
};

// The statements a read-only store prepares (they need no function of ours).
bool reads_only(const char* name) {
  return std::string_view(name).rfind("find_", 0) == 0 || std::string_view(name).rfind("list_", 0) == 0;
}

constexpr std::size_t kPerLoad = 5;             // statements of one load
constexpr std::size_t kLoadsPerPipeline = 200;  // a snapshot (and a round trip) per so many loads

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result = std::unique_ptr<PGresult, result_deleter>;

struct conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using connection = std::unique_ptr<PGconn, conn_deleter>;

// A connection with moai's defaults; what the URL says overrides them. A dead host is
// noticed within about 30 s rather than the kernel's two hours.
connection connect(const std::string& url) {
  const char* keys[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "application_name",    "dbname",           nullptr};
  const char* values[] = {"10", "1", "10", "5", "3", "30000", "moai", url.c_str(), nullptr};
  connection c(PQconnectdbParams(keys, values, 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    std::string message = c ? PQerrorMessage(c.get()) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("cannot connect to PostgreSQL: " + message);
  }
  return c;
}

std::string random_node_id() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id;
  for (int i = 0; i < 16; ++i) id.push_back("0123456789abcdef"[digit(device)]);
  return id;
}

// A stored count or row number; anything else is a damaged database.
std::int64_t parse_integer(const char* text, std::size_t size) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text, text + size, value);
  if (ec != std::errc() || end != text + size || value < 0) {
    throw std::runtime_error("PostgreSQL: not a row number or count: " + std::string(text, size));
  }
  return value;
}

std::uint32_t parse_count(const std::string& text) {
  const auto value = parse_integer(text.data(), text.size());
  if (value > 0xffffffffLL) throw std::runtime_error("PostgreSQL: count out of range: " + text);
  return static_cast<std::uint32_t>(value);
}

std::string text(const result& r, int row, int column) {
  return std::string(PQgetvalue(r.get(), row, column), static_cast<std::size_t>(PQgetlength(r.get(), row, column)));
}

// An array parameter in PostgreSQL's array syntax: every element quoted, with `"` and
// `\` escaped.
template <class Range, class Text>
std::string array_literal(const Range& items, Text text_of) {
  std::string out;
  out.push_back('{');
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    for (char c : text_of(item)) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// The change feed: LISTEN on a connection of its own.
class postgres_change_feed final : public change_feed {
 public:
  postgres_change_feed(std::string url, std::string node, std::string channel)
      : url_(std::move(url)), node_(std::move(node)), channel_(std::move(channel)) {}

  std::vector<stored_change> wait(std::chrono::milliseconds timeout, bool& reconnected) override {
    reconnected = false;
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      conn_.reset();
      auto c = connect(url_);
      std::string listen = "LISTEN \"";
      for (char ch : channel_) listen += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      result r(PQexec(c.get(), (listen + '"').c_str()));
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        throw std::runtime_error(std::string("PostgreSQL (LISTEN): ") + PQerrorMessage(c.get()));
      }
      conn_ = std::move(c);
      reconnected = true;
    }
    std::vector<stored_change> out;
    take(out);
    if (out.empty()) {
      pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(timeout.count())) > 0) take(out);
    }
    return out;
  }

 private:
  // Reads what arrived; a broken connection throws (the next wait reconnects).
  void take(std::vector<stored_change>& out) {
    if (PQconsumeInput(conn_.get()) != 1 || PQstatus(conn_.get()) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_.get());
      while (!message.empty() && message.back() == '\n') message.pop_back();
      conn_.reset();
      throw std::runtime_error("PostgreSQL (change feed): " + message);
    }
    while (PGnotify* n = PQnotifies(conn_.get())) {
      std::string writer;
      auto change = parse_change(n->extra, writer);
      PQfreemem(n);
      if (change && writer != node_) out.push_back(std::move(*change));
    }
  }

  std::string url_;
  std::string node_;
  std::string channel_;
  connection conn_;
};

class postgres_store final : public covalue_store {
 public:
  postgres_store(const std::string& url, store_access access)
      : url_(url), node_(random_node_id()), conn_(connect(url)), access_(access) {
    prepare_session();
    ready_ = true;
    channel_ = channel_of(text(query("SELECT current_schema()"), 0, 0));
    if (access_ != store_access::read_only) erase_pending_deletes();
  }

  const char* kind() const override { return "postgres"; }

  std::unique_ptr<change_feed> open_change_feed() override {
    if (access_ != store_access::serve) return nullptr;
    return std::make_unique<postgres_change_feed>(url_, node_, channel_);
  }
  std::uint64_t changes_announced() const override { return announced_.load(std::memory_order_relaxed); }

  std::optional<stored_covalue> load(const std::string& id) override { return load_since(load_query(id)); }

  std::optional<stored_covalue> load_since(const load_query& q) override {
    auto loaded = load_many({q});
    if (!loaded.at(0).error.empty()) throw std::runtime_error(loaded[0].error);
    return std::move(loaded[0].covalue);
  }

  // Pipelines of up to kLoadsPerPipeline loads, each one round trip and one snapshot
  // (REPEATABLE READ: another node's commit between two statements cannot split a
  // CoValue). After a failed statement the loads before it stand; the rest carry the
  // error (and are retried).
  std::vector<load_result> load_many(const std::vector<load_query>& queries) override {
    std::vector<load_result> out(queries.size());
    for (std::size_t from = 0; from < queries.size(); from += kLoadsPerPipeline) {
      const std::size_t to = std::min(queries.size(), from + kLoadsPerPipeline);
      std::vector<statement> statements{{nullptr, {"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"}}};
      for (std::size_t i = from; i < to; ++i) {
        const auto& q = queries[i];
        std::string names = "{}", counts = "{}";
        if (q.since) {
          names = array_literal(*q.since, [](const auto& s) -> const std::string& { return s.first; });
          counts = array_literal(*q.since, [](const auto& s) { return std::to_string(s.second); });
        }
        statements.push_back({"find_covalue", {q.id}});
        statements.push_back({"find_sessions", {q.id}});
        statements.push_back({"find_transactions", {q.id, names, counts}});
        statements.push_back({"find_signatures", {q.id, names, counts}});
        statements.push_back({"find_deleted", {q.id}});
      }
      statements.push_back({nullptr, {"COMMIT"}});
      std::string error;
      auto results = run_pipeline(statements, error);
      if (!error.empty()) settle_failure();
      for (std::size_t i = from; i < to; ++i) {
        const result* r = &results[1 + (i - from) * kPerLoad];
        if (std::any_of(r, r + kPerLoad, [](const result& x) { return !x; })) {
          out[i].error = "PostgreSQL (load): " + (error.empty() ? std::string("no answer") : error);
          continue;
        }
        try {
          out[i].covalue = parse_covalue(queries[i], r);
        } catch (const std::exception& e) {
          out[i].error = e.what();
        }
      }
    }
    return out;
  }

  std::optional<std::map<std::string, std::uint32_t>> load_known(const std::string& id) override {
    auto known = known_many({id});
    return std::move(known.at(0));
  }

  // A page of IDs, then all their known states in one pipeline: two round trips a page.
  std::vector<stored_known> list_known(const std::string& after, std::size_t limit) override {
    std::string error;
    auto page = run_pipeline({{"list_ids", {after, std::to_string(limit)}}}, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (list): " + error);
    }
    std::vector<std::string> ids;
    for (int i = 0; i < PQntuples(page[0].get()); ++i) ids.push_back(text(page[0], i, 0));
    auto known = known_many(ids);
    std::vector<stored_known> out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (known[i]) out.push_back({std::move(ids[i]), std::move(*known[i])});
    }
    return out;
  }

  // The whole write is one pipeline: BEGIN, every statement, one announcement per
  // CoValue, COMMIT, then the answers. One round trip however many CoValues and
  // sessions it holds (a remote database would otherwise cost a network hop per
  // statement). After a failed statement the server skips the rest, COMMIT included:
  // nothing of the write is kept. CoValues go in ID order, so two nodes' batches lock
  // session rows in the same order (no deadlock between them).
  std::vector<std::size_t> write(const std::vector<covalue_write>& writes) override {
    std::vector<std::size_t> order(writes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return writes[a].id < writes[b].id; });
    std::vector<statement> statements{{nullptr, {"BEGIN"}}};
    std::vector<std::optional<std::size_t>> reports{std::nullopt};  // per statement: the write an append answers for
    auto add = [&](const char* name, std::vector<std::string> params, std::optional<std::size_t> write) {
      statements.push_back({name, std::move(params)});
      reports.push_back(write);
    };
    std::map<std::string, stored_change> changes;  // one announcement per CoValue
    for (const std::size_t wi : order) {
      const auto& w = writes[wi];
      if (!w.header.empty()) {
        add("insert_covalue", {w.id, w.header}, std::nullopt);
        if (w.replace_header) add("replace_header", {w.id, w.header}, std::nullopt);
      }
      for (const auto& b : w.batches) {
        add("append",
            {w.id, b.session_id, std::to_string(b.after),
             array_literal(b.transactions, [](const std::string& t) -> const std::string& { return t; }),
             b.last_signature, b.checkpoint ? "true" : "false", std::to_string(b.bytes_since_checkpoint),
             b.replace ? "true" : "false"},
            wi);
      }
      if (w.deleted) {
        for (const char* name : {"erase_transactions", "erase_signatures", "erase_sessions", "mark_deleted"}) {
          add(name, {w.id}, std::nullopt);
        }
      }
      if (w.header.empty() && w.batches.empty() && !w.deleted) continue;
      auto& change = changes[w.id];
      change.id = w.id;
      change.header = change.header || !w.header.empty();
      change.deleted = change.deleted || w.deleted;
      for (const auto& b : w.batches) {
        auto& count = change.sessions[b.session_id];
        count = std::max<std::uint32_t>(count, b.after + static_cast<std::uint32_t>(b.transactions.size()));
      }
    }
    const auto committed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    for (auto& [id, change] : changes) {
      change.committed_ms = committed;
      add("notify", {channel_, encode_change(node_, change)}, std::nullopt);
    }
    add(nullptr, {"COMMIT"}, std::nullopt);
    std::string error;
    auto results = run_pipeline(statements, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (write): " + error);
    }
    announced_.fetch_add(changes.size(), std::memory_order_relaxed);
    std::set<std::size_t> incomplete;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (reports[i] && text(results[i], 0, 0) != "t") incomplete.insert(*reports[i]);
    }
    return {incomplete.begin(), incomplete.end()};
  }

  store_stats stats() override {
    store_stats st;
    auto count = [&](const char* table) {
      const auto n = text(query(std::string("SELECT count(*) FROM ") + table), 0, 0);
      return static_cast<std::uint64_t>(parse_integer(n.data(), n.size()));
    };
    st.covalues = count("covalues");
    st.sessions = count("sessions");
    st.transactions = count("transactions");
    return st;
  }

  std::uint64_t trim_session(const std::string& id, const std::string& session_id, std::uint32_t keep,
                             const std::string& signature) override {
    const std::string from = std::to_string(keep);
    std::vector<statement> statements{{nullptr, {"BEGIN"}},
                                      {"trim_transactions", {id, session_id, from}},
                                      {"trim_signatures", {id, session_id, from}}};
    if (keep == 0) {
      statements.push_back({"drop_session", {id, session_id}});
    } else {
      statements.push_back({"end_session", {id, session_id, from, signature}});
    }
    statements.push_back({nullptr, {"COMMIT"}});
    std::string error;
    auto results = run_pipeline(statements, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (trim): " + error);
    }
    const std::string removed = PQcmdTuples(results[1].get());
    return removed.empty() ? 0 : static_cast<std::uint64_t>(parse_integer(removed.data(), removed.size()));
  }

 private:
  // Schema, session settings and prepared statements: on a new connection, and again
  // after a reset (the statements live in the session).
  void prepare_session() {
    exec("SET client_min_messages = warning");
    if (access_ == store_access::read_only) {
      // Beside servers: no lock, no schema, nothing written.
      exec("SET default_transaction_read_only = on");
      for (const auto& [name, sql] : kStatements) {
        if (reads_only(name)) check(result(PQprepare(conn_.get(), name, sql, 0, nullptr)), PGRES_COMMAND_OK, name);
      }
      return;
    }
    // Serving nodes share the tables and hold the schema's lock in shared mode; a command
    // that changes rows under their feet (check --repair, import) needs it alone. Held by
    // the session: taken again after a reconnection. A process that just stopped may hold
    // it a moment longer.
    const char* take = access_ == store_access::exclusive ? "pg_try_advisory_lock" : "pg_try_advisory_lock_shared";
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(access_ == store_access::exclusive ? 2 : 10);
    while (text(query(std::string("SELECT ") + take + "(hashtext('moai:' || current_schema()))"), 0, 0) != "t") {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw std::runtime_error(access_ == store_access::exclusive
                                     ? "PostgreSQL: another moai is using these tables (serving nodes hold the "
                                       "schema's lock); stop every node first"
                                     : "PostgreSQL: a command that needs these tables alone is running");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    migrate();
    for (const auto& [name, sql] : kStatements) {
      check(result(PQprepare(conn_.get(), name, sql, 0, nullptr)), PGRES_COMMAND_OK, name);
    }
  }

  // The original's runMigrations: every version above the recorded one, in order, then
  // its schema_version row. In one transaction under a lock of its own, so nodes that
  // start together migrate once (the lock ends with the transaction). moai's own
  // earlier tables (signature_after, deleted_covalues, snake_case columns) are refused
  // by name: nothing here reads them.
  void migrate() {
    exec("BEGIN");
    try {
      query("SELECT pg_advisory_xact_lock(hashtext('moai-migrate:' || current_schema()))");
      const auto old = text(query(R"sql(SELECT concat_ws(', ',
          CASE WHEN to_regclass('signature_after') IS NOT NULL THEN 'table signature_after' END,
          CASE WHEN to_regclass('deleted_covalues') IS NOT NULL THEN 'table deleted_covalues' END,
          CASE WHEN EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
            AND table_name = 'sessions' AND column_name = 'row_id') THEN 'column sessions.row_id' END))sql"),
                            0, 0);
      if (!old.empty()) {
        throw std::runtime_error(
            "PostgreSQL: these tables are moai 0.1's own schema (" + old +
            "), not the original moai's (signatureafter, deletedcovalues, \"rowID\", \"lastIdx\", … with "
            "schema_version); this moai reads only the original's. Point storage.postgres_url at a new database "
            "or schema, or move the old tables away (see README, PostgreSQL)");
      }
      int version = 0;
      if (text(query("SELECT to_regclass('schema_version') IS NOT NULL"), 0, 0) == "t") {
        auto r = query("SELECT version FROM schema_version ORDER BY version DESC LIMIT 1");
        if (PQntuples(r.get()) > 0)
          version = static_cast<int>(
              parse_integer(PQgetvalue(r.get(), 0, 0), static_cast<std::size_t>(PQgetlength(r.get(), 0, 0))));
      }
      for (const auto& m : migrations()) {
        if (m.version <= version) continue;
        for (const char* statement : m.statements) exec(statement);
        exec(kSchemaVersionTable);
        exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(m.version) +
             ") ON CONFLICT (version) DO NOTHING");
      }
      exec(kAppendFunction);
      exec("COMMIT");
    } catch (...) {
      exec_quietly("ROLLBACK");
      throw;
    }
  }

  // Deletes still pending (status 0: queued by the original's cojson, whose eraser had
  // not run yet) are carried out when the store opens, as the SQLite store does.
  void erase_pending_deletes() {
    auto pending = query(R"sql(SELECT "coValueID" FROM deletedcovalues WHERE status = 0)sql");
    if (PQntuples(pending.get()) == 0) return;
    std::vector<statement> statements{{nullptr, {"BEGIN"}}};
    for (int i = 0; i < PQntuples(pending.get()); ++i) {
      for (const char* name : {"erase_transactions", "erase_signatures", "erase_sessions", "mark_deleted"}) {
        statements.push_back({name, {text(pending, i, 0)}});
      }
    }
    statements.push_back({nullptr, {"COMMIT"}});
    std::string error;
    run_pipeline(statements, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (erasing deleted CoValues): " + error);
    }
  }

  // A broken connection, or one whose setup failed, is reset and set up again before
  // the error is thrown, so the caller's retry runs on a working one. Until the setup
  // succeeds every call fails and tries again.
  void recover() {
    if (recovering_ || (ready_ && PQstatus(conn_.get()) != CONNECTION_BAD)) return;
    recovering_ = true;
    ready_ = false;
    if (PQstatus(conn_.get()) == CONNECTION_BAD || PQtransactionStatus(conn_.get()) == PQTRANS_UNKNOWN ||
        PQpipelineStatus(conn_.get()) != PQ_PIPELINE_OFF) {
      PQreset(conn_.get());
    }
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      try {
        prepare_session();
        ready_ = true;
      } catch (const std::exception&) {
        PQreset(conn_.get());  // drop whatever half of the setup took (the next call retries)
      }
    }
    recovering_ = false;
  }

  // Throws with the server's message unless `r` has the expected status.
  result check(result r, ExecStatusType expected, const char* what) {
    if (!r || PQresultStatus(r.get()) != expected) {
      std::string message = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_.get());
      while (!message.empty() && message.back() == '\n') message.pop_back();
      recover();
      throw std::runtime_error(std::string("PostgreSQL (") + what + "): " + message);
    }
    return r;
  }

  struct statement {
    const char* name;                 // a prepared statement, or nullptr for plain SQL
    std::vector<std::string> params;  // for plain SQL: the SQL itself
  };

  // Sends `statements` as one pipeline (one round trip) and returns their answers in
  // order. On the first failure `error` says why, and that answer and the later ones
  // (which the server skips) are empty. The connection is out of pipeline mode after.
  std::vector<result> run_pipeline(const std::vector<statement>& statements, std::string& error) {
    if (!ready_) recover();
    rollback();
    PGconn* c = conn_.get();
    std::vector<result> out(statements.size());
    std::size_t sent = 0;
    if (PQenterPipelineMode(c) == 1) {
      std::vector<const char*> values;
      for (const auto& st : statements) {
        values.clear();
        for (const auto& v : st.params) values.push_back(v.c_str());
        const int ok = st.name ? PQsendQueryPrepared(c, st.name, static_cast<int>(values.size()), values.data(),
                                                     nullptr, nullptr, 0)
                               : PQsendQueryParams(c, values.at(0), 0, nullptr, nullptr, nullptr, nullptr, 0);
        if (ok != 1) break;
        ++sent;
      }
    }
    if (sent < statements.size() || PQpipelineSync(c) != 1) {
      error = PQerrorMessage(c);
    } else {
      for (std::size_t i = 0; i < sent; ++i) {
        result r(PQgetResult(c));
        if (!r) {
          error = PQerrorMessage(c);  // the connection is gone
          break;
        }
        const auto status = PQresultStatus(r.get());
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
          out[i] = std::move(r);
        } else {
          error = PQresultErrorMessage(r.get());
          break;
        }
        result(PQgetResult(c));  // the NULL that ends each statement's answers
      }
    }
    if (error.empty()) {
      result sync(PQgetResult(c));
      if (sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC && PQexitPipelineMode(c) == 1) return out;
      error = "the pipeline did not end as expected";
    }
    while (!error.empty() && error.back() == '\n') error.pop_back();
    if (error.empty()) error = "statement failed";
    // Read what is left (the skipped statements, the syncs) to leave pipeline mode. Every
    // statement ends in one NULL, so several NULLs in a row mean nothing more will come;
    // a connection still in pipeline mode then is set up afresh by recover().
    if (PQpipelineStatus(c) != PQ_PIPELINE_OFF) {
      PQpipelineSync(c);
      int nulls = 0;
      while (PQexitPipelineMode(c) != 1 && nulls < 3) {
        result r(PQgetResult(c));
        nulls = r ? 0 : nulls + 1;
        if (!r && PQstatus(c) == CONNECTION_BAD) break;
      }
      if (PQpipelineStatus(c) != PQ_PIPELINE_OFF) ready_ = false;
    }
    return out;
  }

  // After a failed pipeline: its transaction rolled back, a broken connection reset.
  void settle_failure() {
    rollback();
    recover();
  }

  // One CoValue from its five answers (find_covalue, find_sessions, find_transactions,
  // find_signatures, find_deleted); nullopt if it is not stored.
  std::optional<stored_covalue> parse_covalue(const load_query& q, const result* r) {
    if (PQntuples(r[0].get()) == 0) return std::nullopt;
    stored_covalue out;
    out.id = q.id;
    out.header = text(r[0], 0, 1);
    const auto& sessions = r[1];
    std::vector<std::string> rows;  // the "rowID" of each entry of out.sessions
    for (int i = 0; i < PQntuples(sessions.get()); ++i) {
      stored_session session;
      session.session_id = text(sessions, i, 1);
      const auto count = parse_count(text(sessions, i, 2));
      if (q.since) {
        auto it = q.since->find(session.session_id);
        session.first = it == q.since->end() ? 0 : it->second;
        if (count <= session.first) continue;  // nothing beyond what the asker holds
      }
      session.recorded_count = count;
      session.last_signature = text(sessions, i, 3);
      session.bytes_since_checkpoint = parse_count(text(sessions, i, 4));
      out.sessions.push_back(std::move(session));
      rows.push_back(text(sessions, i, 0));
    }
    std::map<std::string, stored_session*> by_row;  // session "rowID" → its entry
    for (std::size_t i = 0; i < rows.size(); ++i) by_row[rows[i]] = &out.sessions[i];
    const auto& txs = r[2];
    for (int t = 0; t < PQntuples(txs.get()); ++t) {
      auto* s = session_at(by_row, text(txs, t, 0));
      if (!s) continue;
      const auto idx = parse_count(text(txs, t, 1));
      const auto position = static_cast<std::uint32_t>(s->transactions.size());
      if (!s->gap && idx != s->first + position) s->gap = stored_session::row_gap{position, idx};
      s->transactions.push_back(text(txs, t, 2));
    }
    const auto& sigs = r[3];
    for (int i = 0; i < PQntuples(sigs.get()); ++i) {
      if (auto* s = session_at(by_row, text(sigs, i, 0)))
        s->checkpoints[parse_count(text(sigs, i, 1))] = text(sigs, i, 2);
    }
    out.deleted = PQntuples(r[4].get()) > 0;
    return out;
  }

  // The entry of a session row; nullptr for a session left out (nothing new in it).
  static stored_session* session_at(const std::map<std::string, stored_session*>& by_row, const std::string& row) {
    auto it = by_row.find(row);
    return it == by_row.end() ? nullptr : it->second;
  }

  // Known states (nullopt: not stored), all in one pipeline and one snapshot; throws if
  // it fails.
  std::vector<std::optional<std::map<std::string, std::uint32_t>>> known_many(const std::vector<std::string>& ids) {
    std::vector<statement> statements{{nullptr, {"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"}}};
    for (const auto& id : ids) {
      statements.push_back({"find_covalue", {id}});
      statements.push_back({"find_sessions", {id}});
    }
    statements.push_back({nullptr, {"COMMIT"}});
    std::string error;
    auto results = run_pipeline(statements, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (known state): " + error);
    }
    std::vector<std::optional<std::map<std::string, std::uint32_t>>> out(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (PQntuples(results[1 + 2 * i].get()) == 0) continue;
      const auto& sessions = results[2 + 2 * i];
      auto& known = out[i].emplace();
      for (int j = 0; j < PQntuples(sessions.get()); ++j)
        known[text(sessions, j, 1)] = parse_count(text(sessions, j, 2));
    }
    return out;
  }

  void rollback() {
    // Not on a dead connection: libpq would parse what is left in its buffer as stray.
    if (PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      exec_quietly("ROLLBACK");
    }
  }

  void exec(const std::string& sql) { check(result(PQexec(conn_.get(), sql.c_str())), PGRES_COMMAND_OK, "exec"); }
  void exec_quietly(const char* sql) { result(PQexec(conn_.get(), sql)); }
  result query(const std::string& sql) {
    return check(result(PQexec(conn_.get(), sql.c_str())), PGRES_TUPLES_OK, "query");
  }

  std::string url_;
  std::string node_;  // tells this process's announcements apart from other nodes'
  connection conn_;
  std::string channel_;
  std::atomic<std::uint64_t> announced_{0};
  store_access access_;
  bool ready_ = false;       // set up completely (lock, schema, statements)
  bool recovering_ = false;  // recover() runs statements that may fail in turn
};

}  // namespace

std::unique_ptr<covalue_store> open_postgres_store(const std::string& url, store_access access) {
  return std::make_unique<postgres_store>(url, access);
}

}  // namespace moai::storage
