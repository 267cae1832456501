#include "server/state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "tests/test_util.h"

namespace fleetcast {
namespace {

const std::string kImage = "0123456789ab" + std::string(52, 'c');
const std::string kInventory = "fedcba987654" + std::string(52, 'd');

class StateStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateStore> Open() {
    Result<std::unique_ptr<StateStore>> store = StateStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  /// Opens the store for this test's deployment.
  std::unique_ptr<StateStore> OpenSession() {
    std::unique_ptr<StateStore> store = Open();
    if (store == nullptr) return nullptr;
    const Status s = store->BeginSession(kImage, kInventory);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }

  /// The message Open fails with, or "opened" if it succeeds.
  std::string OpenError() {
    Result<std::unique_ptr<StateStore>> store = StateStore::Open(path_);
    return store.ok() ? "opened" : store.status().message();
  }

  /// The schema version the file says it has, read behind the store's back.
  int64_t RawVersion() {
    sqlite3* db = nullptr;
    int64_t version = -1;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &q, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      version = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return version;
  }

  /// Runs SQL on the file behind the store's back, as another program would.
  void ExecRaw(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  static StoredNode Node(const StateStore& store, const std::string& name) {
    Result<std::vector<StoredNode>> nodes = store.LoadNodes();
    EXPECT_TRUE(nodes.ok()) << nodes.status().ToString();
    if (nodes.ok()) {
      for (const StoredNode& n : *nodes) {
        if (n.node == name) return n;
      }
    }
    ADD_FAILURE() << "no node " << name;
    return {};
  }

  static std::vector<std::string> States(const StateStore& store, const std::string& node) {
    Result<std::vector<Transition>> history = store.History(node);
    EXPECT_TRUE(history.ok()) << history.status().ToString();
    std::vector<std::string> states;
    if (history.ok()) {
      for (const Transition& t : *history) states.push_back(t.state);
    }
    return states;
  }

  /// Records a small deployment: n1 released and up, n2 failed, group "db" held.
  static void RecordSample(StateStore& store) {
    ASSERT_TRUE(store.RecordState("n1", "waiting", 10).ok());
    ASSERT_TRUE(store.RecordState("n1", "receiving", 11).ok());
    ASSERT_TRUE(store.RecordDigest("n1", "beef").ok());
    ASSERT_TRUE(store.RecordTimings("n1", {1 << 20, 2.5, 0.01, 30, 6}).ok());
    ASSERT_TRUE(store.RecordRelease("n1", 12).ok());
    ASSERT_TRUE(store.RecordUp("n1", 13.5, "tcp:22").ok());
    ASSERT_TRUE(store.RecordState("n2", "waiting", 10).ok());
    ASSERT_TRUE(store.RecordState("n2", "failed", 14, "digest mismatch").ok());
    ASSERT_TRUE(store.RecordHold("db", true).ok());
    ASSERT_TRUE(store.RecordHold("web", true).ok());
    ASSERT_TRUE(store.RecordHold("web", false).ok());
  }

  testing::TempDir dir_;
  std::string path_ = dir_ / "nodes.state";
};

TEST_F(StateStoreTest, RoundTripsEveryRecordKind) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  ASSERT_NO_FATAL_FAILURE(RecordSample(*store));

  StoredNode n1 = Node(*store, "n1");
  EXPECT_EQ(n1.state, "up");
  EXPECT_EQ(n1.state_at, 13.5);
  EXPECT_EQ(n1.digest, "beef");
  EXPECT_EQ(n1.released_at, 12.0);
  EXPECT_EQ(n1.up_at, 13.5);
  EXPECT_EQ(n1.up_how, "tcp:22");
  EXPECT_EQ(n1.timings, (NodeTimings{1 << 20, 2.5, 0.01, 30, 6}));
  ASSERT_TRUE(n1.timings.has_value());
  EXPECT_EQ(n1.timings->chunks_reused, 30u);
  EXPECT_EQ(n1.timings->chunks_written, 6u);
  StoredNode n2 = Node(*store, "n2");
  EXPECT_EQ(n2.state, "failed");
  EXPECT_EQ(n2.reason, "digest mismatch");
  EXPECT_EQ(n2.digest, "");
  EXPECT_EQ(n2.released_at, std::nullopt);
  EXPECT_EQ(n2.up_at, std::nullopt);
  EXPECT_EQ(n2.timings, std::nullopt);

  EXPECT_EQ(States(*store, "n1"),
            (std::vector<std::string>{"waiting", "receiving", "released", "up"}));
  Result<std::vector<Transition>> n2_history = store->History("n2");
  ASSERT_TRUE(n2_history.ok());
  EXPECT_EQ(*n2_history,
            (std::vector<Transition>{{"waiting", 10, ""}, {"failed", 14, "digest mismatch"}}));
  EXPECT_TRUE(States(*store, "nobody").empty());
  Result<std::set<std::string>> held = store->HeldGroups();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, std::set<std::string>{"db"});
}

TEST_F(StateStoreTest, ReopenKeepsEverything) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  ASSERT_NO_FATAL_FAILURE(RecordSample(*store));
  Result<std::vector<StoredNode>> before = store->LoadNodes();
  ASSERT_TRUE(before.ok());
  store.reset();

  store = OpenSession();
  ASSERT_NE(store, nullptr);
  Result<std::vector<StoredNode>> after = store->LoadNodes();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  EXPECT_EQ(States(*store, "n1"),
            (std::vector<std::string>{"waiting", "receiving", "released", "up"}));
  EXPECT_EQ(store->HeldGroups().value(), std::set<std::string>{"db"});
}

TEST_F(StateStoreTest, SecondReleaseIsRefusedAndChangesNothing) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordState("n1", "waiting", 10).ok());
  ASSERT_TRUE(store->RecordRelease("n1", 12).ok());
  ASSERT_TRUE(store->RecordState("n1", "booting", 13).ok());

  const Status again = store->RecordRelease("n1", 20);
  EXPECT_EQ(again.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(again.message(), path_ + ": node n1 was already released; not releasing it twice");
  EXPECT_EQ(States(*store, "n1"), (std::vector<std::string>{"waiting", "released", "booting"}));
  EXPECT_EQ(Node(*store, "n1").released_at, 12.0);
  EXPECT_EQ(Node(*store, "n1").state, "booting");

  // The guarantee lives in the file, not in this process.
  store = OpenSession();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->RecordRelease("n1", 30).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(States(*store, "n1"), (std::vector<std::string>{"waiting", "released", "booting"}));
}

TEST_F(StateStoreTest, ReleasedAndUpAreOnlySetByTheirOwnRecords) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  const Status s = store->RecordState("n1", "released", 10);
  EXPECT_EQ(s.message(), path_ +
                             ": state 'released' of node n1 cannot be set directly; use "
                             "RecordRelease or RecordUp");
  EXPECT_FALSE(store->RecordState("n1", "up", 10).ok());
  EXPECT_FALSE(store->RecordState("n1", "", 10).ok());
  EXPECT_TRUE(store->LoadNodes().value().empty());
}

TEST_F(StateStoreTest, DigestAndTimingsNeedAState) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  const Status s = store->RecordDigest("n9", "beef");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), path_ + ": node n9 has no state yet; record its state before its digest");
  EXPECT_EQ(store->RecordTimings("n9", {}).code(), Status::Code::kNotFound);
}

TEST_F(StateStoreTest, RecordsNeedASession) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  const Status s = store->RecordState("n1", "waiting", 1);
  EXPECT_EQ(s.message(), path_ + ": no deployment session; call BeginSession first");
  EXPECT_FALSE(store->RecordRelease("n1", 1).ok());
  EXPECT_FALSE(store->RecordHold("db", true).ok());
  ASSERT_TRUE(store->BeginSession(kImage, kInventory).ok());
  EXPECT_TRUE(store->RecordState("n1", "waiting", 1).ok());
  EXPECT_FALSE(store->RecordState("", "waiting", 1).ok());
}

TEST_F(StateStoreTest, AnotherImageIsRefused) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordState("n1", "waiting", 1).ok());
  store = Open();
  ASSERT_NE(store, nullptr);

  const Status s = store->BeginSession("aaaaaaaaaaaaaaaa", kInventory);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), path_ +
                             ": holds the state of another deployment (image 0123456789ab, "
                             "now aaaaaaaaaaaa); restart with --fresh-state to delete it and "
                             "start afresh");
  EXPECT_FALSE(store->RecordState("n1", "failed", 2).ok());
  EXPECT_EQ(store->BeginSession(kImage, "bbbb").message(),
            path_ +
                ": holds the state of another deployment (inventory fedcba987654, now bbbb); "
                "restart with --fresh-state to delete it and start afresh");
  EXPECT_TRUE(store->BeginSession(kImage, kInventory).ok());
  EXPECT_EQ(States(*store, "n1"), std::vector<std::string>{"waiting"});
}

TEST_F(StateStoreTest, EmptyStoreTakesAnyDeployment) {
  ASSERT_NE(OpenSession(), nullptr);
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->BeginSession("aaaa", "bbbb").ok());
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->BeginSession("aaaa", "bbbb").ok());
}

TEST_F(StateStoreTest, NonDatabaseFileIsRefusedAndLeftAlone) {
  const std::string text(4096, 'x');
  const Bytes bytes(text.begin(), text.end());
  testing::WriteFileBytes(path_, bytes);
  EXPECT_EQ(OpenError(), path_ +
                             ": not a fleetcast state file (not a SQLite database); move it away "
                             "to start afresh");
  EXPECT_EQ(testing::ReadFileBytes(path_), bytes);
  EXPECT_EQ(testing::ListDir(dir_.path()), std::vector<std::string>{"nodes.state"});
}

TEST_F(StateStoreTest, AnotherProgramsDatabaseIsRefused) {
  ASSERT_NO_FATAL_FAILURE(ExecRaw("CREATE TABLE photos (id INTEGER PRIMARY KEY)"));
  EXPECT_EQ(OpenError(), path_ +
                             ": not a fleetcast state file (a SQLite database of another "
                             "program); move it away to start afresh");
}

TEST_F(StateStoreTest, NewerSchemaVersionIsRefused) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_NO_FATAL_FAILURE(ExecRaw("UPDATE schema_version SET version = 4"));
  EXPECT_EQ(OpenError(), path_ +
                             ": written by a newer fleetcast (state schema 4, this one reads up "
                             "to 3); serve with that version, or move it away to start afresh");
  EXPECT_EQ(RawVersion(), 4);
}

TEST_F(StateStoreTest, SchemaVersionZeroIsNotOurs) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_NO_FATAL_FAILURE(ExecRaw("UPDATE schema_version SET version = 0"));
  EXPECT_EQ(OpenError(),
            path_ + ": not a fleetcast state file (schema 0); move it away to start afresh");
}

// The schema as fleetcast wrote it at version 1; version 2 added the tokens.
constexpr const char* kSchemaVersion1 = R"sql(
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
  up_at REAL,
  up_how TEXT NOT NULL DEFAULT '');
CREATE TABLE transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  node TEXT NOT NULL,
  state TEXT NOT NULL,
  at REAL NOT NULL,
  reason TEXT NOT NULL);
CREATE INDEX transitions_by_node ON transitions (node, seq);
CREATE TABLE releases (node TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE holds (grp TEXT PRIMARY KEY);
INSERT INTO schema_version (version) VALUES (1);
)sql";
constexpr const char* kVersion2Tokens =
    "CREATE TABLE tokens (node TEXT PRIMARY KEY, generation INTEGER NOT NULL);"
    "UPDATE schema_version SET version = 2;";
// A deployment in progress as an older server left it: n1 verified (its
// timings recorded) and released, n2 receiving.
constexpr const char* kOldDeployment = R"sql(
INSERT INTO session VALUES (1,
  '0123456789abcccccccccccccccccccccccccccccccccccccccccccccccccccc',
  'fedcba987654dddddddddddddddddddddddddddddddddddddddddddddddddddd');
INSERT INTO nodes (node, state, state_at, digest, bytes, seconds, loss)
  VALUES ('n1', 'released', 12, 'beef', 1048576, 2.5, 0.01);
INSERT INTO nodes (node, state, state_at) VALUES ('n2', 'receiving', 11);
INSERT INTO transitions (node, state, at, reason) VALUES ('n1', 'verified', 11, ''),
  ('n1', 'released', 12, ''), ('n2', 'receiving', 11, '');
INSERT INTO releases VALUES ('n1', 12);
INSERT INTO holds VALUES ('db');
)sql";

TEST_F(StateStoreTest, Version2FileIsUpgradedInPlace) {
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kSchemaVersion1));
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kVersion2Tokens));
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kOldDeployment));
  ASSERT_NO_FATAL_FAILURE(ExecRaw("INSERT INTO tokens VALUES ('n2', 3)"));

  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawVersion(), 3);
  // What was recorded is still there; n1's counts were not kept, and read 0.
  StoredNode n1 = Node(*store, "n1");
  EXPECT_EQ(n1.state, "released");
  EXPECT_EQ(n1.released_at, 12.0);
  EXPECT_EQ(n1.digest, "beef");
  EXPECT_EQ(n1.timings, (NodeTimings{1 << 20, 2.5, 0.01, 0, 0}));
  EXPECT_EQ(Node(*store, "n2").timings, std::nullopt);
  EXPECT_EQ(States(*store, "n1"), (std::vector<std::string>{"verified", "released"}));
  EXPECT_EQ(store->HeldGroups().value(), std::set<std::string>{"db"});
  EXPECT_EQ(store->TokenGenerations().value(), (std::map<std::string, uint64_t>{{"n2", 3}}));
  EXPECT_EQ(store->RecordRelease("n1", 20).code(), Status::Code::kInvalidArgument);

  // The deployment goes on: n2's counts are kept, and survive a reopen.
  ASSERT_TRUE(store->RecordTimings("n2", {1 << 20, 3.0, 0, 40, 8}).ok());
  store = OpenSession();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Node(*store, "n2").timings, (NodeTimings{1 << 20, 3.0, 0, 40, 8}));
  EXPECT_EQ(RawVersion(), 3);
}

TEST_F(StateStoreTest, Version1FileIsUpgradedThroughEveryStep) {
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kSchemaVersion1));
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kOldDeployment));
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawVersion(), 3);
  EXPECT_EQ(Node(*store, "n1").timings, (NodeTimings{1 << 20, 2.5, 0.01, 0, 0}));
  EXPECT_TRUE(store->TokenGenerations().value().empty());
  ASSERT_TRUE(store->RecordTokenGeneration("n1", 1).ok());
  ASSERT_TRUE(store->RecordTimings("n1", {1, 1, 0, 2, 3}).ok());
  EXPECT_EQ(Node(*store, "n1").timings, (NodeTimings{1, 1, 0, 2, 3}));
}

TEST_F(StateStoreTest, FailedUpgradeLeavesTheFileAsItWas) {
  // A version-2 file that already has a column the upgrade adds: the
  // migration fails halfway, and must roll back what it did before.
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kSchemaVersion1));
  ASSERT_NO_FATAL_FAILURE(ExecRaw(kVersion2Tokens));
  ASSERT_NO_FATAL_FAILURE(ExecRaw("ALTER TABLE nodes ADD COLUMN chunks_written INTEGER"));
  const Result<std::unique_ptr<StateStore>> store = StateStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kIOError);
  EXPECT_EQ(store.status().message(),
            path_ +
                ": duplicate column name: chunks_written while upgrading the schema from "
                "version 2 to 3; check the disk holding it");
  EXPECT_EQ(RawVersion(), 2);
  // chunks_reused, added just before, is gone again.
  ASSERT_NO_FATAL_FAILURE(ExecRaw("ALTER TABLE nodes ADD COLUMN chunks_reused INTEGER"));
}

// Only the counter is stored: the token itself derives from the key file.
TEST_F(StateStoreTest, TokenGenerationsSurviveAReopen) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordTokenGeneration("n1", 1).ok());
  ASSERT_TRUE(store->RecordTokenGeneration("n1", 2).ok());
  ASSERT_TRUE(store->RecordTokenGeneration("n2", 7).ok());
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  const Result<std::map<std::string, uint64_t>> generations = store->TokenGenerations();
  ASSERT_TRUE(generations.ok());
  EXPECT_EQ(*generations, (std::map<std::string, uint64_t>{{"n1", 2}, {"n2", 7}}));
}

TEST_F(StateStoreTest, MissingFolderIsAnIOError) {
  const Result<std::unique_ptr<StateStore>> store = StateStore::Open(dir_ / "no/such/nodes.state");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kIOError);
  EXPECT_EQ(store.status().message(), dir_ / "no/such/nodes.state" +
                                          ": unable to open database file while opening; check "
                                          "that its folder exists and is writable");
}

TEST_F(StateStoreTest, RemoveDeletesTheFileAndItsCompanions) {
  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RecordState("n1", "waiting", 1).ok());
  store.reset();
  testing::WriteFileBytes(path_ + "-wal", Bytes{1});
  ASSERT_TRUE(StateStore::Remove(path_).ok());
  EXPECT_TRUE(testing::ListDir(dir_.path()).empty());
  EXPECT_TRUE(StateStore::Remove(path_).ok());
  store = OpenSession();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->LoadNodes().value().empty());
}

// --- Other processes. The children fork before any store is open in this
// process: SQLite's POSIX locks must not be shared across a fork.

/// Waits for a child; its exit code, or 128 + the signal that killed it.
int WaitChild(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

TEST_F(StateStoreTest, ReleaseSurvivesTheWriterBeingKilled) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    Result<std::unique_ptr<StateStore>> store = StateStore::Open(path_);
    const bool ok = store.ok() && (*store)->BeginSession(kImage, kInventory).ok() &&
                    (*store)->RecordState("n1", "waiting", 10).ok() &&
                    (*store)->RecordRelease("n1", 12).ok();
    const char answer = ok ? 'y' : 'n';
    (void)!::write(ready[1], &answer, 1);
    ::pause();  // killed here, the store still open
    ::_exit(0);
  }
  ::close(ready[1]);
  char answer = 0;
  const ssize_t got = ::read(ready[0], &answer, 1);
  ::close(ready[0]);
  ::kill(pid, SIGKILL);
  EXPECT_EQ(WaitChild(pid), 128 + SIGKILL);
  ASSERT_EQ(got, 1);
  ASSERT_EQ(answer, 'y');
  // Never checkpointed: the release is only in the WAL, which Open replays.
  EXPECT_TRUE(testing::FileExists(path_ + "-wal"));

  std::unique_ptr<StateStore> store = OpenSession();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Node(*store, "n1").state, "released");
  EXPECT_EQ(Node(*store, "n1").released_at, 12.0);
  EXPECT_FALSE(store->RecordRelease("n1", 20).ok());
}

/// In a reader process: 0 once every node is seen released with every
/// snapshot consistent, 1 on an inconsistent snapshot, 2 on an error, 3 on timeout.
int ReadUntilReleased(const std::string& path, size_t nodes) {
  Result<std::unique_ptr<StateStore>> store = StateStore::Open(path);
  if (!store.ok()) return 2;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    Result<std::vector<StoredNode>> loaded = (*store)->LoadNodes();
    if (!loaded.ok()) return 2;
    size_t released = 0;
    for (const StoredNode& n : *loaded) {
      // One transaction writes both: a snapshot never has one without the other.
      if ((n.state == "released") != n.released_at.has_value()) return 1;
      released += n.released_at.has_value() ? 1 : 0;
    }
    if (released < seen) return 1;
    seen = released;
    if (seen == nodes) return 0;
  }
  return 3;
}

TEST_F(StateStoreTest, AnotherProcessReadsConsistentStateWhileTheServerWrites) {
  constexpr size_t kNodes = 40;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(go[1]);
    char c = 0;
    if (::read(go[0], &c, 1) != 1) ::_exit(2);
    ::_exit(ReadUntilReleased(path_, kNodes));
  }
  ::close(go[0]);
  std::unique_ptr<StateStore> store = OpenSession();
  const char c = 'g';
  EXPECT_EQ(::write(go[1], &c, 1), 1);
  ::close(go[1]);
  for (size_t i = 0; i < kNodes && store != nullptr; ++i) {
    const std::string node = "n" + std::to_string(i);
    EXPECT_TRUE(store->RecordState(node, "waiting", static_cast<double>(i)).ok());
    EXPECT_TRUE(store->RecordRelease(node, static_cast<double>(i) + 0.5).ok());
  }
  EXPECT_EQ(WaitChild(pid), 0);
}

}  // namespace
}  // namespace fleetcast
