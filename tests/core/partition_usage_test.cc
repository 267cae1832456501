#include "core/partition_usage.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>

#include "core/image_format.h"

namespace fleetcast {
namespace {

constexpr uint64_t kMiB = 1 << 20;

PartitionUsage Ext() {
  PartitionUsage p;
  p.offset = 1 * kMiB;
  p.size = 4 * kMiB;
  p.used = 1 * kMiB;
  p.free = 3 * kMiB;
  p.number = 2;
  p.fs = FsKind::kExt;
  return p;
}

Result<PartitionUsage> Decode(const Bytes& bytes, uint64_t raw_size = 8 * kMiB) {
  ByteReader r(bytes);
  return PartitionUsage::DecodeFrom(&r, raw_size);
}

TEST(PartitionUsage, GoldenBytes) {
  Bytes b;
  Ext().EncodeTo(&b);
  ASSERT_EQ(b.size(), PartitionUsage::kEncodedLength);
  const Bytes want = {0, 0, 0x10, 0, 0, 0, 0, 0,  // offset 1 MiB
                      0, 0, 0x40, 0, 0, 0, 0, 0,  // size 4 MiB
                      0, 0, 0x10, 0, 0, 0, 0, 0,  // used 1 MiB
                      0, 0, 0x30, 0, 0, 0, 0, 0,  // free 3 MiB
                      2, 0, 0,    0,              // number 2
                      3,                          // fs: ext2/3/4
                      0, 0, 0};                   // reserved
  EXPECT_EQ(b, want);
  Result<PartitionUsage> back = Decode(b);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Ext());
}

TEST(PartitionUsage, CorruptFieldsNameTheField) {
  Bytes good;
  Ext().EncodeTo(&good);
  Bytes b = good;
  b[36] = 0;
  EXPECT_EQ(Decode(b).status().message(), "manifest: partition 2: unknown filesystem code 0");
  b = good;
  b[39] = 1;
  EXPECT_EQ(Decode(b).status().message(), "manifest: partition 2: reserved bytes are not zero");
  b = good;
  b[24] = 1;  // free one byte more than size - used
  EXPECT_EQ(Decode(b).status().message(),
            "manifest: partition 2: used and free bytes do not add up to its size");
  EXPECT_EQ(Decode(good, 4 * kMiB).status().message(),
            "manifest: partition 2: ends past the end of the disk");
}

TEST(PartitionUsage, TruncatedAtEveryLengthIsRefused) {
  Bytes good;
  Ext().EncodeTo(&good);
  for (size_t n = 0; n < good.size(); ++n) {
    const Bytes cut(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_EQ(Decode(cut).status().message(), "manifest: partition list truncated") << n;
  }
}

TEST(PartitionUsage, StoredRawBytesCountsThePartitionsShareOfStoredChunks) {
  // 8 chunks of 1 MiB; chunks 1, 2 and 5 stored. A partition from 1.5 MiB to
  // 5.5 MiB overlaps chunk 1 by half, chunk 2 whole, chunk 5 by half.
  std::vector<ChunkEntry> entries = {
      {1, 10, 4096, 0, {}, {}}, {2, 10, 4106, 0, {}, {}}, {5, 10, 4116, 0, {}, {}}};
  const ChunkTable table = ChunkTable::Make(8 * kMiB, kMiB, entries).value();
  PartitionUsage p;
  p.offset = kMiB + kMiB / 2;
  p.size = 4 * kMiB;
  EXPECT_EQ(p.StoredRawBytes(table), 2 * kMiB);
  p.offset = 6 * kMiB;
  p.size = 2 * kMiB;
  EXPECT_EQ(p.StoredRawBytes(table), 0u);
}

image::Manifest ManifestWithPartitions() {
  image::Manifest m;
  m.table = ChunkTable::Make(8 * kMiB, kMiB, {}).value();
  m.flags = image::Manifest::kFlagStrongDigests;
  m.image_digest = m.table.ImageDigest();
  PartitionUsage ntfs;
  ntfs.offset = 5 * kMiB;
  ntfs.size = 2 * kMiB;
  ntfs.used = kMiB;
  ntfs.free = kMiB;
  ntfs.number = 3;
  ntfs.fs = FsKind::kNtfs;
  m.partitions = {Ext(), ntfs};
  return m;
}

TEST(ManifestPartitions, RoundTripSetsTheFlag) {
  Bytes b;
  ManifestWithPartitions().EncodeTo(&b);
  EXPECT_EQ(b.size(), image::Manifest::kFixedLength + 4 + 2 * PartitionUsage::kEncodedLength);
  EXPECT_EQ(DecodeFixed32(b.data() + 24),
            image::Manifest::kFlagStrongDigests | image::Manifest::kFlagPartitions);
  Result<image::Manifest> back = image::Manifest::DecodeFrom(b);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->partitions, ManifestWithPartitions().partitions);
}

TEST(ManifestPartitions, NoListNoFlag) {
  image::Manifest m = ManifestWithPartitions();
  m.partitions.clear();
  m.flags |= image::Manifest::kFlagPartitions;
  Bytes b;
  m.EncodeTo(&b);
  EXPECT_EQ(b.size(), image::Manifest::kFixedLength);
  EXPECT_EQ(DecodeFixed32(b.data() + 24), image::Manifest::kFlagStrongDigests);
}

TEST(ManifestPartitions, SignedManifestCoversTheList) {
  std::array<uint8_t, crypto_sign_SEEDBYTES> seed{7};
  sign::PublicKey pk;
  sign::SecretKey key;
  crypto_sign_seed_keypair(pk.data(), key.data(), seed.data());
  image::Manifest m = ManifestWithPartitions();
  ASSERT_TRUE(m.SignWith(key).ok());
  Bytes b;
  m.EncodeTo(&b);
  ASSERT_TRUE(image::Manifest::DecodeFrom(b).ok());
  b[image::Manifest::kFixedLength + 4 + 16] ^= 1;  // partition 2's used bytes
  EXPECT_EQ(image::Manifest::DecodeFrom(b).status().message(),
            "manifest: signature does not verify (the manifest was changed after it was signed)");
}

TEST(ManifestPartitions, TruncatedListIsRefused) {
  Bytes b;
  ManifestWithPartitions().EncodeTo(&b);
  for (size_t n = image::Manifest::kFixedLength; n < b.size(); ++n) {
    const Bytes cut(b.begin(), b.begin() + static_cast<long>(n));
    EXPECT_FALSE(image::Manifest::DecodeFrom(cut).ok()) << n;
  }
  b.resize(image::Manifest::kFixedLength + 4);
  EXPECT_EQ(image::Manifest::DecodeFrom(b).status().message(),
            "manifest: partition list is 0 bytes, but 2 partitions need 80");
}

}  // namespace
}  // namespace fleetcast
