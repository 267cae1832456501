// ExtVolume: an ext2/3/4 filesystem inside a disk (block device or image
// file), opened with libext2fs at a byte offset so that the client can put a
// node's cloud-init seed (/var/lib/cloud/seed/nocloud/...) into it without
// mounting and without loop devices.
//
// Paths are absolute, '/'-separated, resolved in the filesystem's own tree
// (a symbolic link /var/run -> /run stays inside it). Files and folders made
// here belong to root; folders get mode 0755. Messages name the device, the
// partition offset and the path. Not thread-safe: one thread at a time.
#ifndef FLEETCAST_PLATFORM_EXT_VOLUME_H_
#define FLEETCAST_PLATFORM_EXT_VOLUME_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/coding.h"
#include "core/free_space_map.h"
#include "core/status.h"

struct struct_ext2_filsys;

namespace fleetcast {

class ExtVolume {
 public:
  /// Opens the filesystem of `size` bytes at `offset` in device_or_file
  /// (size 0: up to the end). Writable opens refuse a filesystem with an
  /// unreplayed journal or recorded errors: e2fsck must see it first.
  static Result<std::unique_ptr<ExtVolume>> Open(const std::string& device_or_file, uint64_t offset,
                                                 uint64_t size, bool writable);

  ~ExtVolume();  // Close()s if still open, ignoring errors
  ExtVolume(const ExtVolume&) = delete;
  ExtVolume& operator=(const ExtVolume&) = delete;

  /// A regular file's content (a final symbolic link is followed).
  Result<Bytes> ReadFile(std::string_view path);
  /// Creates or replaces a regular file with `bytes`, owned by root with
  /// permission bits `mode` (0600 for secrets such as cloud-init user-data),
  /// creating missing parent folders. Times are set to now.
  Status WriteFile(std::string_view path, ByteView bytes, uint32_t mode = 0644);
  /// True if anything (file, folder, link) exists at path.
  bool Exists(std::string_view path);
  /// The byte ranges, counted from the start of the filesystem, that its
  /// block bitmap marks free. Refuses a filesystem whose bitmap may be stale
  /// (journal not replayed, errors recorded) and bigalloc ones.
  Result<std::vector<ByteRange>> FreeRanges();
  /// Writes the superblock, group descriptors and bitmaps and releases the
  /// filesystem; errors mean the changes may not all be on the disk.
  Status Close();

 private:
  ExtVolume(std::string name, uint64_t offset, struct_ext2_filsys* fs)
      : name_(std::move(name)), offset_(offset), fs_(fs) {}

  std::string Where() const;
  Status Error(std::string_view path, const std::string& what, long err,
               const std::string& advice) const;
  Status CheckUsable(std::string_view path, bool for_writing) const;
  Status CheckOpened(uint64_t size, bool writable);
  // The journal is replayed and no errors are recorded.
  Status CheckClean() const;
  // The folder at parts[0..count), made (mode 0755) where missing.
  Result<uint32_t> MakeDirs(const std::vector<std::string>& parts, size_t count);
  Result<uint32_t> CreateFile(std::string_view path, uint32_t dir, const std::string& name,
                              uint32_t mode);
  Status WriteContent(std::string_view path, uint32_t ino, ByteView bytes);
  Status SetAttributes(std::string_view path, uint32_t ino, uint32_t mode);

  std::string name_;
  uint64_t offset_ = 0;
  struct_ext2_filsys* fs_ = nullptr;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_EXT_VOLUME_H_
