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
    std::uint32_t position = 0;    // rows [0, position) have indices 0, 1, … in order
    std::uint32_t next_index = 0;  // the index of the row at `position` (greater than it)
  };
  std::optional<row_gap> gap;
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
  // Several loads that see one state of the database. The SQLite store runs them in
  // one read transaction: a cold start's burst of loads then costs one lock, not one
  // per statement.
  virtual std::vector<load_result> load_many(const std::vector<std::string>& ids);
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
};

// Throws std::runtime_error if the database cannot be opened or migrated, or (with
// `access` exclusive) while another process has it open; read_only neither creates,
// migrates nor writes it.
std::unique_ptr<covalue_store> open_sqlite_store(const std::string& path, const std::string& synchronous,
                                                 store_access access = store_access::serve);
std::unique_ptr<covalue_store> open_memory_store();
// `url`: a libpq connection string or URI (postgresql://user@host/db). Creates the
// tables if missing and takes the schema's advisory lock (one moai per schema), except
// read_only, which does neither and can run beside a server. Throws
// std::runtime_error if it cannot connect or prepare.
std::unique_ptr<covalue_store> open_postgres_store(const std::string& url, store_access access = store_access::serve);

}  // namespace moai::storage
