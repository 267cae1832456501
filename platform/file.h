// File: an open file descriptor on a regular file or block device, with
// positioned reads and writes that either move every byte or fail with a
// Status naming the path. Move-only; ReadAt and WriteAt may be called from
// several threads at once (pread/pwrite keep no shared offset).
#ifndef FLEETCAST_PLATFORM_FILE_H_
#define FLEETCAST_PLATFORM_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast {

class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  /// Opens an existing file or block device for reading.
  static Result<File> OpenRead(const std::string& path);
  /// Creates a new regular file (mode 0644); fails if it exists.
  static Result<File> CreateNew(const std::string& path);
  /// Opens an existing block device for writing.
  static Result<File> OpenDevice(const std::string& path);
  /// Opens a disk to image for reading and writing: a block device
  /// exclusively (kInvalidArgument "in use" while it or a partition of it is
  /// mounted), a regular file created if missing.
  static Result<File> OpenTarget(const std::string& path);

  const std::string& path() const { return path_; }
  bool is_block_device() const { return block_device_; }
  /// Bytes in the file, or in the block device.
  uint64_t size() const { return size_; }

  /// Reads exactly out.size() bytes at offset; a short file is an error.
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) const;
  Status WriteAt(uint64_t offset, ByteView bytes) const;
  /// Sets a regular file's length; the new tail is a hole.
  Status Truncate(uint64_t length);
  Status Sync() const;
  /// Hints that the file is read front to back.
  void AdviseSequential() const;
  /// Drops the file's cached pages, so later reads come from the disk.
  void DropCache() const;
  /// Frees a range: BLKDISCARD on a block device, a hole in a regular file.
  Status Discard(uint64_t offset, uint64_t length) const;

 private:
  friend class MappedView;  // maps fd_

  File(int fd, std::string path);
  Status Stat();

  int fd_ = -1;
  std::string path_;
  bool block_device_ = false;
  uint64_t size_ = 0;
};

/// "<path>: <strerror>; <advice for that errno>".
Status ErrnoStatus(const std::string& path, int err);

/// "/a/b/c" -> {"a", "b", "c"}: a path inside a volume, empty parts ("//") skipped.
std::vector<std::string> SplitVolumePath(std::string_view path);

/// True if both paths exist and name the same inode.
bool SameFile(const std::string& a, const std::string& b);
bool IsBlockDevice(const std::string& path);

/// Renames from to to, then makes the rename durable by syncing the folder.
Status CommitRename(const std::string& from, const std::string& to);
/// Removes a file if it exists; errors are ignored (cleanup only).
void RemoveQuietly(const std::string& path);
/// A name beside `path` for work in progress: "<path>.partial-<pid>".
std::string PartialPath(const std::string& path);

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_FILE_H_
