#include "server/packer.h"

#include <gtest/gtest.h>

#include "server/image_commands.h"
#include "server/image_reader.h"
#include "tests/core/image_builder.h"
#include "tests/test_util.h"

namespace fleetcast {
namespace {

constexpr uint32_t kChunk = 64 * 1024;

class PackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(40 * kChunk + 1536, kChunk);
    testing::WriteFileBytes(dir_ / "disk.raw", raw_);
    options_.source = dir_ / "disk.raw";
    options_.output = dir_ / "disk.fcimg";
    options_.chunk_size = kChunk;
    options_.label = "unit";
  }

  Status PackIt() {
    Result<PackSummary> r = Pack(options_);
    return r.status();
  }

  testing::TempDir dir_;
  Bytes raw_;
  PackOptions options_;
};

TEST_F(PackerTest, PackThenUnpackGivesTheSourceBytes) {
  ASSERT_TRUE(PackIt().ok());
  ASSERT_TRUE(RunUnpack(options_.output, dir_ / "back.raw", 2).ok());
  EXPECT_EQ(testing::ReadFileBytes(dir_ / "back.raw"), raw_);
  EXPECT_EQ(testing::ListDir(dir_.path()),
            (std::vector<std::string>{"back.raw", "disk.fcimg", "disk.raw"}));
}

TEST_F(PackerTest, ManifestDescribesTheSource) {
  ASSERT_TRUE(PackIt().ok());
  Result<ImageReader> image = ImageReader::Open(options_.output);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  const ChunkTable& t = image->table();
  EXPECT_EQ(t.raw_size(), raw_.size());
  EXPECT_EQ(t.chunk_count(), 41u);
  // SampleDisk leaves every third chunk (1, 4, 7, ...) zero: 14 of 41.
  EXPECT_EQ(t.zero_count(), 14u);
  EXPECT_EQ(image->manifest().label, "unit");
  for (uint32_t i = 0; i < t.chunk_count(); ++i) {
    ByteView chunk(raw_.data() + t.RawOffset(i), t.RawLength(i));
    EXPECT_EQ(t.RawDigest(i), Xxh3_128(chunk)) << "chunk " << i;
  }
}

TEST_F(PackerTest, OutputIsTheSameWhateverTheThreads) {
  options_.threads = 1;
  ASSERT_TRUE(PackIt().ok());
  const Bytes one = testing::ReadFileBytes(options_.output);
  options_.threads = 4;
  options_.output = dir_ / "again.fcimg";
  ASSERT_TRUE(PackIt().ok());
  EXPECT_EQ(testing::ReadFileBytes(options_.output), one);
}

TEST_F(PackerTest, PackerAndInMemoryBuilderAgree) {
  ASSERT_TRUE(PackIt().ok());
  EXPECT_EQ(testing::ReadFileBytes(options_.output),
            testing::BuildImage(raw_, kChunk, "unit", nullptr, {.version = 2}));
}

TEST_F(PackerTest, VerifyPassesOnAGoodImage) {
  ASSERT_TRUE(PackIt().ok());
  EXPECT_TRUE(RunVerify(options_.output, 2).ok());
}

TEST_F(PackerTest, FailedPackLeavesNoFile) {
  options_.output = dir_ / "missing-folder/x.fcimg";
  EXPECT_EQ(PackIt().code(), Status::Code::kNotFound);
  options_.output = dir_ / "x.fcimg";
  raw_.resize(raw_.size() - 100);
  testing::WriteFileBytes(options_.source, raw_);
  EXPECT_FALSE(PackIt().ok());
  EXPECT_EQ(testing::ListDir(dir_.path()), (std::vector<std::string>{"disk.raw"}));
}

TEST_F(PackerTest, RejectsBadOptions) {
  options_.level = 99;
  EXPECT_EQ(CheckPackOptions(options_).message(),
            "--level 99: not a zstd level; use 1..22 or a negative fast level");
  options_.level = 3;
  options_.chunk_size = 1000;
  EXPECT_EQ(CheckPackOptions(options_).message(),
            "--chunk-size 1000: use a power of two from 4K to 64M");
  options_.chunk_size = kChunk;
  options_.label = std::string(300, 'x');
  EXPECT_EQ(CheckPackOptions(options_).message(), "--label: longer than 256 bytes; shorten it");
}

}  // namespace
}  // namespace fleetcast
