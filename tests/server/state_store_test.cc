#include "server/state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
    ASSERT_TRUE(store.RecordTimings("n1", {1 << 20, 2.5, 0.01}).ok());
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
  EXPECT_EQ(n1.timings, (NodeTimings{1 << 20, 2.5, 0.01}));
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

TEST_F(StateStoreTest, AnotherSchemaVersionIsRefused) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_NO_FATAL_FAILURE(ExecRaw("UPDATE schema_version SET version = 3"));
  EXPECT_EQ(OpenError(), path_ +
                             ": not a fleetcast state file (schema 3, expected 2); move it away "
                             "to start afresh");
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
