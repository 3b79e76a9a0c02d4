// PostgreSQL storage (storage.kind = postgres), for a moai that outgrew a local SQLite
// file: the same tables as cojson's SQLite schema (snake_case), the same semantics as
// the SQLite store (one transaction per write batch, trimming, gaps refused, damaged
// rows replaced on request, tombstones). libpq with prepared statements; one connection,
// used by the storage writer's thread only, reset when it breaks (the failed call throws
// and the storage writer's retries carry on over the new one). An advisory lock keeps a
// second moai off the same tables.
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/covalue_store.hpp"

namespace moai::storage {
namespace {

const char* const kSchema[] = {
    // Byte order, as SQLite compares (reconcile pages through IDs in this order).
    "CREATE TABLE IF NOT EXISTS covalues (row_id BIGSERIAL PRIMARY KEY, id TEXT COLLATE \"C\" NOT NULL UNIQUE, "
    "header TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (row_id BIGSERIAL PRIMARY KEY, covalue BIGINT NOT NULL, "
    "session_id TEXT NOT NULL, last_idx BIGINT NOT NULL, last_signature TEXT NOT NULL, "
    "bytes_since_last_signature BIGINT NOT NULL DEFAULT 0, UNIQUE (covalue, session_id))",
    "CREATE TABLE IF NOT EXISTS transactions (ses BIGINT NOT NULL, idx BIGINT NOT NULL, tx TEXT NOT NULL, "
    "PRIMARY KEY (ses, idx))",
    "CREATE TABLE IF NOT EXISTS signature_after (ses BIGINT NOT NULL, idx BIGINT NOT NULL, "
    "signature TEXT NOT NULL, PRIMARY KEY (ses, idx))",
    "CREATE TABLE IF NOT EXISTS deleted_covalues (covalue_id TEXT PRIMARY KEY, status INTEGER NOT NULL DEFAULT 0)",
    // One session batch in one round trip (a network hop per row would make a remote
    // database the bottleneck): the SQLite store's append, server-side. False when the
    // batch would leave a gap after what is stored.
    R"sql(CREATE OR REPLACE FUNCTION moai_append(p_covalue BIGINT, p_session TEXT, p_after BIGINT, p_txs TEXT[],
    p_signature TEXT, p_checkpoint BOOLEAN, p_bytes BIGINT, p_replace BOOLEAN) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  v_row BIGINT;
  v_stored BIGINT := 0;
  v_n BIGINT := coalesce(array_length(p_txs, 1), 0);
  v_skip BIGINT;
  v_new BIGINT;
  v_exists BOOLEAN;
BEGIN
  IF p_covalue IS NULL THEN RETURN FALSE; END IF;  -- the CoValue is not stored (no header yet)
  SELECT row_id, last_idx INTO v_row, v_stored FROM sessions WHERE covalue = p_covalue AND session_id = p_session;
  v_exists := FOUND;
  IF NOT v_exists THEN v_stored := 0; END IF;
  IF p_after > v_stored THEN RETURN FALSE; END IF;
  v_skip := CASE WHEN p_replace THEN 0 ELSE v_stored - p_after END;
  IF v_skip >= v_n THEN RETURN TRUE; END IF;  -- nothing new
  v_new := p_after + v_n;
  IF v_exists AND v_new >= v_stored THEN
    UPDATE sessions SET last_idx = v_new, last_signature = p_signature, bytes_since_last_signature = p_bytes
      WHERE row_id = v_row;
  ELSIF NOT v_exists THEN
    INSERT INTO sessions (covalue, session_id, last_idx, last_signature, bytes_since_last_signature)
      VALUES (p_covalue, p_session, v_new, p_signature, p_bytes) RETURNING row_id INTO v_row;
  END IF;  -- else: rows replaced inside the stored range; the session's end stays as it was
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
    INSERT INTO signature_after (ses, idx, signature) VALUES (v_row, v_new - 1, p_signature)
      ON CONFLICT (ses, idx) DO UPDATE SET signature = EXCLUDED.signature;
  END IF;
  RETURN TRUE;
END
$$)sql",
};

// Statement name → SQL, prepared once per connection.
const std::pair<const char*, const char*> kStatements[] = {
    // Every statement names its CoValue by ID, so that none needs an earlier one's
    // answer: a whole write, or a batch of loads, goes out as one pipeline.
    {"find_covalue", "SELECT row_id, header FROM covalues WHERE id = $1"},
    {"insert_covalue", "INSERT INTO covalues (id, header) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING"},
    {"replace_header", "UPDATE covalues SET header = $2 WHERE id = $1"},
    {"find_sessions",
     "SELECT s.row_id, s.session_id, s.last_idx, s.last_signature, s.bytes_since_last_signature FROM sessions s "
     "JOIN covalues c ON s.covalue = c.row_id WHERE c.id = $1 ORDER BY s.row_id"},
    {"append", "SELECT moai_append((SELECT row_id FROM covalues WHERE id = $1), $2, $3, $4::text[], $5, $6, $7, $8)"},
    // A CoValue's transactions and checkpoints, all sessions at once (round trips count).
    {"find_transactions",
     "SELECT t.ses, t.idx, t.tx FROM transactions t JOIN sessions s ON t.ses = s.row_id JOIN covalues c ON s.covalue = "
     "c.row_id WHERE c.id = $1 ORDER BY t.ses, t.idx"},
    {"find_signatures",
     "SELECT a.ses, a.idx, a.signature FROM signature_after a JOIN sessions s ON a.ses = s.row_id JOIN covalues c "
     "ON s.covalue = c.row_id WHERE c.id = $1"},
    {"find_deleted", "SELECT status FROM deleted_covalues WHERE covalue_id = $1"},
    {"list_ids", "SELECT id FROM covalues WHERE id > $1 ORDER BY id LIMIT $2"},
    // A delete keeps only the delete sessions (IDs ending in '$') and a done tombstone.
    {"erase_transactions",
     "DELETE FROM transactions WHERE ses IN (SELECT s.row_id FROM sessions s JOIN covalues c ON s.covalue = "
     "c.row_id WHERE c.id = $1 AND s.session_id NOT LIKE '%$')"},
    {"erase_signatures",
     "DELETE FROM signature_after WHERE ses IN (SELECT s.row_id FROM sessions s JOIN covalues c ON s.covalue = "
     "c.row_id WHERE c.id = $1 AND s.session_id NOT LIKE '%$')"},
    {"erase_sessions",
     "DELETE FROM sessions WHERE covalue = (SELECT row_id FROM covalues WHERE id = $1) AND "
     "session_id NOT LIKE '%$'"},
    {"mark_deleted",
     "INSERT INTO deleted_covalues (covalue_id, status) SELECT $1, 1 WHERE EXISTS (SELECT 1 FROM covalues "
     "WHERE id = $1) ON CONFLICT (covalue_id) DO UPDATE SET status = 1"},
    // moai check --repair: a session cut back to its first $3 transactions.
    {"trim_transactions",
     "DELETE FROM transactions WHERE ses = (SELECT s.row_id FROM sessions s JOIN covalues c ON s.covalue = "
     "c.row_id WHERE c.id = $1 AND s.session_id = $2) AND idx >= $3"},
    {"trim_signatures",
     "DELETE FROM signature_after WHERE ses = (SELECT s.row_id FROM sessions s JOIN covalues c ON s.covalue = "
     "c.row_id WHERE c.id = $1 AND s.session_id = $2) AND idx >= $3"},
    {"drop_session",
     "DELETE FROM sessions WHERE covalue = (SELECT row_id FROM covalues WHERE id = $1) AND session_id = $2"},
    {"end_session",
     "UPDATE sessions SET last_idx = $3, last_signature = $4, bytes_since_last_signature = 0 WHERE covalue = "
     "(SELECT row_id FROM covalues WHERE id = $1) AND session_id = $2"},
};

// The statements a read-only store prepares (they need no function of ours).
bool reads_only(const char* name) {
  return std::string_view(name).rfind("find_", 0) == 0 || std::string_view(name).rfind("list_", 0) == 0;
}

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result = std::unique_ptr<PGresult, result_deleter>;

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

class postgres_store final : public covalue_store {
 public:
  postgres_store(const std::string& url, store_access access) : read_only_(access == store_access::read_only) {
    // Defaults first: what the URL says overrides them. A dead host is noticed within
    // about 30 s rather than the kernel's two hours.
    const char* keys[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
                          "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                          "application_name",    "dbname",           nullptr};
    const char* values[] = {"10", "1", "10", "5", "3", "30000", "moai", url.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      throw std::runtime_error(std::string("cannot connect to PostgreSQL: ") +
                               (conn_ ? PQerrorMessage(conn_.get()) : "out of memory"));
    }
    prepare_session();
    ready_ = true;
  }

  const char* kind() const override { return "postgres"; }

  std::optional<stored_covalue> load(const std::string& id) override {
    auto loaded = load_many({id});
    if (!loaded.at(0).error.empty()) throw std::runtime_error(loaded[0].error);
    return std::move(loaded[0].covalue);
  }

  // All of them in one pipeline: one round trip, and one implicit transaction (nothing
  // else writes these tables: one moai per schema, one writer in it). After a failed
  // statement the loads before it stand; the rest carry the error (and are retried).
  std::vector<load_result> load_many(const std::vector<std::string>& ids) override {
    constexpr std::size_t kPerLoad = 5;
    std::vector<statement> statements;
    for (const auto& id : ids) {
      for (const char* name :
           {"find_covalue", "find_sessions", "find_transactions", "find_signatures", "find_deleted"}) {
        statements.push_back({name, {id}});
      }
    }
    std::string error;
    auto results = run_pipeline(statements, error);
    if (!error.empty()) settle_failure();
    std::vector<load_result> out(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const result* r = &results[i * kPerLoad];
      if (std::any_of(r, r + kPerLoad, [](const result& x) { return !x; })) {
        out[i].error = "PostgreSQL (load): " + error;
        continue;
      }
      try {
        out[i].covalue = parse_covalue(ids[i], r);
      } catch (const std::exception& e) {
        out[i].error = e.what();
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

  // The whole write is one pipeline: BEGIN, every statement, COMMIT, then the answers.
  // One round trip however many CoValues and sessions it holds (a remote database would
  // otherwise cost a network hop per statement). After a failed statement the server
  // skips the rest, COMMIT included: nothing of the write is kept.
  std::vector<std::size_t> write(const std::vector<covalue_write>& writes) override {
    std::vector<statement> statements{{nullptr, {"BEGIN"}}};
    std::vector<std::optional<std::size_t>> reports{std::nullopt};  // per statement: the write an append answers for
    auto add = [&](const char* name, std::vector<std::string> params, std::optional<std::size_t> write) {
      statements.push_back({name, std::move(params)});
      reports.push_back(write);
    };
    for (std::size_t wi = 0; wi < writes.size(); ++wi) {
      const auto& w = writes[wi];
      if (!w.header.empty()) {
        add("insert_covalue", {w.id, w.header}, std::nullopt);
        if (w.replace_header) add("replace_header", {w.id, w.header}, std::nullopt);
      }
      for (const auto& b : w.batches) {
        add("append",
            {w.id, b.session_id, std::to_string(b.after), array_literal(b.transactions), b.last_signature,
             b.checkpoint ? "true" : "false", std::to_string(b.bytes_since_checkpoint), b.replace ? "true" : "false"},
            wi);
      }
      if (w.deleted) {
        for (const char* name : {"erase_transactions", "erase_signatures", "erase_sessions", "mark_deleted"}) {
          add(name, {w.id}, std::nullopt);
        }
      }
    }
    add(nullptr, {"COMMIT"}, std::nullopt);
    std::string error;
    auto results = run_pipeline(statements, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (write): " + error);
    }
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
  struct conn_deleter {
    void operator()(PGconn* c) const { PQfinish(c); }
  };

  // The lock, then schema, session settings and prepared statements: on a new
  // connection, and again after a reset (all of them live in the session).
  void prepare_session() {
    if (read_only_) {
      // Beside a server: no lock, no schema, nothing written.
      exec("SET default_transaction_read_only = on");
      for (const auto& [name, sql] : kStatements) {
        if (reads_only(name)) check(result(PQprepare(conn_.get(), name, sql, 0, nullptr)), PGRES_COMMAND_OK, name);
      }
      return;
    }
    // One moai per set of tables (per schema): a second one would race this one's writes
    // (and replace its function). A moai that just stopped may hold it a moment longer.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (text(query("SELECT pg_try_advisory_lock(hashtext('moai:' || current_schema()))"), 0, 0) != "t") {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw std::runtime_error("PostgreSQL: another moai is using these tables (advisory lock held)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    exec("SET client_min_messages = warning");
    for (const char* statement : kSchema) exec(statement);
    for (const auto& [name, sql] : kStatements) {
      check(result(PQprepare(conn_.get(), name, sql, 0, nullptr)), PGRES_COMMAND_OK, name);
    }
  }

  // A broken connection, or one whose setup failed, is reset and set up again before
  // the error is thrown, so the caller's retry runs on a working one. Until the setup
  // succeeds (lock included) every call fails and tries again.
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
  std::optional<stored_covalue> parse_covalue(const std::string& id, const result* r) {
    if (PQntuples(r[0].get()) == 0) return std::nullopt;
    stored_covalue out;
    out.id = id;
    out.header = text(r[0], 0, 1);
    const auto& sessions = r[1];
    std::map<std::string, stored_session*> by_row;  // session row_id → its entry
    out.sessions.resize(static_cast<std::size_t>(PQntuples(sessions.get())));
    for (int i = 0; i < PQntuples(sessions.get()); ++i) {
      auto& session = out.sessions[static_cast<std::size_t>(i)];
      by_row[text(sessions, i, 0)] = &session;
      session.session_id = text(sessions, i, 1);
      session.recorded_count = parse_count(text(sessions, i, 2));
      session.last_signature = text(sessions, i, 3);
      session.bytes_since_checkpoint = parse_count(text(sessions, i, 4));
    }
    const auto& txs = r[2];
    for (int t = 0; t < PQntuples(txs.get()); ++t) {
      auto* session = session_at(by_row, text(txs, t, 0));
      const auto idx = parse_count(text(txs, t, 1));
      const auto position = static_cast<std::uint32_t>(session->transactions.size());
      if (!session->gap && idx != position) session->gap = stored_session::row_gap{position, idx};
      session->transactions.push_back(text(txs, t, 2));
    }
    const auto& sigs = r[3];
    for (int i = 0; i < PQntuples(sigs.get()); ++i) {
      session_at(by_row, text(sigs, i, 0))->checkpoints[parse_count(text(sigs, i, 1))] = text(sigs, i, 2);
    }
    out.deleted = PQntuples(r[4].get()) > 0;
    return out;
  }

  static stored_session* session_at(const std::map<std::string, stored_session*>& by_row, const std::string& row) {
    auto it = by_row.find(row);
    if (it == by_row.end()) throw std::runtime_error("PostgreSQL: a row of unknown session " + row);
    return it->second;
  }

  // Known states (nullopt: not stored), all in one pipeline; throws if it fails.
  std::vector<std::optional<std::map<std::string, std::uint32_t>>> known_many(const std::vector<std::string>& ids) {
    std::vector<statement> statements;
    for (const auto& id : ids) {
      statements.push_back({"find_covalue", {id}});
      statements.push_back({"find_sessions", {id}});
    }
    std::string error;
    auto results = run_pipeline(statements, error);
    if (!error.empty()) {
      settle_failure();
      throw std::runtime_error("PostgreSQL (known state): " + error);
    }
    std::vector<std::optional<std::map<std::string, std::uint32_t>>> out(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (PQntuples(results[2 * i].get()) == 0) continue;
      const auto& sessions = results[2 * i + 1];
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

  static std::string text(const result& r, int row, int column) {
    return std::string(PQgetvalue(r.get(), row, column), static_cast<std::size_t>(PQgetlength(r.get(), row, column)));
  }

  // A text[] parameter in PostgreSQL's array syntax: every element quoted, with `"` and
  // `\` escaped.
  static std::string array_literal(const std::vector<std::string>& items) {
    std::size_t size = 2;
    for (const auto& item : items) size += item.size() + 3;
    std::string out;
    out.reserve(size + size / 8);
    out.push_back('{');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      out.push_back('"');
      for (char c : items[i]) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
    }
    out.push_back('}');
    return out;
  }

  std::unique_ptr<PGconn, conn_deleter> conn_;
  bool read_only_ = false;  // store_access::read_only: no lock, no schema, no writes
  bool ready_ = false;       // set up completely (lock, schema, statements)
  bool recovering_ = false;  // recover() runs statements that may fail in turn
};

}  // namespace

std::unique_ptr<covalue_store> open_postgres_store(const std::string& url, store_access access) {
  return std::make_unique<postgres_store>(url, access);
}

}  // namespace moai::storage
