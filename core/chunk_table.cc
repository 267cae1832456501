#include "core/chunk_table.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <string>

namespace fleetcast {

void ChunkEntry::EncodeTo(Bytes* dst, bool strong) const {
  PutFixed32(dst, index);
  PutFixed32(dst, stored_size);
  PutFixed64(dst, offset);
  PutFixed64(dst, stored_digest);
  PutDigest128(dst, raw_digest);
  if (strong) PutBytes(dst, strong_digest);
}

bool ChunkEntry::DecodeFrom(ByteReader* reader, bool strong) {
  if (reader->remaining() < (strong ? kStrongEncodedLength : kEncodedLength)) return false;
  reader->GetFixed32(&index);
  reader->GetFixed32(&stored_size);
  reader->GetFixed64(&offset);
  reader->GetFixed64(&stored_digest);
  GetDigest128(reader, &raw_digest);
  ByteView hash;
  if (strong && reader->GetBytes(strong_digest.size(), &hash)) {
    std::copy(hash.begin(), hash.end(), strong_digest.begin());
  }
  return true;
}

Status ChunkTable::CheckGeometry(uint64_t raw_size, uint32_t chunk_size) {
  const bool power_of_two = chunk_size != 0 && (chunk_size & (chunk_size - 1)) == 0;
  if (!power_of_two || chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
    return Status::InvalidArgument("chunk size " + std::to_string(chunk_size) +
                                   " is not a power of two from 4 KiB to 64 MiB");
  }
  if (raw_size == 0 || raw_size % kSectorSize != 0) {
    return Status::InvalidArgument("raw size " + std::to_string(raw_size) +
                                   " is not a non-zero multiple of 512 bytes");
  }
  if ((raw_size + chunk_size - 1) / chunk_size > kMaxChunkCount) {
    return Status::InvalidArgument("raw size " + std::to_string(raw_size) + " needs more than " +
                                   std::to_string(kMaxChunkCount) +
                                   " chunks; use a larger chunk size");
  }
  return Status::OK();
}

uint64_t ChunkTable::MaxStoredSize(uint32_t raw_length) { return ZSTD_compressBound(raw_length); }

ChunkTable::ChunkTable(uint64_t raw_size, uint32_t chunk_size, std::vector<ChunkEntry> entries)
    : raw_size_(raw_size),
      chunk_size_(chunk_size),
      chunk_count_(static_cast<uint32_t>((raw_size + chunk_size - 1) / chunk_size)),
      entries_(std::move(entries)) {
  for (const ChunkEntry& e : entries_) {
    stored_bytes_ += e.stored_size;
    stored_raw_bytes_ += RawLength(e.index);
  }
  zero_digest_ = ZeroDigest128(chunk_size_);
  last_zero_digest_ = ZeroDigest128(RawLength(chunk_count_ - 1));
}

Result<ChunkTable> ChunkTable::Make(uint64_t raw_size, uint32_t chunk_size,
                                    std::vector<ChunkEntry> entries) {
  if (Status s = CheckGeometry(raw_size, chunk_size); !s.ok()) return s;
  const uint64_t count = (raw_size + chunk_size - 1) / chunk_size;
  const uint64_t max_stored = MaxStoredSize(chunk_size);
  for (size_t i = 0; i < entries.size(); ++i) {
    const ChunkEntry& e = entries[i];
    const std::string where = "chunk table entry " + std::to_string(i);
    if (e.index >= count) {
      return Status::Corruption(where + ": chunk " + std::to_string(e.index) +
                                " is past the image's " + std::to_string(count) + " chunks");
    }
    if (i > 0 && e.index <= entries[i - 1].index) {
      return Status::Corruption(where + ": chunk " + std::to_string(e.index) + " is out of order");
    }
    if (e.stored_size == 0 || e.stored_size > max_stored) {
      return Status::Corruption("chunk " + std::to_string(e.index) + ": stored size " +
                                std::to_string(e.stored_size) + " is out of range");
    }
    if (i > 0 && e.offset < entries[i - 1].offset + entries[i - 1].stored_size) {
      return Status::Corruption("chunk " + std::to_string(e.index) +
                                ": file range overlaps the previous chunk");
    }
  }
  return ChunkTable(raw_size, chunk_size, std::move(entries));
}

const ChunkEntry* ChunkTable::Find(uint32_t index) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), index,
                             [](const ChunkEntry& e, uint32_t i) { return e.index < i; });
  if (it == entries_.end() || it->index != index) return nullptr;
  return &*it;
}

uint32_t ChunkTable::RawLength(uint32_t index) const {
  const uint64_t end = std::min(raw_size_, RawOffset(index) + chunk_size_);
  return static_cast<uint32_t>(end - RawOffset(index));
}

Digest128 ChunkTable::RawDigest(uint32_t index) const {
  if (const ChunkEntry* e = Find(index)) return e->raw_digest;
  return index + 1 == chunk_count_ ? last_zero_digest_ : zero_digest_;
}

Digest128 ChunkTable::ImageDigest() const {
  std::vector<Digest128> digests;
  digests.reserve(chunk_count_);
  auto next_stored = entries_.begin();
  for (uint32_t i = 0; i < chunk_count_; ++i) {
    if (next_stored != entries_.end() && next_stored->index == i) {
      digests.push_back((next_stored++)->raw_digest);
    } else {
      digests.push_back(i + 1 == chunk_count_ ? last_zero_digest_ : zero_digest_);
    }
  }
  return CombineDigests(digests);
}

Digest128 ChunkTable::CombineDigests(const std::vector<Digest128>& digests) {
  Bytes list;
  list.reserve(digests.size() * kDigest128Length);
  for (const Digest128& d : digests) PutDigest128(&list, d);
  return Xxh3_128(list);
}

}  // namespace fleetcast
