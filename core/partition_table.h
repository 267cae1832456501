// Partition tables of a written disk: where each filesystem starts, so the
// client can open it in place (no loop devices, no mounting) and put the
// node's answer files into it.
//
// Reads MBR (four primary entries, logical partitions through the chain of
// extended boot records) and GPT (header at LBA 1 and its entry array, both
// checked against their CRC32; a protective MBR entry of type 0xEE means GPT).
// A disk with no table whose first sector holds a known filesystem is one
// "superfloppy" partition. Sectors are 512 bytes. Pure: the disk is reached
// only through the read callback.
#ifndef FLEETCAST_CORE_PARTITION_TABLE_H_
#define FLEETCAST_CORE_PARTITION_TABLE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace fleetcast {

inline constexpr uint64_t kSectorSize = 512;

struct Partition {
  int number = 0;       // as Linux names it: 1-4 primary, 5+ logical, GPT slot + 1; 0 superfloppy
  uint64_t offset = 0;  // bytes from the start of the disk
  uint64_t size = 0;    // bytes
  std::string type;     // "mbr:0x07", "gpt:EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "none"
};

/// Reads exactly out.size() bytes of the disk at offset.
using DiskReader = std::function<Status(uint64_t offset, std::span<uint8_t> out)>;

/// The partitions of a disk of disk_size bytes, in table order (GPT: slot
/// order, unused slots skipped). Errors: kCorruption for a damaged table (bad
/// CRC, entries outside the disk, an EBR loop), kNotFound for a disk with
/// neither a table nor a known filesystem; read errors pass through.
Result<std::vector<Partition>> ReadPartitionTable(const DiskReader& read, uint64_t disk_size);

enum class FsKind : unsigned char { kUnknown, kNtfs, kExt };

/// The filesystem whose boot sector and superblock start `first_4k` (the
/// first 4 KiB of a partition; fewer bytes give kUnknown for what they miss).
FsKind DetectFilesystem(std::span<const uint8_t> first_4k);

/// "NTFS", "ext2/3/4" or "unknown", for messages.
const char* FsKindName(FsKind kind);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_PARTITION_TABLE_H_
