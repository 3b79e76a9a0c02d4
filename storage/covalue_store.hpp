// Persistent CoValues: the interface the storage writer actor drives. Implementations
// know their database and nothing of sockets or actors. Texts are stored as cojson's
// own SQLite storage stores them (guide §5), so databases are interchangeable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/change_feed.hpp"

namespace moai::storage {

struct stored_session {
  std::string session_id;
  std::vector<std::string> transactions;  // transaction JSON texts, in order
  std::string last_signature;
  std::map<std::uint32_t, std::string> checkpoints;  // signatureAfter: index → signature
  std::uint32_t bytes_since_checkpoint = 0;
  // How the rows stand, from stores that keep a session row apart from its transaction
  // rows (SQLite, PostgreSQL; nullopt from the memory store): the count the session row
  // records (lastIdx), and where the transaction rows' indices first skip (a gap).
  std::optional<std::uint32_t> recorded_count;
  struct row_gap {
    std::uint32_t position = 0;    // rows [0, position) have indices first, first + 1, … in order
    std::uint32_t next_index = 0;  // the index of the row at `position` (greater than first + position)
  };
  std::optional<row_gap> gap;
  std::uint32_t first = 0;  // index of transactions[0] (nonzero only in a load since known counts)
};

struct stored_covalue {
  std::string id;
  std::string header;                    // header JSON text
  std::vector<stored_session> sessions;  // in the order they were first stored
  bool deleted = false;
};

// One verified batch of one session, appended after `after` stored transactions.
struct session_batch {
  std::string session_id;
  std::uint32_t after = 0;
  std::vector<std::string> transactions;
  std::string last_signature;
  bool checkpoint = false;                   // record last_signature as a signatureAfter row
  std::uint32_t bytes_since_checkpoint = 0;  // the session's counter after this batch
  // The transactions replace stored rows at their indices instead of being trimmed
  // against them: those rows could not be read back (verified content repairs them).
  bool replace = false;
};

struct covalue_write {
  std::string id;
  std::string header;  // stored if the CoValue is new; may be empty otherwise
  std::vector<session_batch> batches;
  bool deleted = false;         // a delete was accepted: keep a tombstone
  bool replace_header = false;  // the stored header could not be read: `header` replaces it
};

// One CoValue to read: all of it, or (`since`) only what storage holds beyond those
// session counts (a node that holds them and catches up with what other nodes wrote).
// Sessions with nothing beyond `since` are left out; the header is always read.
struct load_query {
  load_query(std::string covalue_id) : id(std::move(covalue_id)) {}  // NOLINT: a whole load by ID
  load_query(const char* covalue_id) : id(covalue_id) {}             // NOLINT
  load_query(std::string covalue_id, std::map<std::string, std::uint32_t> counts)
      : id(std::move(covalue_id)), since(std::move(counts)) {}
  std::string id;
  std::optional<std::map<std::string, std::uint32_t>> since;
};

// One answer of load_many: the CoValue (nullopt when not stored) or the read error.
struct load_result {
  std::optional<stored_covalue> covalue;
  std::string error;  // set when the read failed
};

// A stored CoValue's session counts (sessionID → stored count).
struct stored_known {
  std::string id;
  std::map<std::string, std::uint32_t> sessions;
};

// What a process does with the store. The server shares it with commands that only
// read (moai check, export); commands that change rows under a server's feet (check
// --repair, import) need it alone, and are refused while a server has it open.
enum class store_access { serve, read_only, exclusive };

struct store_stats {
  std::uint64_t covalues = 0;
  std::uint64_t sessions = 0;
  std::uint64_t transactions = 0;
};

class covalue_store {
 public:
  virtual ~covalue_store() = default;
  virtual const char* kind() const = 0;
  virtual std::optional<stored_covalue> load(const std::string& id) = 0;
  // A load, or only what is stored beyond `q.since` (by default: load, then trimmed).
  virtual std::optional<stored_covalue> load_since(const load_query& q);
  // Several loads that see one state of the database. The SQLite store runs them in
  // one read transaction: a cold start's burst of loads then costs one lock, not one
  // per statement.
  virtual std::vector<load_result> load_many(const std::vector<load_query>& queries);
  // sessionID → stored count; nullopt when the CoValue is not stored.
  virtual std::optional<std::map<std::string, std::uint32_t>> load_known(const std::string& id) = 0;
  // Stored CoValues in ID order after `after` (exclusive), at most `limit`: a page of
  // what an upstream is asked to reconcile with.
  virtual std::vector<stored_known> list_known(const std::string& after, std::size_t limit) = 0;
  // Applies all writes atomically. Overlapping batches (already stored prefixes) are
  // trimmed, unless they replace; a batch that would leave a gap (or belongs to a CoValue stored without
  // header) is skipped. Returns the indices of the writes not stored in full: their
  // authors must not acknowledge them.
  virtual std::vector<std::size_t> write(const std::vector<covalue_write>& writes) = 0;
  virtual store_stats stats() = 0;
  // moai check --repair: cuts a stored session back to its first `keep` transactions,
  // which end at `signature` (one that verifies); keep = 0 removes the session. Rows past
  // a gap go too. Returns how many transaction rows were removed.
  virtual std::uint64_t trim_session(const std::string& id, const std::string& session_id, std::uint32_t keep,
                                     const std::string& signature) = 0;
  // Changes that other processes on the same database commit (several moai nodes on
  // one PostgreSQL); nullptr when the store is this process's alone.
  virtual std::unique_ptr<change_feed> open_change_feed() { return nullptr; }
  // How many change notifications this store's commits announced (0 without a feed).
  virtual std::uint64_t changes_announced() const { return 0; }
};

// Keeps of `cv` only what lies beyond `since` (load_query::since).
void trim_to_since(stored_covalue& cv, const std::map<std::string, std::uint32_t>& since);

// Throws std::runtime_error if the database cannot be opened or migrated, or (with
// `access` exclusive) while another process has it open; read_only neither creates,
// migrates nor writes it. `check_first` runs PRAGMA quick_check before anything else and
// throws, naming the damage, if the file is not sound.
std::unique_ptr<covalue_store> open_sqlite_store(const std::string& path, const std::string& synchronous,
                                                 store_access access = store_access::serve,
                                                 bool check_first = false);
std::unique_ptr<covalue_store> open_memory_store();
// `url`: a libpq connection string or URI (postgresql://user@host/db). To serve, creates
// or migrates the tables (the original JavaScript moai's schema, a port of cojson's
// SQLite one), which any number of serving nodes share (each holds the schema's advisory
// lock in shared mode); exclusive takes that lock alone, so it is refused while a
// server has the tables open; read_only does neither and writes nothing. Throws
// std::runtime_error if it cannot connect, migrate or prepare.
std::unique_ptr<covalue_store> open_postgres_store(const std::string& url, store_access access = store_access::serve);

}  // namespace moai::storage
