// Test helper: packs raw bytes into a whole .fcimg in memory, the same steps
// as server/packer.cc without files or threads.
#ifndef FLEETCAST_TESTS_CORE_IMAGE_BUILDER_H_
#define FLEETCAST_TESTS_CORE_IMAGE_BUILDER_H_

#include <random>
#include <string>

#include "core/chunk_codec.h"
#include "core/image_format.h"

namespace fleetcast::testing {

/// How BuildImage writes the manifest: version 1 (no chunk hashes, the
/// default, so byte offsets in older tests hold), or version 2 with chunk
/// hashes and, if `key` is set, signed with it.
struct BuildOptions {
  uint32_t version = 1;
  const sign::SecretKey* key = nullptr;
};

inline Bytes BuildImage(ByteView raw, uint32_t chunk_size, const std::string& label = "",
                        image::Manifest* manifest_out = nullptr, const BuildOptions& options = {}) {
  ChunkCompressor compressor(3);
  Bytes file(image::kDataOffset, 0);
  std::vector<ChunkEntry> entries;
  for (uint64_t off = 0, i = 0; off < raw.size(); off += chunk_size, ++i) {
    const size_t n = std::min<uint64_t>(chunk_size, raw.size() - off);
    PackedChunk c;
    EXPECT_TRUE(compressor.Pack(raw.subspan(off, n), &c).ok());
    if (c.zero) continue;
    entries.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(c.stored.size()),
                       file.size(), c.stored_digest, c.raw_digest,
                       options.version >= 2 ? c.strong_digest : sign::Blake2b256{}});
    PutBytes(&file, c.stored);
  }
  image::Manifest m;
  m.table = ChunkTable::Make(raw.size(), chunk_size, std::move(entries)).value();
  m.level = 3;
  m.label = label;
  m.image_digest = m.table.ImageDigest();
  if (options.version >= 2) m.flags = image::Manifest::kFlagStrongDigests;
  if (options.key != nullptr) {
    EXPECT_TRUE(m.SignWith(*options.key).ok());
  }
  Bytes mbytes;
  m.EncodeTo(&mbytes);
  image::FileHeader h;
  h.version = options.version;
  h.manifest_offset = file.size();
  h.manifest_size = mbytes.size();
  h.manifest_digest = Xxh3_64(mbytes);
  PutBytes(&file, mbytes);
  Bytes head;
  h.EncodeTo(&head);
  std::copy(head.begin(), head.end(), file.begin());
  if (manifest_out != nullptr) *manifest_out = m;
  return file;
}

/// Fixed-seed bytes: compressible runs of text with some random bytes, and
/// whole zero chunks where `zero_every` says.
inline Bytes SampleDisk(size_t size, uint32_t chunk_size, int zero_every = 3, int seed = 301) {
  std::mt19937 rnd(seed);
  Bytes b(size, 0);
  for (size_t i = 0; i < size; ++i) {
    const size_t chunk = i / chunk_size;
    if (zero_every > 0 && chunk % zero_every == 1) continue;
    b[i] = (rnd() % 4 == 0) ? static_cast<uint8_t>(rnd()) : static_cast<uint8_t>('a' + i % 7);
  }
  return b;
}

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_CORE_IMAGE_BUILDER_H_
