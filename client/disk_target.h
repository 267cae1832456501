// DiskTarget: the disk (or image file) a client writes. Opening it checks,
// before any byte is written, that it is large enough, writable and not
// mounted. It also reads back what it holds: chunks already correct (for a
// restarted client) and the image digest of the finished disk.
#ifndef FLEETCAST_CLIENT_DISK_TARGET_H_
#define FLEETCAST_CLIENT_DISK_TARGET_H_

#include <string>

#include "core/chunk_table.h"
#include "core/digest.h"
#include "core/status.h"

namespace fleetcast {

/// What to do with chunks that are all zero in the image.
enum class ZeroPolicy { kLeave, kWrite, kDiscard };

class DiskTarget {
 public:
  /// Opens path for an image of raw_size bytes. A block device must be at
  /// least that large and not in use (mounted); a regular file is created or
  /// extended.
  static Result<DiskTarget> Open(const std::string& path, uint64_t raw_size);
  DiskTarget(DiskTarget&& other) noexcept;
  DiskTarget& operator=(DiskTarget&&) = delete;
  ~DiskTarget();

  const std::string& path() const { return path_; }
  bool existed() const { return existed_; }

  Status Write(uint64_t offset, ByteView bytes) const;
  /// Applies the zero policy to every zero chunk of the table.
  Status HandleZeroChunks(const ChunkTable& table, ZeroPolicy policy) const;
  /// Flushes to the disk and drops the cached pages, so reads hit the disk.
  Status Flush() const;
  /// XXH3-128 of the raw range of chunk `index`, read from the disk.
  Result<Digest128> ReadDigest(const ChunkTable& table, uint32_t index) const;

 private:
  DiskTarget() = default;
  Status Discard(uint64_t offset, uint64_t length) const;

  int fd_ = -1;
  std::string path_;
  bool block_device_ = false;
  bool existed_ = false;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_DISK_TARGET_H_
