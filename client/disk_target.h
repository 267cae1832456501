// DiskTarget: the disk (or image file) a client writes. Opening it checks,
// before any byte is written, that it is large enough, writable and not
// mounted. It also reads back what it holds: chunks already correct (for a
// restarted client) and the image digest of the finished disk. ReadDigest
// and Write may be called from several threads at once.
#ifndef FLEETCAST_CLIENT_DISK_TARGET_H_
#define FLEETCAST_CLIENT_DISK_TARGET_H_

#include <string>

#include "core/chunk_table.h"
#include "core/digest.h"
#include "core/status.h"
#include "platform/file.h"

namespace fleetcast {

/// What to do with chunks that are all zero in the image: leave the disk as
/// it is there (free space: a fresh disk or sparse file reads zero anyway),
/// make it read zero (writing only where it does not already, unless
/// receive --full), or discard (TRIM) it.
enum class ZeroPolicy { kLeave, kWrite, kDiscard };

class DiskTarget {
 public:
  /// Opens path for an image of raw_size bytes. A block device must be at
  /// least that large and not in use (mounted); a regular file is created or
  /// extended. Messages name the --target.
  static Result<DiskTarget> Open(const std::string& path, uint64_t raw_size);

  const std::string& path() const { return file_.path(); }
  /// True if the target was there before (and may hold chunks already).
  bool existed() const { return existed_; }

  /// Writes bytes at offset; a failure names the --target ("--target t.raw:
  /// No space left on device; ...").
  Status Write(uint64_t offset, ByteView bytes) const {
    return file_.WriteAt(offset, bytes).Prefixed("--target", " ");
  }
  /// Makes zero chunk `index` of the table read zero: with `check`, reads it
  /// into *buffer first and writes nothing if it already does. *written
  /// says whether it wrote. May be called from several threads at once.
  Status ZeroChunk(const ChunkTable& table, uint32_t index, bool check, Bytes* buffer,
                   bool* written) const;
  /// Discards (TRIMs) zero chunk `index` of the table.
  Status DiscardChunk(const ChunkTable& table, uint32_t index) const {
    return file_.Discard(table.RawOffset(index), table.RawLength(index));
  }
  /// Flushes to the disk and drops the cached pages, so reads hit the disk.
  Status Flush() const;
  /// XXH3-128 of the raw range of chunk `index`, read from the disk into
  /// *buffer (reused between calls).
  Result<Digest128> ReadDigest(const ChunkTable& table, uint32_t index, Bytes* buffer) const;
  /// The same digest, read and hashed a cache-sized piece at a time (about
  /// twice as fast as reading the chunk whole, then hashing it); *buffer
  /// holds only the last piece after.
  Result<Digest128> ReadDigestInPieces(const ChunkTable& table, uint32_t index,
                                       Bytes* buffer) const;
  /// The same digest, hashed through a mapping of the chunk's pages (no
  /// copy: the re-image scan's way, a third faster than reading in pieces
  /// where the pages are cached); where the chunk cannot be mapped, read in
  /// pieces into *buffer, so a read error is reported as a read's.
  Result<Digest128> MapDigest(const ChunkTable& table, uint32_t index, Bytes* buffer) const;

 private:
  DiskTarget(File file, bool existed) : file_(std::move(file)), existed_(existed) {}

  File file_;
  bool existed_ = false;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_DISK_TARGET_H_
