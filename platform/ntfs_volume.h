// NtfsVolume: an NTFS filesystem inside a disk (block device or image file),
// opened with libntfs-3g at a byte offset so that the client can put a node's
// answer files (sysprep.inf, unattend.xml, drivers) and edit its registry
// hive without mounting and without loop devices.
//
// Paths use '/' and are looked up case-insensitively, as Windows does:
// "/Windows/System32/config/SYSTEM" is C:\Windows\System32\config\SYSTEM.
// Messages name the device, the partition offset and the Windows path.
// Not thread-safe: one thread at a time.
#ifndef FLEETCAST_PLATFORM_NTFS_VOLUME_H_
#define FLEETCAST_PLATFORM_NTFS_VOLUME_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/coding.h"
#include "core/free_space_map.h"
#include "core/status.h"

namespace fleetcast {

class NtfsVolume {
 public:
  /// Opens the NTFS filesystem of `size` bytes at `offset` in device_or_file
  /// (size 0: up to the end). Writable opens refuse a hibernated Windows, one
  /// left unclean (fast startup, crash) and a volume marked dirty, since
  /// writing behind Windows' back would lose data.
  static Result<std::unique_ptr<NtfsVolume>> Open(const std::string& device_or_file,
                                                  uint64_t offset, uint64_t size, bool writable);

  ~NtfsVolume();  // Close()s if still open, ignoring errors
  NtfsVolume(const NtfsVolume&) = delete;
  NtfsVolume& operator=(const NtfsVolume&) = delete;

  /// The unnamed data stream of a file.
  Result<Bytes> ReadFile(std::string_view path);
  /// Creates or replaces a file with `bytes` (an existing file is truncated
  /// to the new size), creating missing parent directories.
  Status WriteFile(std::string_view path, ByteView bytes);
  /// True if a file or directory exists at path.
  bool Exists(std::string_view path);
  /// The byte ranges, counted from the start of the volume, that its cluster
  /// bitmap ($Bitmap) marks free. Refuses a volume marked dirty, whose
  /// bitmap chkdsk may still have to correct, and a hibernated Windows
  /// (hiberfil.sys starting "hibr" or "HIBR"), which resumes with the bitmap
  /// in its memory image rather than the one on disk.
  Result<std::vector<ByteRange>> FreeRanges();
  /// Writes every change to the disk and releases the volume; errors mean
  /// the changes may not all be on the disk. Later calls fail.
  Status Close();

 private:
  struct Impl;  // the device, the libntfs-3g volume, and the helpers that use them
  explicit NtfsVolume(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_NTFS_VOLUME_H_
