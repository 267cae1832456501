// The orchestrator in one process: a Deployment fed the events its control
// sessions would give it, and a real state store in a temporary folder. What
// a node's client said in `done` (chunks reused and written) shows in the
// status API and in the report, and still does after a restart.
#include "server/orchestrator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <vector>

#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

constexpr uint32_t kChunk = 64 * 1024;
constexpr uint32_t kChunks = 8;

class OrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Bytes raw(size_t{kChunks} * kChunk);
    for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i * 7 + i / 4096);
    (void)testing::BuildImage(raw, kChunk, "", &manifest_);
    std::ofstream(dir_ / "nodes.toml")
        << "[defaults]\nprefix = 24\nflavour = \"cloud-init\"\n\n"
           "[[nodes]]\nhostname = \"n1\"\nmac = \"52:54:00:45:00:01\"\nip = \"10.79.0.11\"\n\n"
           "[[nodes]]\nhostname = \"n2\"\nmac = \"52:54:00:45:00:02\"\nip = \"10.79.0.12\"\n";
    Result<LoadedInventory> loaded = LoadInventory(dir_ / "nodes.toml", "");
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    inventory_ = std::make_unique<LoadedInventory>(std::move(loaded).value());
  }

  /// A serve starting on the state file: a new deployment nobody joined yet.
  void StartServer() {
    orchestrator_.reset();
    deployment_ = std::make_unique<Deployment>(manifest_, 1024, 32);
    OrchestratorOptions o;
    o.state_path = dir_ / "nodes.state";
    o.image_digest = manifest_.image_digest.ToHex();
    o.inventory_digest = "inventory";
    o.image_bytes = manifest_.table.raw_size();
    o.stored_chunks = manifest_.table.stored_count();
    Result<std::unique_ptr<Orchestrator>> created =
        Orchestrator::Create(inventory_.get(), deployment_.get(), o);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    orchestrator_ = std::move(created).value();
  }

  void Join(const std::string& node) {
    deployment_->Join(node, [this](const control::Message& m) { sent_.push_back(m); });
  }

  /// The entry of `nodes` (an array) whose hostname is `name`.
  static nlohmann::json NodeIn(const nlohmann::json& nodes, const std::string& name) {
    for (const nlohmann::json& n : nodes) {
      if (n["hostname"] == name) return n;
    }
    ADD_FAILURE() << "no node " << name << " in " << nodes.dump();
    return {};
  }
  nlohmann::json StatusOf(const std::string& name) const {
    return NodeIn(orchestrator_->Snapshot()["nodes"], name);
  }
  nlohmann::json ReportOf(const std::string& name) const {
    return NodeIn(orchestrator_->ReportJson()["nodes"], name);
  }

  testing::TempDir dir_;
  image::Manifest manifest_;
  std::unique_ptr<LoadedInventory> inventory_;
  std::unique_ptr<Deployment> deployment_;
  std::unique_ptr<Orchestrator> orchestrator_;
  std::vector<control::Message> sent_;
};

TEST_F(OrchestratorTest, CountsAreNullUntilTheClientIsDone) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Join("n1");
  orchestrator_->Tick();
  const nlohmann::json n1 = StatusOf("n1");
  EXPECT_EQ(n1["state"], "receiving");
  EXPECT_TRUE(n1["chunks_reused"].is_null()) << n1.dump();
  EXPECT_TRUE(n1["chunks_written"].is_null()) << n1.dump();
  EXPECT_TRUE(StatusOf("n2")["chunks_reused"].is_null());
}

TEST_F(OrchestratorTest, DoneCountsShowInTheStatusAndTheReport) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Join("n1");
  Join("n2");
  orchestrator_->Tick();
  ASSERT_TRUE(deployment_->OnDone("n1", {manifest_.image_digest.ToHex(), 5, 3}));
  orchestrator_->Tick();
  const nlohmann::json status = StatusOf("n1");
  EXPECT_EQ(status["chunks_reused"], 5);
  EXPECT_EQ(status["chunks_written"], 3);
  EXPECT_TRUE(StatusOf("n2")["chunks_written"].is_null());
  const nlohmann::json report = ReportOf("n1");
  EXPECT_EQ(report["chunks_reused"], 5);
  EXPECT_EQ(report["chunks_written"], 3);
  // The text report's reused and written columns.
  const std::string text = orchestrator_->ReportText();
  const size_t line = text.find("\nn1 ");
  ASSERT_NE(line, std::string::npos) << text;
  EXPECT_NE(text.substr(line, text.find('\n', line + 1) - line).find("       5        3 "),
            std::string::npos)
      << text;
}

TEST_F(OrchestratorTest, RestartedServerStillReportsWhatTheClientSaid) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Join("n1");
  Join("n2");
  orchestrator_->Tick();
  ASSERT_TRUE(deployment_->OnDone("n1", {manifest_.image_digest.ToHex(), 5, 3}));
  orchestrator_->Tick();
  const nlohmann::json before = ReportOf("n1");
  ASSERT_EQ(before["digest"], manifest_.image_digest.ToHex());

  // n1's client is gone (released, rebooting): only the store knows its counts.
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const nlohmann::json after = ReportOf("n1");
  EXPECT_EQ(after["state"], before["state"]);
  EXPECT_EQ(after["digest"], before["digest"]);
  EXPECT_EQ(after["chunks_reused"], 5);
  EXPECT_EQ(after["chunks_written"], 3);
  EXPECT_NEAR(after["seconds"].get<double>(), before["seconds"].get<double>(), 1e-3);
  EXPECT_EQ(after["loss"], before["loss"]);
  const nlohmann::json status = StatusOf("n1");
  EXPECT_EQ(status["chunks_reused"], 5);
  EXPECT_EQ(status["chunks_written"], 3);
  // n2 was never done: nothing to restore.
  EXPECT_EQ(ReportOf("n2")["chunks_written"], 0);
  EXPECT_TRUE(StatusOf("n2")["chunks_written"].is_null());
}

}  // namespace
}  // namespace fleetcast
