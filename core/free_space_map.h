// FreeSpaceMap: the byte ranges of a disk that its filesystems do not use,
// as their block or cluster bitmaps say. Pack asks it, chunk by chunk, whether
// the chunk lies wholly in free space (then it is stored as a zero chunk) and
// which bytes of a stored chunk are free (then they are zeroed before
// compressing). Ranges outside every filesystem are never free: unknown
// filesystems and space outside partitions are copied whole.
//
// Pure: bitmaps come in as bytes. Immutable after Make(); safe to share
// between threads.
#ifndef FLEETCAST_CORE_FREE_SPACE_MAP_H_
#define FLEETCAST_CORE_FREE_SPACE_MAP_H_

#include <cstdint>
#include <span>
#include <vector>

#include "core/coding.h"

namespace fleetcast {

/// [offset, offset + length) in bytes.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;

  uint64_t end() const { return offset + length; }
  bool operator==(const ByteRange&) const = default;
};

/// The free runs of an allocation bitmap: bit i (least significant bit
/// first, as ext2/3/4 and NTFS both store them) is unit i, set when in use.
/// Unit i covers [base + i·unit, base + (i+1)·unit). Only the first
/// unit_count bits are read; bits past the end of `bitmap` count as in use.
std::vector<ByteRange> FreeRunsOfBitmap(ByteView bitmap, uint64_t unit_count, uint64_t unit,
                                        uint64_t base);

class FreeSpaceMap {
 public:
  FreeSpaceMap() = default;

  /// Sorts the ranges and merges those that overlap or touch; empty ones
  /// are dropped.
  static FreeSpaceMap Make(std::vector<ByteRange> free);

  /// True if every byte of [offset, offset + length) is free (length > 0).
  bool Covers(uint64_t offset, uint64_t length) const;
  /// The free parts of [offset, offset + length), relative to offset, in
  /// order.
  std::vector<ByteRange> Within(uint64_t offset, uint64_t length) const;
  /// Zeroes the free bytes of `raw`, which holds the disk's bytes from
  /// `offset` on.
  void ZeroFree(uint64_t offset, std::span<uint8_t> raw) const;
  /// Free bytes of [offset, offset + length).
  uint64_t FreeBytesIn(uint64_t offset, uint64_t length) const;

  const std::vector<ByteRange>& ranges() const { return ranges_; }

 private:
  explicit FreeSpaceMap(std::vector<ByteRange> ranges) : ranges_(std::move(ranges)) {}

  std::vector<ByteRange> ranges_;  // sorted, disjoint, none touching, none empty
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_FREE_SPACE_MAP_H_
