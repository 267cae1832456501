// ChunkTable: the geometry of a raw disk image cut into fixed-size chunks, and
// the entries of the chunks an .fcimg stores. A chunk without an entry is all
// zero. Immutable after Make(); safe to share between threads.
//
// Byte layout of a ChunkEntry in a manifest (docs/image-format.md):
//   index          fixed32  chunk number in the raw image
//   stored_size    fixed32  bytes of the zstd frame in the file
//   offset         fixed64  file offset of the zstd frame
//   stored_digest  fixed64  XXH3-64 of the zstd frame
//   raw_digest     16 bytes XXH3-128 of the chunk's raw bytes (low, high)
//   strong_digest  32 bytes BLAKE2b-256 of the chunk's raw bytes; only in a
//                           manifest whose flags say it has chunk hashes
#ifndef FLEETCAST_CORE_CHUNK_TABLE_H_
#define FLEETCAST_CORE_CHUNK_TABLE_H_

#include <cstdint>
#include <vector>

#include "core/coding.h"
#include "core/digest.h"
#include "core/signing.h"
#include "core/status.h"

namespace fleetcast {

struct ChunkEntry {
  /// Without, and with, the BLAKE2b-256 strong digest.
  static constexpr size_t kEncodedLength = 4 + 4 + 8 + 8 + kDigest128Length;
  static constexpr size_t kStrongEncodedLength = kEncodedLength + sign::kBlake2b256Length;
  static_assert(kStrongEncodedLength == 72);

  uint32_t index = 0;
  uint32_t stored_size = 0;
  uint64_t offset = 0;
  uint64_t stored_digest = 0;
  Digest128 raw_digest;
  sign::Blake2b256 strong_digest{};  // all zero when the manifest has no chunk hashes

  bool operator==(const ChunkEntry&) const = default;

  /// Appends kEncodedLength bytes, or kStrongEncodedLength with `strong`.
  void EncodeTo(Bytes* dst, bool strong = false) const;
  /// False if fewer bytes remain than EncodeTo writes.
  bool DecodeFrom(ByteReader* reader, bool strong = false);
};

class ChunkTable {
 public:
  static constexpr uint32_t kMinChunkSize = 4 * 1024;
  static constexpr uint32_t kMaxChunkSize = 64 * 1024 * 1024;
  static constexpr uint32_t kSectorSize = 512;
  /// 16 TiB at the default 1 MiB chunk; bounds the work a manifest can ask for.
  static constexpr uint64_t kMaxChunkCount = uint64_t{1} << 24;

  ChunkTable() = default;

  /// Checks the geometry (chunk size a power of two in [4 KiB, 64 MiB], raw
  /// size a non-zero multiple of 512) and the entries (indices increasing and
  /// in range, non-empty frames no larger than zstd's bound, file ranges in
  /// order without overlap). On failure, the message names the bad field.
  static Result<ChunkTable> Make(uint64_t raw_size, uint32_t chunk_size,
                                 std::vector<ChunkEntry> entries);

  /// OK if a raw image of this size can be cut into chunks of this size.
  static Status CheckGeometry(uint64_t raw_size, uint32_t chunk_size);

  /// The largest zstd frame a chunk of raw_length bytes can need.
  static uint64_t MaxStoredSize(uint32_t raw_length);

  uint64_t raw_size() const { return raw_size_; }
  uint32_t chunk_size() const { return chunk_size_; }
  uint32_t chunk_count() const { return chunk_count_; }
  const std::vector<ChunkEntry>& entries() const { return entries_; }
  uint32_t stored_count() const { return static_cast<uint32_t>(entries_.size()); }
  uint32_t zero_count() const { return chunk_count_ - stored_count(); }
  /// Sum of the stored (compressed) sizes.
  uint64_t stored_bytes() const { return stored_bytes_; }
  /// Sum of the raw lengths of the stored chunks.
  uint64_t stored_raw_bytes() const { return stored_raw_bytes_; }

  /// The entry of chunk `index`, or nullptr if that chunk is all zero.
  const ChunkEntry* Find(uint32_t index) const;
  /// Position of chunk `index`'s entry in entries(), or -1 for a zero chunk.
  long EntryOf(uint32_t index) const {
    const ChunkEntry* e = Find(index);
    return e == nullptr ? -1 : e - entries_.data();
  }
  uint64_t RawOffset(uint32_t index) const { return uint64_t{index} * chunk_size_; }
  /// chunk_size, except for a shorter last chunk.
  uint32_t RawLength(uint32_t index) const;
  /// The raw digest of any chunk, stored or zero.
  Digest128 RawDigest(uint32_t index) const;

  /// The whole-image digest: XXH3-128 over every chunk's raw digest in chunk
  /// order (16 bytes each, low then high), zero chunks included. It proves the
  /// whole disk, yet can be computed chunk by chunk and in parallel.
  Digest128 ImageDigest() const;
  /// XXH3-128 over digests in order, as ImageDigest combines chunk digests.
  static Digest128 CombineDigests(const std::vector<Digest128>& digests);

 private:
  ChunkTable(uint64_t raw_size, uint32_t chunk_size, std::vector<ChunkEntry> entries);

  uint64_t raw_size_ = 0;
  uint32_t chunk_size_ = 0;
  uint32_t chunk_count_ = 0;
  std::vector<ChunkEntry> entries_;
  uint64_t stored_bytes_ = 0;
  uint64_t stored_raw_bytes_ = 0;
  Digest128 zero_digest_;       // of a full chunk of zeros
  Digest128 last_zero_digest_;  // of the last chunk's length of zeros
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_CHUNK_TABLE_H_
