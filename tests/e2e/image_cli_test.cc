// Runs the real fleetcast-server binary on files: the round trip through
// pack, info, verify and unpack, and one test per kind of bad input, each
// asserting the exact error line and exit code.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/image_format.h"
#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

using testing::ProgramResult;

constexpr uint32_t kChunk = 64 * 1024;

class ImageCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(24 * kChunk, kChunk);
    src_ = dir_ / "disk.raw";
    img_ = dir_ / "disk.fcimg";
    testing::WriteFileBytes(src_, raw_);
  }

  static ProgramResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), FLEETCAST_SERVER_BIN);
    return testing::RunProgram(args);
  }
  void PackOk() {
    ProgramResult r = Server({"pack", src_, img_, "--chunk-size", "64K", "--label", "cli"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Asserts a failure with exactly one line on stderr.
  static void ExpectError(const ProgramResult& r, const std::string& line, int code = 1) {
    EXPECT_EQ(r.exit_code, code);
    EXPECT_EQ(r.err, "fleetcast-server: error: " + line + "\n");
  }
  void FlipByte(uint64_t offset) {
    Bytes b = testing::ReadFileBytes(img_);
    b[offset] ^= 0x10;
    testing::WriteFileBytes(img_, b);
  }
  image::FileHeader Header() {
    return image::FileHeader::DecodeFrom(testing::ReadFileBytes(img_)).value();
  }

  testing::TempDir dir_;
  Bytes raw_;
  std::string src_, img_;
};

TEST_F(ImageCliTest, PackInfoVerifyUnpackRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(PackOk());
  ProgramResult info = Server({"info", img_});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("label        cli\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("chunks       24: 16 stored, 8 zero\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("raw size     1.5 MiB (1572864 bytes)\n"), std::string::npos);

  ProgramResult json = Server({"info", img_, "--json"});
  ASSERT_EQ(json.exit_code, 0);
  const nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["raw_size"], raw_.size());
  EXPECT_EQ(j["stored_chunks"], 16);
  EXPECT_EQ(j["zero_chunks"], 8);
  Bytes list;
  for (size_t off = 0; off < raw_.size(); off += kChunk) {
    PutDigest128(&list, Xxh3_128(ByteView(raw_).subspan(off, kChunk)));
  }
  EXPECT_EQ(j["image_digest"], "xxh3-128:" + Xxh3_128(list).ToHex());

  ProgramResult verify = Server({"verify", img_});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out.rfind(img_ + ": OK: 24 chunks (16 stored, 8 zero)", 0), 0u);

  ProgramResult unpack = Server({"unpack", img_, dir_ / "back.raw"});
  ASSERT_EQ(unpack.exit_code, 0) << unpack.err;
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "back.raw"), raw_);
}

TEST_F(ImageCliTest, PackIsDeterministic) {
  ASSERT_NO_FATAL_FAILURE(PackOk());
  ProgramResult again = Server(
      {"pack", src_, dir_ / "b.fcimg", "--chunk-size", "64K", "--label", "cli", "--threads", "1"});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "b.fcimg"), testing::ReadFileBytes(img_));
}

TEST_F(ImageCliTest, ProgressLineShowsBytesRateRatioAndEta) {
  ::setenv("FLEETCAST_PROGRESS", "always", 1);
  ProgramResult r = Server({"pack", src_, img_, "--chunk-size", "64K"});
  ::unsetenv("FLEETCAST_PROGRESS");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The final redraw: all bytes done, then the line ends.
  const std::string last = r.err.substr(r.err.rfind('\r') + 1);
  EXPECT_EQ(last.rfind("\033[Kpack    1.5 MiB/1.5 MiB  100%  ", 0), 0u) << last;
  EXPECT_NE(last.find(" MB/s  ratio "), std::string::npos) << last;
  EXPECT_NE(last.find("  ETA 0:00\n"), std::string::npos) << last;
}

TEST_F(ImageCliTest, UnpackedImageIsSparseWhereChunksAreZero) {
  raw_.assign(64 * kChunk, 0);
  raw_[5] = 1;
  testing::WriteFileBytes(src_, raw_);
  ASSERT_NO_FATAL_FAILURE(PackOk());
  ASSERT_EQ(Server({"unpack", img_, dir_ / "back.raw"}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "back.raw").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), raw_.size());
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, raw_.size() / 4);
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "back.raw"), raw_);
}

TEST_F(ImageCliTest, MissingSourceFile) {
  ExpectError(Server({"pack", dir_ / "nope.raw", img_}),
              dir_ / "nope.raw" + ": No such file or directory; check the path");
}

TEST_F(ImageCliTest, MissingImageFile) {
  ExpectError(Server({"info", dir_ / "nope.fcimg"}),
              dir_ / "nope.fcimg" + ": No such file or directory; check the path");
}

TEST_F(ImageCliTest, NotAnImage) {
  ExpectError(Server({"verify", src_}), src_ + ": not an .fcimg image (bad magic)");
}

TEST_F(ImageCliTest, EmptyFileIsTruncated) {
  testing::WriteFileBytes(img_, {});
  ExpectError(Server({"info", img_}), img_ + ": truncated: 0 bytes, but an .fcimg header is 64");
}

TEST_F(ImageCliTest, UnsupportedVersion) {
  ASSERT_NO_FATAL_FAILURE(PackOk());
  FlipByte(9);  // version 2 -> 0x1002
  ExpectError(Server({"info", img_}),
              img_ +
                  ": unsupported .fcimg version 4098 (this fleetcast reads versions 1 to 2); use "
                  "a matching fleetcast");
}

TEST_F(ImageCliTest, TruncatedFile) {
  ASSERT_NO_FATAL_FAILURE(PackOk());
  Bytes b = testing::ReadFileBytes(img_);
  const size_t full = b.size();
  b.resize(full / 2);
  testing::WriteFileBytes(img_, b);
  ExpectError(Server({"verify", img_}),
              img_ + ": truncated: the file is " + std::to_string(full / 2) +
                  " bytes, but its manifest ends at byte " + std::to_string(full));
}

TEST_F(ImageCliTest, FlippedChunkByteNamesTheChunk) {
  ASSERT_NO_FATAL_FAILURE(PackOk());
  const image::Manifest m = image::DecodeImage(testing::ReadFileBytes(img_)).value();
  const ChunkEntry& e = m.table.entries()[5];
  FlipByte(e.offset + e.stored_size / 2);
  ExpectError(Server({"verify", img_}),
              img_ + ": chunk " + std::to_string(e.index) + ": stored digest mismatch");
  ExpectError(Server({"unpack", img_, dir_ / "out.raw"}),
              img_ + ": chunk " + std::to_string(e.index) + ": stored digest mismatch");
  EXPECT_FALSE(testing::FileExists(dir_ / "out.raw"));
  EXPECT_EQ(Server({"info", img_}).exit_code, 0);  // info reads only the manifest
}

TEST_F(ImageCliTest, ChunkTablePointingOutsideTheFile) {
  ASSERT_NO_FATAL_FAILURE(PackOk());
  Bytes b = testing::ReadFileBytes(img_);
  image::FileHeader h = Header();
  // The last entry of the chunk table (the label is "cli").
  const size_t last =
      h.manifest_offset + image::Manifest::kFixedLength + 3 + 15 * ChunkEntry::kStrongEncodedLength;
  EncodeFixed64(b.data() + last + 8, b.size() + 1000);
  const uint32_t index = DecodeFixed32(b.data() + last);
  const uint32_t size = DecodeFixed32(b.data() + last + 4);
  // Only the pointer is wrong: fix the manifest digest and the header.
  h.manifest_digest = Xxh3_64(ByteView(b).subspan(h.manifest_offset));
  Bytes head;
  h.EncodeTo(&head);
  std::copy(head.begin(), head.end(), b.begin());
  testing::WriteFileBytes(img_, b);
  ExpectError(Server({"info", img_}),
              img_ + ": chunk " + std::to_string(index) + ": bytes " +
                  std::to_string(b.size() + 1000) + ".." + std::to_string(b.size() + 1000 + size) +
                  " lie outside the chunk data (4096.." + std::to_string(h.manifest_offset) + ")");
}

TEST_F(ImageCliTest, SourceNotWholeSectors) {
  raw_.resize(raw_.size() - 1);
  testing::WriteFileBytes(src_, raw_);
  ExpectError(Server({"pack", src_, img_}),
              src_ +
                  ": size 1572863 is not a multiple of 512 bytes; a disk image is whole "
                  "sectors");
  EXPECT_EQ(testing::ListDir(dir_.path()), std::vector<std::string>{"disk.raw"});
}

TEST_F(ImageCliTest, OutputSameAsSource) {
  ExpectError(Server({"pack", src_, src_}),
              src_ + ": is the source itself; choose another output path");
  EXPECT_EQ(testing::ReadFileBytes(src_), raw_);
  ExpectError(Server({"unpack", src_, src_}), src_ + ": not an .fcimg image (bad magic)");
}

TEST_F(ImageCliTest, OutputFolderMissing) {
  ExpectError(Server({"pack", src_, dir_ / "no/such/dir/x.fcimg"}),
              dir_ / "no/such/dir" + ": no such folder; create it or choose another");
}

TEST_F(ImageCliTest, OutputFolderNotWritable) {
  const std::string ro = dir_ / "ro";
  ASSERT_EQ(::mkdir(ro.c_str(), 0555), 0);
  std::vector<std::string> args = {FLEETCAST_SERVER_BIN, "pack", src_, ro + "/x.fcimg"};
  if (::geteuid() == 0) {
    // Root ignores folder modes: run as nobody a copy of the binary that
    // nobody can reach (the build tree may be in a private folder).
    const std::string bin = dir_ / "fleetcast-server";
    std::filesystem::copy_file(FLEETCAST_SERVER_BIN, bin);
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(src_.c_str(), 0644), 0);
    args = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "pack",
            src_,      ro + "/x.fcimg"};
  }
  ExpectError(testing::RunProgram(args),
              ro + ": folder is not writable (Permission denied); choose a writable folder");
}

TEST_F(ImageCliTest, UsageErrorsAreOneLineWithExitTwo) {
  ProgramResult r = Server({"pack", src_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "fleetcast-server: error: OUT is required; see fleetcast-server --help\n");
  r = Server({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("fleetcast-server: error: ", 0), 0u);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = Server({"pack", src_, img_, "--level", "40"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fleetcast-server: error: --level 40: not a zstd level; use 1..22 or a "
            "negative fast level\n");
}

// A slow pack (level 19, one thread) gives time to interrupt it mid-way.
class InterruptedPackTest : public ImageCliTest {
 protected:
  void SetUp() override {
    ImageCliTest::SetUp();
    raw_ = testing::SampleDisk(48 * 1024 * 1024, kChunk, 0);
    testing::WriteFileBytes(src_, raw_);
  }
  std::vector<std::string> SlowPack() const {
    return {FLEETCAST_SERVER_BIN, "pack", src_, img_, "--level", "19", "--threads", "1"};
  }
};

TEST_F(InterruptedPackTest, CtrlCLeavesNoFile) {
  testing::ChildProcess pack(SlowPack());
  ASSERT_NE(testing::WaitForFile(dir_.path(), "disk.fcimg.partial-", 60), "");
  pack.Signal(SIGINT);
  ProgramResult r = pack.Wait(120);
  ExpectError(r, img_ + ": pack interrupted", 130);
  EXPECT_EQ(testing::ListDir(dir_.path()), std::vector<std::string>{"disk.raw"});
}

TEST_F(InterruptedPackTest, KilledPackLeavesNothingThatLooksValid) {
  testing::ChildProcess pack(SlowPack());
  const std::string partial = testing::WaitForFile(dir_.path(), "disk.fcimg.partial-", 60);
  ASSERT_NE(partial, "");
  pack.Signal(SIGKILL);
  pack.Wait(60);
  EXPECT_FALSE(testing::FileExists(img_));
  // Killed before its first chunk, or after: either way the header is not there.
  ProgramResult info = Server({"info", partial});
  EXPECT_EQ(info.exit_code, 1);
  const std::string prefix = "fleetcast-server: error: " + partial + ": ";
  EXPECT_TRUE(info.err == prefix + "truncated: 0 bytes, but an .fcimg header is 64\n" ||
              info.err == prefix + "not an .fcimg image (bad magic)\n")
      << info.err;
}

TEST(ClientCli, AnswersVersion) {
  ProgramResult r = testing::RunProgram({FLEETCAST_CLIENT_BIN, "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "fleetcast-client 0.1.0\n");
}

}  // namespace
}  // namespace fleetcast
