#include "core/partition_table.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "core/coding.h"

namespace fleetcast {

namespace {

// MBR (sector 0) and EBR: four 16-byte entries at 446, then 0x55 0xAA.
constexpr size_t kMbrEntriesOffset = 446;
constexpr size_t kMbrEntrySize = 1 + 3 + 1 + 3 + 4 + 4;  // boot, CHS, type, CHS, first LBA, count
constexpr size_t kMbrSignatureOffset = kMbrEntriesOffset + 4 * kMbrEntrySize;
static_assert(kMbrSignatureOffset == 510);
constexpr uint8_t kTypeProtectiveGpt = 0xEE;
// A chain this long is a loop or garbage; Linux stops far earlier.
constexpr int kMaxLogicalPartitions = 256;

// GPT header (LBA 1) fields and the entry array it describes.
constexpr char kGptSignature[] = "EFI PART";
constexpr size_t kGptHeaderMinSize = 92;
constexpr size_t kGptHeaderCrcOffset = 16;
constexpr size_t kGptEntriesLbaOffset = 72;
constexpr size_t kGptEntryCountOffset = 80;
constexpr size_t kGptEntrySizeOffset = 84;
constexpr size_t kGptEntriesCrcOffset = 88;
constexpr size_t kGptEntryMinSize = 128;  // type GUID, unique GUID, first, last, attrs, name
constexpr uint64_t kGptEntriesMaxBytes = 1 << 20;

constexpr const char* kDamagedAdvice =
    "repair the partition table (gdisk, fdisk) or image the disk again";

struct MbrEntry {
  uint8_t type = 0;
  uint32_t first_lba = 0;
  uint32_t sectors = 0;
};

MbrEntry DecodeMbrEntry(const Bytes& sector, int slot) {
  const uint8_t* e = sector.data() + kMbrEntriesOffset + slot * kMbrEntrySize;
  return {e[4], DecodeFixed32(e + 8), DecodeFixed32(e + 12)};
}

bool HasBootSignature(const Bytes& sector) {
  return sector[kMbrSignatureOffset] == 0x55 && sector[kMbrSignatureOffset + 1] == 0xAA;
}

bool IsExtended(uint8_t type) { return type == 0x05 || type == 0x0F || type == 0x85; }

std::string Hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

uint32_t Crc32(ByteView bytes) {
  return static_cast<uint32_t>(::crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

// Reads `bytes` at byte offset `offset`, failing clearly if they lie past the end.
Result<Bytes> ReadRange(const DiskReader& read, uint64_t disk_size, uint64_t offset, uint64_t bytes,
                        const std::string& what) {
  if (offset > disk_size || bytes > disk_size - offset) {
    return Status::Corruption("partition table: " + what + " lies past the end of the disk (" +
                              std::to_string(disk_size) + " bytes); " + kDamagedAdvice);
  }
  Bytes out(bytes);
  if (Status s = read(offset, out); !s.ok()) return s;
  return out;
}

// Checks that [first_lba, first_lba + sectors) is inside the disk.
Status CheckInside(uint64_t first_lba, uint64_t sectors, uint64_t disk_size,
                   const std::string& what) {
  const uint64_t disk_sectors = disk_size / kSectorSize;
  if (first_lba > disk_sectors || sectors > disk_sectors - first_lba) {
    return Status::Corruption("partition table: " + what + " (sectors " +
                              std::to_string(first_lba) + "+" + std::to_string(sectors) +
                              ") lies past the end of the disk (" + std::to_string(disk_sectors) +
                              " sectors); " + kDamagedAdvice);
  }
  return Status::OK();
}

Partition MakeMbrPartition(int number, uint64_t first_lba, uint64_t sectors, uint8_t type) {
  return {number, first_lba * kSectorSize, sectors * kSectorSize, "mbr:" + Hex(type, 2)};
}

// Follows the EBR chain of the extended partition at ext_lba. In each EBR,
// entry 0 is the logical partition (relative to that EBR) and entry 1 links to
// the next EBR (relative to the extended partition's start).
Status ReadLogicalPartitions(const DiskReader& read, uint64_t disk_size, uint64_t ext_lba,
                             uint64_t ext_sectors, std::vector<Partition>* parts) {
  std::set<uint64_t> seen;
  uint64_t ebr_lba = ext_lba;
  for (int number = 5;; ++number) {
    const std::string what = "extended boot record " + std::to_string(number);
    if (number - 5 >= kMaxLogicalPartitions || !seen.insert(ebr_lba).second) {
      return Status::Corruption("partition table: " + what + " loops back to an earlier one; " +
                                kDamagedAdvice);
    }
    Result<Bytes> ebr = ReadRange(read, disk_size, ebr_lba * kSectorSize, kSectorSize, what);
    if (!ebr.ok()) return ebr.status();
    if (!HasBootSignature(*ebr)) {
      return Status::Corruption("partition table: " + what + " at sector " +
                                std::to_string(ebr_lba) + " has no 0x55AA signature; " +
                                kDamagedAdvice);
    }
    const MbrEntry logical = DecodeMbrEntry(*ebr, 0);
    if (logical.type != 0 && logical.sectors != 0) {
      const uint64_t first = ebr_lba + logical.first_lba;
      if (Status s =
              CheckInside(first, logical.sectors, disk_size, "partition " + std::to_string(number));
          !s.ok()) {
        return s;
      }
      parts->push_back(MakeMbrPartition(number, first, logical.sectors, logical.type));
    }
    const MbrEntry link = DecodeMbrEntry(*ebr, 1);
    if (!IsExtended(link.type) || link.sectors == 0) return Status::OK();
    if (link.first_lba >= ext_sectors) {
      return Status::Corruption("partition table: " + what + " links outside its extended " +
                                "partition; " + kDamagedAdvice);
    }
    ebr_lba = ext_lba + link.first_lba;
  }
}

Result<std::vector<Partition>> ReadMbr(const DiskReader& read, uint64_t disk_size,
                                       const Bytes& sector0) {
  std::vector<Partition> parts;
  std::vector<MbrEntry> extended;
  for (int slot = 0; slot < 4; ++slot) {
    const MbrEntry e = DecodeMbrEntry(sector0, slot);
    if (e.type == 0 || e.sectors == 0) continue;
    const std::string what = "partition " + std::to_string(slot + 1);
    if (Status s = CheckInside(e.first_lba, e.sectors, disk_size, what); !s.ok()) return s;
    if (IsExtended(e.type)) {
      extended.push_back(e);
    } else {
      parts.push_back(MakeMbrPartition(slot + 1, e.first_lba, e.sectors, e.type));
    }
  }
  if (extended.size() > 1) {
    return Status::Corruption(
        "partition table: the MBR holds more than one extended "
        "partition; " +
        std::string(kDamagedAdvice));
  }
  for (const MbrEntry& e : extended) {
    if (Status s = ReadLogicalPartitions(read, disk_size, e.first_lba, e.sectors, &parts);
        !s.ok()) {
      return s;
    }
  }
  return parts;
}

// GUIDs are stored mixed-endian: the first three fields little-endian, the
// last eight bytes in order.
std::string GuidToString(const uint8_t* g) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
                DecodeFixed32(g), DecodeFixed16(g + 4), DecodeFixed16(g + 6), g[8], g[9], g[10],
                g[11], g[12], g[13], g[14], g[15]);
  return buf;
}

struct GptHeader {
  uint64_t entries_lba = 0;
  uint32_t entry_count = 0;
  uint32_t entry_size = 0;
  uint32_t entries_crc = 0;
};

Result<GptHeader> DecodeGptHeader(Bytes sector) {
  if (std::memcmp(sector.data(), kGptSignature, 8) != 0) {
    return Status::Corruption(
        "partition table: the MBR says GPT but sector 1 has no \"EFI "
        "PART\" signature; " +
        std::string(kDamagedAdvice));
  }
  const uint32_t header_size = DecodeFixed32(sector.data() + 12);
  if (header_size < kGptHeaderMinSize || header_size > kSectorSize) {
    return Status::Corruption("partition table: GPT header size " + std::to_string(header_size) +
                              " is invalid; " + kDamagedAdvice);
  }
  const uint32_t stored = DecodeFixed32(sector.data() + kGptHeaderCrcOffset);
  EncodeFixed32(sector.data() + kGptHeaderCrcOffset, 0);
  const uint32_t computed = Crc32(ByteView(sector.data(), header_size));
  if (stored != computed) {
    return Status::Corruption("partition table: GPT header CRC32 mismatch (stored " +
                              Hex(stored, 8) + ", computed " + Hex(computed, 8) + "); " +
                              kDamagedAdvice);
  }
  GptHeader h;
  h.entries_lba = DecodeFixed64(sector.data() + kGptEntriesLbaOffset);
  h.entry_count = DecodeFixed32(sector.data() + kGptEntryCountOffset);
  h.entry_size = DecodeFixed32(sector.data() + kGptEntrySizeOffset);
  h.entries_crc = DecodeFixed32(sector.data() + kGptEntriesCrcOffset);
  if (h.entry_size < kGptEntryMinSize || h.entry_size % 8 != 0 ||
      static_cast<uint64_t>(h.entry_count) * h.entry_size > kGptEntriesMaxBytes) {
    return Status::Corruption("partition table: GPT entry array (" + std::to_string(h.entry_count) +
                              " entries of " + std::to_string(h.entry_size) +
                              " bytes) is invalid; " + kDamagedAdvice);
  }
  return h;
}

Result<std::vector<Partition>> ReadGpt(const DiskReader& read, uint64_t disk_size) {
  Result<Bytes> sector = ReadRange(read, disk_size, kSectorSize, kSectorSize, "GPT header");
  if (!sector.ok()) return sector.status();
  Result<GptHeader> h = DecodeGptHeader(std::move(sector).value());
  if (!h.ok()) return h.status();
  const uint64_t array_bytes = static_cast<uint64_t>(h->entry_count) * h->entry_size;
  if (h->entries_lba > disk_size / kSectorSize) {
    return Status::Corruption("partition table: GPT entry array lies past the end of the disk; " +
                              std::string(kDamagedAdvice));
  }
  Result<Bytes> array =
      ReadRange(read, disk_size, h->entries_lba * kSectorSize, array_bytes, "GPT entry array");
  if (!array.ok()) return array.status();
  if (const uint32_t computed = Crc32(*array); computed != h->entries_crc) {
    return Status::Corruption("partition table: GPT entry array CRC32 mismatch (stored " +
                              Hex(h->entries_crc, 8) + ", computed " + Hex(computed, 8) + "); " +
                              kDamagedAdvice);
  }
  std::vector<Partition> parts;
  for (uint32_t i = 0; i < h->entry_count; ++i) {
    const uint8_t* e = array->data() + static_cast<size_t>(i) * h->entry_size;
    if (std::all_of(e, e + 16, [](uint8_t b) { return b == 0; })) continue;
    const uint64_t first = DecodeFixed64(e + 32);
    const uint64_t last = DecodeFixed64(e + 40);
    const std::string what = "partition " + std::to_string(i + 1);
    if (last < first) {
      return Status::Corruption("partition table: " + what + " ends before it starts; " +
                                kDamagedAdvice);
    }
    if (Status s = CheckInside(first, last - first + 1, disk_size, what); !s.ok()) return s;
    parts.push_back({static_cast<int>(i + 1), first * kSectorSize, (last - first + 1) * kSectorSize,
                     "gpt:" + GuidToString(e)});
  }
  return parts;
}

}  // namespace

FsKind DetectFilesystem(std::span<const uint8_t> first_4k) {
  constexpr size_t kNtfsOemOffset = 3;
  constexpr size_t kExtMagicOffset = 1024 + 56;  // superblock at 1024, s_magic at 56
  if (first_4k.size() >= kNtfsOemOffset + 8 &&
      std::memcmp(first_4k.data() + kNtfsOemOffset, "NTFS    ", 8) == 0) {
    return FsKind::kNtfs;
  }
  if (first_4k.size() >= kExtMagicOffset + 2 &&
      DecodeFixed16(first_4k.data() + kExtMagicOffset) == 0xEF53) {
    return FsKind::kExt;
  }
  return FsKind::kUnknown;
}

const char* FsKindName(FsKind kind) {
  switch (kind) {
    case FsKind::kNtfs:
      return "NTFS";
    case FsKind::kExt:
      return "ext2/3/4";
    case FsKind::kUnknown:
      break;
  }
  return "unknown";
}

Result<std::vector<Partition>> ReadPartitionTable(const DiskReader& read, uint64_t disk_size) {
  if (disk_size < kSectorSize) {
    return Status::InvalidArgument("partition table: the disk holds " + std::to_string(disk_size) +
                                   " bytes, less than one sector; check the disk");
  }
  Result<Bytes> head = ReadRange(read, disk_size, 0, std::min<uint64_t>(disk_size, 4096), "");
  if (!head.ok()) return head.status();
  // An NTFS boot sector also ends in 0x55AA, so it is recognised before the
  // MBR is trusted; an ext superblock sits past the MBR in sector 2.
  const FsKind fs = DetectFilesystem(*head);
  if (fs != FsKind::kNtfs && HasBootSignature(*head)) {
    for (int slot = 0; slot < 4; ++slot) {
      if (DecodeMbrEntry(*head, slot).type == kTypeProtectiveGpt) return ReadGpt(read, disk_size);
    }
    Result<std::vector<Partition>> parts = ReadMbr(read, disk_size, *head);
    if (!parts.ok() || !parts->empty()) return parts;
  }
  if (fs != FsKind::kUnknown) return std::vector<Partition>{{0, 0, disk_size, "none"}};
  return Status::NotFound(
      "partition table: the disk has neither an MBR or GPT partition "
      "table nor a known filesystem at its start; check that the image "
      "was written to this disk");
}

}  // namespace fleetcast
