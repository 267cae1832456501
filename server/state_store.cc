#include "server/state_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <functional>
#include <mutex>
#include <utility>

#include "platform/file.h"

namespace fleetcast {

namespace {

// A writer waits this long for another process's transaction before failing.
constexpr int kBusyTimeoutMs = 10000;

// The schema of kSchemaVersion. Every table is created in one transaction with
// the version row, so a file either has the whole schema or none of it.
constexpr const char* kSchema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE session (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  image_digest TEXT NOT NULL,
  inventory_digest TEXT NOT NULL);
CREATE TABLE nodes (
  node TEXT PRIMARY KEY,
  state TEXT NOT NULL DEFAULT '',
  state_at REAL NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  digest TEXT NOT NULL DEFAULT '',
  bytes INTEGER,
  seconds REAL,
  loss REAL,
  chunks_reused INTEGER,
  chunks_written INTEGER,
  up_at REAL,
  up_how TEXT NOT NULL DEFAULT '');
CREATE TABLE transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  node TEXT NOT NULL,
  state TEXT NOT NULL,
  at REAL NOT NULL,
  reason TEXT NOT NULL);
CREATE INDEX transitions_by_node ON transitions (node, seq);
-- The primary key is the "never release twice" guarantee.
CREATE TABLE releases (node TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE holds (grp TEXT PRIMARY KEY);
CREATE TABLE tokens (node TEXT PRIMARY KEY, generation INTEGER NOT NULL);
)sql";

// What brings a file of schema version `to - 1` to version `to`. Opening a
// file of an older version runs each step after it, in the transaction that
// reads the version, then records kSchemaVersion: an operator's state file
// survives an upgrade of fleetcast mid-deployment.
struct Migration {
  int to;
  const char* sql;
};
constexpr std::array<Migration, 2> kMigrations = {{
    {2, "CREATE TABLE tokens (node TEXT PRIMARY KEY, generation INTEGER NOT NULL);"},
    // NULL (unknown) for nodes done before: they read as 0.
    {3,
     "ALTER TABLE nodes ADD COLUMN chunks_reused INTEGER;"
     "ALTER TABLE nodes ADD COLUMN chunks_written INTEGER;"},
}};
static_assert(kMigrations.back().to == StateStore::kSchemaVersion,
              "a new schema version needs its migration");

const char* const kMoveAway = "; move it away to start afresh";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// A prepared statement. Values are bound in order; a failed bind is kept and
// returned by Step, so callers check one result code.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  Statement& Bind(const std::string& text) {
    return Keep(sqlite3_bind_text(stmt_.get(), ++index_, text.data(), static_cast<int>(text.size()),
                                  SQLITE_TRANSIENT));
  }
  Statement& Bind(double value) { return Keep(sqlite3_bind_double(stmt_.get(), ++index_, value)); }
  Statement& Bind(int64_t value) { return Keep(sqlite3_bind_int64(stmt_.get(), ++index_, value)); }

  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_.get()); }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  double Double(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  std::string Text(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_.get(), col);
    if (text == nullptr) return "";
    return {reinterpret_cast<const char*>(text),
            static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col))};
  }
  std::optional<double> OptionalDouble(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Double(col);
  }

 private:
  Statement& Keep(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt_;
  int index_ = 0;
  int bind_rc_ = SQLITE_OK;
};

// What the operator can do about a SQLite failure.
const char* Advice(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "another process is writing it; stop it or give another state file";
    case SQLITE_FULL:
      return "free space on its disk";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return "check that its folder exists and is writable";
    case SQLITE_CORRUPT:
      return "move it away to start afresh";
    default:
      return "check the disk holding it";
  }
}

// The file is not ours: one line naming it and why.
Status NotOurs(const std::string& path, const std::string& why) {
  return Status::InvalidArgument(path + ": not a fleetcast state file (" + why + ")" + kMoveAway);
}

std::string ShortDigest(const std::string& digest) { return digest.substr(0, 12); }

}  // namespace

// The connection: owns the sqlite3 handle, serializes callers, and turns
// SQLite failures into one-line Statuses naming the file.
class StateStore::Database {
 public:
  Database(DbHandle db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::mutex& mu() { return mu_; }

  Status Error(int rc, const std::string& doing) const {
    // SQLite finds out at the first read, whichever statement that is.
    if ((rc & 0xff) == SQLITE_NOTADB) return NotOurs(path_, "not a SQLite database");
    // errmsg describes the last call only if that call produced rc.
    const char* what =
        sqlite3_extended_errcode(db_.get()) == rc ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
    return Status::IOError(path_ + ": " + what + " while " + doing + "; " + Advice(rc));
  }

  Result<Statement> Prepare(const char* sql, const std::string& doing) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, doing);
    return Statement(stmt);
  }

  /// Runs a statement that returns no rows.
  Status Run(const char* sql, const std::string& doing,
             const std::function<void(Statement&)>& bind = nullptr) {
    Result<Statement> stmt = Prepare(sql, doing);
    if (!stmt.ok()) return stmt.status();
    if (bind) bind(*stmt);
    const int rc = stmt->Step();
    return rc == SQLITE_DONE ? Status::OK() : Error(rc, doing);
  }

  /// Runs fixed SQL without values (pragmas, the schema).
  Status Exec(const char* sql, const std::string& doing) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::OK() : Error(rc, doing);
  }

  /// Runs body in a write transaction: committed if it returns OK, rolled back
  /// otherwise. IMMEDIATE takes the write lock first, so a transaction that
  /// reads then writes cannot fail halfway on another process's write.
  Status InTransaction(const std::string& doing, const std::function<Status()>& body) {
    if (Status s = Exec("BEGIN IMMEDIATE", doing); !s.ok()) return s;
    Status s = body();
    if (s.ok()) s = Exec("COMMIT", doing);
    if (!s.ok()) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }

  /// Runs a query and calls row for each row it returns.
  Status ForEachRow(const char* sql, const std::string& doing,
                    const std::function<void(Statement&)>& bind,
                    const std::function<void(const Statement&)>& row) {
    Result<Statement> stmt = Prepare(sql, doing);
    if (!stmt.ok()) return stmt.status();
    if (bind) bind(*stmt);
    int rc = SQLITE_ROW;
    while ((rc = stmt->Step()) == SQLITE_ROW) row(*stmt);
    return rc == SQLITE_DONE ? Status::OK() : Error(rc, doing);
  }

  /// Runs an UPDATE of one node's row; kNotFound if the node has no row.
  Status UpdateNode(const std::string& node, const char* sql, const std::string& what,
                    const std::function<void(Statement&)>& bind) {
    if (Status s = Run(sql, "recording the " + what + " of node " + node, bind); !s.ok()) return s;
    if (sqlite3_changes(db_.get()) > 0) return Status::OK();
    return Status::NotFound(path_ + ": node " + node + " has no state yet; record its state " +
                            "before its " + what);
  }

  /// Sets the node's current state and appends it to its history; the caller
  /// holds a transaction so both or neither are written.
  Status SetState(const std::string& node, const std::string& state, double at,
                  const std::string& reason) {
    const std::string doing = "recording state " + state + " of node " + node;
    const auto bind = [&](Statement& st) { st.Bind(node).Bind(state).Bind(at).Bind(reason); };
    Status s = Run(
        "INSERT INTO nodes (node, state, state_at, reason) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (node) DO UPDATE SET state = excluded.state, state_at = excluded.state_at, "
        "reason = excluded.reason",
        doing, bind);
    if (!s.ok()) return s;
    return Run("INSERT INTO transitions (node, state, at, reason) VALUES (?, ?, ?, ?)", doing,
               bind);
  }

  /// The release row's primary key refuses a second release of a node.
  Status Release(const std::string& node, double at) {
    const std::string doing = "recording the release of node " + node;
    Result<Statement> insert = Prepare("INSERT INTO releases (node, at) VALUES (?, ?)", doing);
    if (!insert.ok()) return insert.status();
    insert->Bind(node).Bind(at);
    const int rc = insert->Step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return Status::InvalidArgument(path_ + ": node " + node +
                                     " was already released; not releasing it twice");
    }
    if (rc != SQLITE_DONE) return Error(rc, doing);
    return SetState(node, "released", at, "");
  }

  Status Up(const std::string& node, double at, const std::string& how) {
    if (Status s = SetState(node, "up", at, how); !s.ok()) return s;
    return Run("UPDATE nodes SET up_at = ?, up_how = ? WHERE node = ?",
               "recording node " + node + " up",
               [&](Statement& st) { st.Bind(at).Bind(how).Bind(node); });
  }

  /// Takes the digests if the store has no session or nothing recorded yet;
  /// refuses another deployment's records.
  Status BeginSession(const std::string& image, const std::string& inventory) {
    bool stored = false;
    std::string differences;
    Status s = ForEachRow("SELECT image_digest, inventory_digest FROM session",
                          "reading the session", nullptr, [&](const Statement& row) {
                            stored = true;
                            differences = Differences(row, image, inventory);
                          });
    if (!s.ok()) return s;
    if (stored && differences.empty()) return Status::OK();
    if (stored) {
      Result<bool> empty = IsEmpty();
      if (!empty.ok()) return empty.status();
      if (!*empty) {
        return Status::InvalidArgument(path_ + ": holds the state of another deployment (" +
                                       differences + "); restart with --fresh-state to delete " +
                                       "it and start afresh");
      }
    }
    return Run(
        "INSERT OR REPLACE INTO session (id, image_digest, inventory_digest) VALUES (1, ?, ?)",
        "recording the session", [&](Statement& st) { st.Bind(image).Bind(inventory); });
  }

  /// WAL lets readers in other processes see a consistent snapshot while the
  /// server writes; FULL syncs the WAL at every commit, so a recorded release
  /// survives a crash or power loss.
  Status SetPragmas() {
    Result<Statement> wal = Prepare("PRAGMA journal_mode=WAL", "choosing WAL mode");
    if (!wal.ok()) return wal.status();
    const int rc = wal->Step();
    if (rc != SQLITE_ROW) return Error(rc, "choosing WAL mode");
    if (wal->Text(0) != "wal") {
      return Status::IOError(path_ + ": SQLite cannot use WAL mode here (journal mode " +
                             wal->Text(0) + "); put the state file on a local filesystem");
    }
    return Exec("PRAGMA synchronous=FULL", "choosing synchronous writes");
  }

  /// An empty database gets the schema; anything else must be ours, same version.
  Status PrepareSchema() {
    return InTransaction("reading the schema", [this]() -> Status {
      Result<bool> versioned = HasTable("schema_version");
      if (!versioned.ok()) return versioned.status();
      if (*versioned) return CheckVersion();
      Result<bool> any = HasTable("%");
      if (!any.ok()) return any.status();
      if (*any) return NotOurs(path_, "a SQLite database of another program");
      return CreateSchema();
    });
  }

 private:
  // "" if the stored session has these digests, else what differs.
  static std::string Differences(const Statement& row, const std::string& image,
                                 const std::string& inventory) {
    std::string out;
    const auto add = [&out](const char* what, const std::string& was, const std::string& now) {
      if (was == now) return;
      if (!out.empty()) out += ", ";
      out += std::string(what) + " " + ShortDigest(was) + ", now " + ShortDigest(now);
    };
    add("image", row.Text(0), image);
    add("inventory", row.Text(1), inventory);
    return out;
  }

  // True if no node, release or hold is recorded.
  Result<bool> IsEmpty() {
    int64_t rows = 0;
    Status s = ForEachRow(
        "SELECT (SELECT count(*) FROM nodes) + (SELECT count(*) FROM releases) + "
        "(SELECT count(*) FROM holds)",
        "reading the session", nullptr, [&rows](const Statement& row) { rows = row.Int(0); });
    if (!s.ok()) return s;
    return rows == 0;
  }

  Result<bool> HasTable(const std::string& pattern) {
    Result<Statement> q =
        Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
                "reading the schema");
    if (!q.ok()) return q.status();
    q->Bind(pattern);
    const int rc = q->Step();
    if (rc != SQLITE_ROW) return Error(rc, "reading the schema");
    return q->Int(0) > 0;
  }

  Status CreateSchema() {
    if (Status s = Exec(kSchema, "creating the schema"); !s.ok()) return s;
    return Run("INSERT INTO schema_version (version) VALUES (?)", "creating the schema",
               [](Statement& st) { st.Bind(int64_t{kSchemaVersion}); });
  }

  /// The caller holds the transaction: a failed upgrade leaves the file as it was.
  Status CheckVersion() {
    int64_t version = 0;
    {
      Result<Statement> q = Prepare("SELECT version FROM schema_version", "reading the schema");
      if (!q.ok()) return q.status();
      const int rc = q->Step();
      if (rc == SQLITE_DONE) return NotOurs(path_, "no schema version");
      if (rc != SQLITE_ROW) return Error(rc, "reading the schema");
      version = q->Int(0);
    }  // the query is finalized before any migration changes the schema
    if (version == kSchemaVersion) return Status::OK();
    if (version > kSchemaVersion) {
      return Status::InvalidArgument(path_ + ": written by a newer fleetcast (state schema " +
                                     std::to_string(version) + ", this one reads up to " +
                                     std::to_string(kSchemaVersion) +
                                     "); serve with that version, or move it away to start afresh");
    }
    if (version < 1) return NotOurs(path_, "schema " + std::to_string(version));
    return Upgrade(version);
  }

  Status Upgrade(int64_t from) {
    const std::string doing = "upgrading the schema from version " + std::to_string(from) + " to " +
                              std::to_string(kSchemaVersion);
    for (const Migration& m : kMigrations) {
      if (m.to <= from) continue;
      if (Status s = Exec(m.sql, doing); !s.ok()) return s;
    }
    return Run("UPDATE schema_version SET version = ?", doing,
               [](Statement& st) { st.Bind(int64_t{kSchemaVersion}); });
  }

  DbHandle db_;
  std::string path_;
  std::mutex mu_;
};

StateStore::StateStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
StateStore::~StateStore() = default;

const std::string& StateStore::path() const { return db_->path(); }

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbHandle handle(raw);  // closed on every path, even when the open failed
  if (rc != SQLITE_OK) {
    const char* what = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status::IOError(path + ": " + what + " while opening; " + Advice(rc));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  auto db = std::make_unique<Database>(std::move(handle), path);
  if (Status s = db->SetPragmas(); !s.ok()) return s;
  if (Status s = db->PrepareSchema(); !s.ok()) return s;
  return std::unique_ptr<StateStore>(new StateStore(std::move(db)));
}

Status StateStore::Remove(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(file, errno);
  }
  return Status::OK();
}

Status StateStore::CanRecord(const std::string& id) const {
  if (!session_begun_) {
    return Status::InvalidArgument(path() + ": no deployment session; call BeginSession first");
  }
  if (id.empty()) return Status::InvalidArgument(path() + ": empty node or group name");
  return Status::OK();
}

Status StateStore::BeginSession(const std::string& image_digest,
                                const std::string& inventory_digest) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  Status s = db_->InTransaction(
      "beginning the session", [&]() { return db_->BeginSession(image_digest, inventory_digest); });
  session_begun_ = s.ok();
  return s;
}

Status StateStore::RecordState(const std::string& node, const std::string& state,
                               double at_unix_seconds, const std::string& reason) {
  if (state.empty() || state == "released" || state == "up") {
    return Status::InvalidArgument(path() + ": state '" + state + "' of node " + node +
                                   " cannot be set directly; use RecordRelease or RecordUp");
  }
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(node); !s.ok()) return s;
  return db_->InTransaction("recording state " + state + " of node " + node,
                            [&]() { return db_->SetState(node, state, at_unix_seconds, reason); });
}

Status StateStore::RecordDigest(const std::string& node, const std::string& digest_hex) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(node); !s.ok()) return s;
  return db_->UpdateNode(node, "UPDATE nodes SET digest = ? WHERE node = ?", "digest",
                         [&](Statement& st) { st.Bind(digest_hex).Bind(node); });
}

Status StateStore::RecordTimings(const std::string& node, const NodeTimings& timings) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(node); !s.ok()) return s;
  return db_->UpdateNode(node,
                         "UPDATE nodes SET bytes = ?, seconds = ?, loss = ?, chunks_reused = ?, "
                         "chunks_written = ? WHERE node = ?",
                         "timings", [&](Statement& st) {
                           st.Bind(static_cast<int64_t>(timings.bytes))
                               .Bind(timings.seconds)
                               .Bind(timings.loss)
                               .Bind(static_cast<int64_t>(timings.chunks_reused))
                               .Bind(static_cast<int64_t>(timings.chunks_written))
                               .Bind(node);
                         });
}

Status StateStore::RecordRelease(const std::string& node, double at_unix_seconds) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(node); !s.ok()) return s;
  return db_->InTransaction("recording the release of node " + node,
                            [&]() { return db_->Release(node, at_unix_seconds); });
}

Status StateStore::RecordUp(const std::string& node, double at_unix_seconds,
                            const std::string& how) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(node); !s.ok()) return s;
  return db_->InTransaction("recording node " + node + " up",
                            [&]() { return db_->Up(node, at_unix_seconds, how); });
}

Status StateStore::RecordHold(const std::string& group, bool held) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(group); !s.ok()) return s;
  const char* sql =
      held ? "INSERT OR IGNORE INTO holds (grp) VALUES (?)" : "DELETE FROM holds WHERE grp = ?";
  return db_->Run(sql, "recording the hold of group " + group,
                  [&](Statement& st) { st.Bind(group); });
}

Status StateStore::RecordTokenGeneration(const std::string& node, uint64_t generation) {
  const std::lock_guard<std::mutex> lock(db_->mu());
  if (Status s = CanRecord(node); !s.ok()) return s;
  return db_->Run("INSERT OR REPLACE INTO tokens (node, generation) VALUES (?, ?)",
                  "recording the token generation of node " + node,
                  [&](Statement& st) { st.Bind(node).Bind(static_cast<int64_t>(generation)); });
}

namespace {

StoredNode NodeFromRow(const Statement& row) {
  StoredNode n;
  n.node = row.Text(0);
  n.state = row.Text(1);
  n.state_at = row.Double(2);
  n.reason = row.Text(3);
  n.digest = row.Text(4);
  n.released_at = row.OptionalDouble(5);
  n.up_at = row.OptionalDouble(6);
  n.up_how = row.Text(7);
  if (!row.IsNull(8)) {
    // A NULL count (recorded before schema 3) reads 0.
    n.timings = NodeTimings{static_cast<uint64_t>(row.Int(8)), row.Double(9), row.Double(10),
                            static_cast<uint64_t>(row.Int(11)), static_cast<uint64_t>(row.Int(12))};
  }
  return n;
}

}  // namespace

Result<std::vector<StoredNode>> StateStore::LoadNodes() const {
  const std::lock_guard<std::mutex> lock(db_->mu());
  std::vector<StoredNode> nodes;
  // One statement reads one snapshot, so a node and its release agree.
  Status s = db_->ForEachRow(
      "SELECT n.node, n.state, n.state_at, n.reason, n.digest, r.at, n.up_at, n.up_how, "
      "n.bytes, n.seconds, n.loss, n.chunks_reused, n.chunks_written FROM nodes n "
      "LEFT JOIN releases r ON r.node = n.node "
      "ORDER BY n.node",
      "reading the nodes", nullptr,
      [&nodes](const Statement& row) { nodes.push_back(NodeFromRow(row)); });
  if (!s.ok()) return s;
  return nodes;
}

Result<std::vector<Transition>> StateStore::History(const std::string& node) const {
  const std::lock_guard<std::mutex> lock(db_->mu());
  std::vector<Transition> history;
  Status s = db_->ForEachRow(
      "SELECT state, at, reason FROM transitions WHERE node = ? ORDER BY seq",
      "reading the history of node " + node, [&](Statement& st) { st.Bind(node); },
      [&history](const Statement& row) {
        history.push_back({row.Text(0), row.Double(1), row.Text(2)});
      });
  if (!s.ok()) return s;
  return history;
}

Result<std::set<std::string>> StateStore::HeldGroups() const {
  const std::lock_guard<std::mutex> lock(db_->mu());
  std::set<std::string> groups;
  Status s = db_->ForEachRow("SELECT grp FROM holds", "reading the held groups", nullptr,
                             [&groups](const Statement& row) { groups.insert(row.Text(0)); });
  if (!s.ok()) return s;
  return groups;
}

Result<std::map<std::string, uint64_t>> StateStore::TokenGenerations() const {
  const std::lock_guard<std::mutex> lock(db_->mu());
  std::map<std::string, uint64_t> generations;
  Status s = db_->ForEachRow("SELECT node, generation FROM tokens", "reading the token generations",
                             nullptr, [&generations](const Statement& row) {
                               generations[row.Text(0)] = static_cast<uint64_t>(row.Int(1));
                             });
  if (!s.ok()) return s;
  return generations;
}

}  // namespace fleetcast
