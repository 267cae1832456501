// Runs `fleetcast-server probe` and `serve --nodes` on inventories: the
// documented example passes and renders every answer file; mistakes come
// out one line each and stop the server before it serves; secrets stay out
// of every line printed and out of files others can read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

namespace fs = std::filesystem;
using testing::ProgramResult;

constexpr const char* kAdminPassword = "Adm1n-S3cret";
constexpr const char* kJoinPassword = "J01n-S3cret";

class ProbeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy_file(FLEETCAST_SOURCE_DIR "/docs/nodes.example.toml", nodes_);
    fs::create_directories(dir_ / "drivers");
    fs::copy(FLEETCAST_SOURCE_DIR "/tests/data/drivers", dir_ / "drivers/storage",
             fs::copy_options::recursive);
    WriteSecrets(0600);
  }

  void WriteSecrets(mode_t mode) {
    std::ofstream(secrets_) << "admin = \"" << kAdminPassword << "\"\njoin = \"" << kJoinPassword
                            << "\"\n";
    ::chmod(secrets_.c_str(), mode);
  }

  static ProgramResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), FLEETCAST_SERVER_BIN);
    return testing::RunProgram(args);
  }

  static void ExpectNoSecret(const ProgramResult& r) {
    for (const char* secret : {kAdminPassword, kJoinPassword}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos);
      EXPECT_EQ(r.err.find(secret), std::string::npos);
    }
  }

  testing::TempDir dir_;
  std::string nodes_ = dir_ / "nodes.toml";
  std::string secrets_ = dir_ / "secrets.toml";
};

TEST_F(ProbeCliTest, ExamplePassesAndRendersEveryAnswerFile) {
  const ProgramResult r = Server({"probe", "--nodes", nodes_, "--secrets", secrets_,
                                  "--answers-out", dir_ / "out", "--callback-host", "10.20.0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectNoSecret(r);
  EXPECT_NE(r.out.find("SQL01  52:54:00:20:00:11  10.20.0.11/24  sysprep-inf  sql#1: sysprep.inf"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("probe: 4 nodes, 2 groups: all well; 17 answer files rendered into " +
                       dir_ / "out" + "; no disk was touched\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(testing::ListDir(dir_ / "out"),
            (std::vector<std::string>{"SQL01", "SQL02", "WEB01", "bench01"}));
  EXPECT_EQ(testing::ListDir(dir_ / "out/bench01/nocloud"),
            (std::vector<std::string>{"meta-data", "network-config", "user-data"}));
  EXPECT_TRUE(testing::FileExists(dir_ / "out/SQL01/drivers/lsi/symmpi.inf"));
  // Answer files carry the passwords, so only their owner may read them.
  const Bytes inf = testing::ReadFileBytes(dir_ / "out/SQL01/sysprep.inf");
  EXPECT_NE(std::string(inf.begin(), inf.end())
                .find(std::string("DomainAdminPassword=\"") + kJoinPassword + "\""),
            std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "out/SQL01/sysprep.inf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const Bytes user_data = testing::ReadFileBytes(dir_ / "out/bench01/nocloud/user-data");
  EXPECT_NE(std::string(user_data.begin(), user_data.end())
                .find("http://10.20.0.1:8080/api/nodes/52:54:00:20:00:31/up"),
            std::string::npos);
}

TEST_F(ProbeCliTest, SecretsFileOthersCanReadIsRefused) {
  WriteSecrets(0644);
  const ProgramResult r = Server({"probe", "--nodes", nodes_, "--secrets", secrets_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fleetcast-server: error: " + secrets_ +
                       ": mode 0644 lets others read the passwords; chmod 600 " + secrets_ + "\n");
}

TEST_F(ProbeCliTest, EveryProblemIsOneLineAndNothingRuns) {
  std::ofstream(nodes_, std::ios::app) << R"(
[[nodes]]
hostname = "SQL01"
mac = "52:54:00:20:00:99"
ip = "10.20.1.40"
group = "sql"
boot_order = 1
drivers = "drivers/missing"
)";
  const ProgramResult r = Server({"probe", "--nodes", nodes_, "--secrets", secrets_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  ExpectNoSecret(r);
  const std::string n = nodes_;
  EXPECT_EQ(r.err,
            n +
                ":20: group sql: boot_order: 2 nodes have boot_order 1 (SQL01, SQL01); exactly "
                "one boots first, alone\n" +
                n +
                ":68: node SQL01: ip: 10.20.1.40/24 is outside the gateway 10.20.0.1's "
                "network; fix the address, its prefix or the gateway\n" +
                n + ":68: node SQL01: drivers: 'drivers/missing' does not exist (" +
                (dir_ / "drivers/missing") + ")\n" + n +
                ":68: node SQL01: hostname: 'SQL01' is also node SQL01's (line 32)\n"
                "fleetcast-server: error: " +
                n + ": 4 problems (above); fix nodes.toml and probe again; no disk was touched\n");
}

TEST_F(ProbeCliTest, AnInfTheClientCouldNotReadIsAProblem) {
  std::ofstream(dir_ / "drivers/storage/lsi/broken.inf") << "[Version\r\nClass=SCSIAdapter\r\n";
  const ProgramResult r = Server({"probe", "--nodes", nodes_, "--secrets", secrets_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(":32: node SQL01: drivers: 'drivers/storage/lsi/broken.inf': line 1: "
                       "section header '[Version' has no closing ']'; add the ']'\n"),
            std::string::npos)
      << r.err;
}

TEST_F(ProbeCliTest, MissingSecretNamesTheVariable) {
  const ProgramResult r = Server({"probe", "--nodes", nodes_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(":32: node SQL01: admin_password_secret: secret 'admin' is not set; export "
                       "FLEETCAST_SECRET_ADMIN or add admin = \"...\" to the --secrets file\n"),
            std::string::npos)
      << r.err;
}

TEST_F(ProbeCliTest, ServeRefusesToStartOnAProblem) {
  const Bytes raw = testing::SampleDisk(8 * 65536, 65536);
  testing::WriteFileBytes(dir_ / "disk.raw", raw);
  ASSERT_EQ(
      Server({"pack", dir_ / "disk.raw", dir_ / "disk.fcimg", "--chunk-size", "64K"}).exit_code, 0);
  const ProgramResult r = Server(
      {"serve", dir_ / "disk.fcimg", "--interface", "lo", "--port", "7391", "--nodes", nodes_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(
      r.err.find("fleetcast-server: error: " + nodes_ +
                 ": 11 problems (above); fix nodes.toml and probe again; no disk was touched\n"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("serving"), std::string::npos) << r.err;
}

TEST_F(ProbeCliTest, ImageWithoutTheFlavoursFilesystemIsAProblem) {
  // A disk with an ext4 partition only: the example's Windows nodes have
  // nowhere to land, its cloud-init node does.
  ASSERT_EQ(testing::RunProgram({"truncate", "-s", "16M", dir_ / "linux.raw"}).exit_code, 0);
  ASSERT_EQ(testing::RunProgram({"sh", "-c",
                                 "printf 'label: dos\\nstart=2048, type=83\\n' | "
                                 "/usr/sbin/sfdisk -q " +
                                     dir_ / "linux.raw"})
                .exit_code,
            0);
  ASSERT_EQ(testing::RunProgram({"/usr/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-E",
                                 "offset=1048576", dir_ / "linux.raw", "15M"})
                .exit_code,
            0);
  ASSERT_EQ(Server({"pack", dir_ / "linux.raw", dir_ / "linux.fcimg"}).exit_code, 0);
  const ProgramResult r =
      Server({"probe", "--nodes", nodes_, "--secrets", secrets_, "--image", dir_ / "linux.fcimg"});
  EXPECT_EQ(r.exit_code, 1);
  const std::string tail = ", but " + dir_ / "linux.fcimg" +
                           " holds ext2/3/4; give this node an image of its own system\n";
  EXPECT_EQ(r.err, nodes_ + ":32: node SQL01: flavour: sysprep-inf writes into NTFS" + tail +
                       nodes_ + ":41: node SQL02: flavour: sysprep-inf writes into NTFS" + tail +
                       nodes_ + ":49: node WEB01: flavour: unattend-xml writes into NTFS" + tail +
                       "fleetcast-server: error: " + nodes_ +
                       ": 3 problems (above); fix nodes.toml and probe again; no disk was "
                       "touched\n");
}

}  // namespace
}  // namespace fleetcast
