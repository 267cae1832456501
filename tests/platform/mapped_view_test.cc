// MappedView: a mapped range reads as the file does, at any offset, and a
// range the file cannot back is an error, never a SIGBUS.
#include "platform/mapped_view.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fleetcast {
namespace {

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + i / 4096);
  return b;
}

class MappedViewTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::WriteFileBytes(path_, data_); }

  testing::TempDir dir_;
  std::string path_ = dir_ / "f.raw";
  Bytes data_ = Pattern(3 * 4096 + 1000);
};

TEST_F(MappedViewTest, ARangeOffAPageBoundaryReadsAsTheFile) {
  Result<File> f = File::OpenRead(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Result<MappedView> v = MappedView::Map(*f, 5000, 7000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const ByteView got = v->bytes();
  EXPECT_EQ(Bytes(got.begin(), got.end()), Bytes(data_.begin() + 5000, data_.begin() + 12000));
}

TEST_F(MappedViewTest, TheFilesShortLastPageReadsToItsEnd) {
  Result<File> f = File::OpenRead(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Result<MappedView> v = MappedView::Map(*f, 3 * 4096, 1000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const ByteView got = v->bytes();
  EXPECT_EQ(Bytes(got.begin(), got.end()), Bytes(data_.begin() + 3 * 4096, data_.end()));
}

TEST_F(MappedViewTest, ARangePastTheEndIsAnErrorNotASignal) {
  Result<File> f = File::OpenRead(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Result<MappedView> v = MappedView::Map(*f, 0, 8 * 4096);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(v.status().message().find(path_), std::string::npos) << v.status().message();
}

TEST_F(MappedViewTest, AMovedViewKeepsTheMapping) {
  Result<File> f = File::OpenRead(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Result<MappedView> v = MappedView::Map(*f, 0, 4096);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  MappedView moved = std::move(v).value();
  MappedView other;
  other = std::move(moved);
  EXPECT_EQ(other.bytes().size(), 4096u);
  EXPECT_EQ(other.bytes()[4095], data_[4095]);
  EXPECT_TRUE(moved.bytes().empty());  // NOLINT(bugprone-use-after-move): what a move leaves
}

}  // namespace
}  // namespace fleetcast
