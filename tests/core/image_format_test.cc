#include "core/image_format.h"

#include <gtest/gtest.h>

#include "tests/core/image_builder.h"

namespace fleetcast::image {
namespace {

constexpr uint32_t kChunk = 4096;

// A small image in memory, and verbs to damage it the way files get damaged.
class ImageFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = testing::SampleDisk(10 * kChunk + 512, kChunk);
    file_ = testing::BuildImage(raw_, kChunk, "lab-a", &manifest_);
    header_ = FileHeader::DecodeFrom(file_).value();
  }

  std::string Decode() const {
    Result<Manifest> m = DecodeImage(file_);
    return m.ok() ? "OK" : m.status().message();
  }
  // Rewrites the manifest with `edit` applied, fixing digests, so only the
  // edited field is wrong.
  void EditManifest(const std::function<void(Bytes*)>& edit) {
    Bytes m(file_.begin() + static_cast<long>(header_.manifest_offset), file_.end());
    edit(&m);
    file_.resize(header_.manifest_offset);
    PutBytes(&file_, m);
    header_.manifest_size = m.size();
    header_.manifest_digest = Xxh3_64(m);
    RewriteHeader();
  }
  void RewriteHeader() {
    Bytes head;
    header_.EncodeTo(&head);
    std::copy(head.begin(), head.end(), file_.begin());
  }
  size_t EntryOffset(size_t i) const {
    return Manifest::kFixedLength + manifest_.label.size() + i * ChunkEntry::kEncodedLength;
  }

  Bytes raw_;
  Bytes file_;
  Manifest manifest_;
  FileHeader header_;
};

TEST(FileHeader, GoldenBytes) {
  FileHeader h;
  h.manifest_offset = 0x1122;
  h.manifest_size = 0x33;
  h.manifest_digest = 0x0102030405060708ULL;
  Bytes b;
  h.EncodeTo(&b);
  ASSERT_EQ(b.size(), FileHeader::kEncodedLength);
  // clang-format off
  const Bytes want_prefix = {
      0x89, 'F', 'C', 'I', 'M', 'G', '\r', '\n',  // magic
      2, 0, 0, 0,                                  // version
      0, 0, 0, 0,                                  // flags
      0x00, 0x10, 0, 0, 0, 0, 0, 0,                // data_offset 4096
      0x22, 0x11, 0, 0, 0, 0, 0, 0,                // manifest_offset
      0x33, 0, 0, 0, 0, 0, 0, 0,                   // manifest_size
      8, 7, 6, 5, 4, 3, 2, 1,                      // manifest_digest
      0, 0, 0, 0, 0, 0, 0, 0,                      // reserved
  };
  // clang-format on
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 56), want_prefix);
  EXPECT_EQ(DecodeFixed64(b.data() + 56), Xxh3_64(ByteView(b).first(56)));
  EXPECT_EQ(FileHeader::DecodeFrom(b).value(), h);
}

TEST(FileHeader, ChecksInOrder) {
  FileHeader h;
  Bytes b;
  h.EncodeTo(&b);
  EXPECT_EQ(FileHeader::DecodeFrom(ByteView(b).first(63)).status().message(),
            "truncated: 63 bytes, but an .fcimg header is 64");
  Bytes bad = b;
  bad[1] = 'X';
  EXPECT_EQ(FileHeader::DecodeFrom(bad).status().message(), "not an .fcimg image (bad magic)");
  bad = b;
  bad[8] = 3;
  EXPECT_EQ(FileHeader::DecodeFrom(bad).status().message(),
            "unsupported .fcimg version 3 (this fleetcast reads versions 1 to 2); use a "
            "matching fleetcast");
  bad[8] = 0;
  EXPECT_EQ(FileHeader::DecodeFrom(bad).status().code(), Status::Code::kNotSupported);
  bad = b;
  bad[20] ^= 1;
  EXPECT_EQ(FileHeader::DecodeFrom(bad).status().message(),
            "header digest mismatch (the header is corrupt)");
  h.flags = 4;
  bad.clear();
  h.EncodeTo(&bad);
  EXPECT_EQ(FileHeader::DecodeFrom(bad).status().code(), Status::Code::kNotSupported);
}

TEST_F(ImageFormatTest, ManifestRoundTrip) {
  Bytes b;
  manifest_.EncodeTo(&b);
  Result<Manifest> m = Manifest::DecodeFrom(b);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->label, "lab-a");
  EXPECT_EQ(m->level, 3);
  EXPECT_EQ(m->image_digest, manifest_.image_digest);
  EXPECT_EQ(m->table.entries(), manifest_.table.entries());
  EXPECT_EQ(m->table.raw_size(), raw_.size());
  EXPECT_EQ(m->table.chunk_count(), 11u);
  // SampleDisk leaves chunks 1, 4, 7 and the short last chunk 10 zero.
  EXPECT_EQ(m->table.stored_count(), 7u);
  EXPECT_EQ(m->table.Find(4), nullptr);
}

TEST_F(ImageFormatTest, DecodesWholeImageAndChunksUnpackToRaw) {
  ASSERT_EQ(Decode(), "OK");
  ChunkDecompressor d;
  const ChunkTable& t = manifest_.table;
  Bytes disk(t.raw_size(), 0);
  for (const ChunkEntry& e : t.entries()) {
    ByteView stored(file_.data() + e.offset, e.stored_size);
    ASSERT_TRUE(
        d.Unpack(e, stored, std::span(disk).subspan(t.RawOffset(e.index), t.RawLength(e.index)))
            .ok());
  }
  EXPECT_EQ(disk, raw_);
}

TEST_F(ImageFormatTest, NegativeLevelRoundTrips) {
  EditManifest([](Bytes* m) { EncodeFixed32(m->data() + 20, static_cast<uint32_t>(-5)); });
  EXPECT_EQ(DecodeImage(file_)->level, -5);
}

TEST_F(ImageFormatTest, TruncatedAtEveryLengthFailsClearly) {
  const Bytes whole = file_;
  for (size_t n = 0; n < whole.size(); ++n) {
    Result<Manifest> m = DecodeImage(ByteView(whole).first(n));
    ASSERT_FALSE(m.ok()) << "length " << n;
    const std::string& msg = m.status().message();
    EXPECT_EQ(msg.rfind("truncated: ", 0), 0u) << "length " << n << ": " << msg;
  }
}

TEST_F(ImageFormatTest, EveryFlippedHeaderOrManifestByteIsCaught) {
  const Bytes whole = file_;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i >= FileHeader::kEncodedLength && i < header_.manifest_offset) continue;  // chunk data
    file_ = whole;
    file_[i] ^= 0x40;
    EXPECT_NE(Decode(), "OK") << "byte " << i;
  }
}

TEST_F(ImageFormatTest, FlippedManifestByteIsADigestMismatch) {
  file_[header_.manifest_offset + 3] ^= 1;
  EXPECT_EQ(Decode(), "manifest digest mismatch (the manifest is corrupt)");
}

TEST_F(ImageFormatTest, TrailingDataIsRefused) {
  file_.push_back(0);
  EXPECT_EQ(Decode(), "1 bytes of unknown data after the manifest");
}

TEST_F(ImageFormatTest, ManifestPointingPastTheEndIsTruncation) {
  header_.manifest_size += 100;
  RewriteHeader();
  EXPECT_EQ(Decode(), "truncated: the file is " + std::to_string(file_.size()) +
                          " bytes, but its manifest ends at byte " +
                          std::to_string(file_.size() + 100));
}

TEST_F(ImageFormatTest, ManifestBeforeDataOffsetIsRefused) {
  header_.manifest_offset = 100;
  RewriteHeader();
  EXPECT_EQ(Decode(), "header: manifest offset 100 is before the data offset 4096");
  header_.data_offset = 10;
  RewriteHeader();
  EXPECT_EQ(Decode(), "header: data offset 10 overlaps the header");
}

TEST_F(ImageFormatTest, ChunkPointingOutsideTheFileIsRefused) {
  const uint64_t past = file_.size() + 4096;
  EditManifest([&](Bytes* m) { EncodeFixed64(m->data() + EntryOffset(6) + 8, past); });
  const ChunkEntry& last = manifest_.table.entries()[6];
  EXPECT_EQ(Decode(), "chunk " + std::to_string(last.index) + ": bytes " + std::to_string(past) +
                          ".." + std::to_string(past + last.stored_size) +
                          " lie outside the chunk data (4096.." +
                          std::to_string(header_.manifest_offset) + ")");
}

TEST_F(ImageFormatTest, ChunkPointingIntoTheHeaderIsRefused) {
  EditManifest([&](Bytes* m) { EncodeFixed64(m->data() + EntryOffset(0) + 8, 0); });
  EXPECT_EQ(Decode().find("chunk 0: bytes 0.."), 0u) << Decode();
}

TEST_F(ImageFormatTest, CorruptFieldsNameTheField) {
  EditManifest([](Bytes* m) { (*m)[16] = 9; });
  EXPECT_EQ(Decode(), "manifest: unknown codec 9");
  SetUp();
  EditManifest([](Bytes* m) { EncodeFixed32(m->data() + 8, 5000); });
  EXPECT_EQ(Decode(), "manifest: chunk size 5000 is not a power of two from 4 KiB to 64 MiB");
  SetUp();
  EditManifest([](Bytes* m) { EncodeFixed64(m->data(), 1000); });
  EXPECT_EQ(Decode(), "manifest: raw size 1000 is not a non-zero multiple of 512 bytes");
  SetUp();
  EditManifest([](Bytes* m) { EncodeFixed32(m->data() + 12, 9); });
  EXPECT_EQ(Decode(), "manifest: chunk table is 280 bytes, but 9 entries need 360");
  SetUp();
  EditManifest([](Bytes* m) { EncodeFixed16(m->data() + 18, 300); });
  EXPECT_EQ(Decode(), "manifest: label size 300 is out of range");
  SetUp();
  EditManifest([](Bytes* m) { EncodeFixed32(m->data() + 24, 8); });
  EXPECT_EQ(Decode(),
            "manifest: flags 0x8 name features this fleetcast lacks; use a newer "
            "fleetcast");
  SetUp();
  EditManifest([](Bytes* m) { EncodeFixed32(m->data() + 24, 4); });
  EXPECT_EQ(Decode(), "manifest: partition list is missing or empty");
  SetUp();
  EditManifest([&](Bytes* m) { (*m)[EntryOffset(2) + 24] ^= 1; });
  EXPECT_EQ(Decode(), "manifest: image digest does not match the chunk table");
  SetUp();
  EditManifest([&](Bytes* m) { EncodeFixed32(m->data() + EntryOffset(1), 0); });
  EXPECT_EQ(Decode(), "manifest: chunk table entry 1: chunk 0 is out of order");
}

TEST_F(ImageFormatTest, ManifestTruncatedAtEveryLengthIsRefused) {
  Bytes m;
  manifest_.EncodeTo(&m);
  for (size_t n = 0; n < m.size(); ++n) {
    EXPECT_FALSE(Manifest::DecodeFrom(ByteView(m).first(n)).ok()) << "length " << n;
  }
}

}  // namespace
}  // namespace fleetcast::image
