#include "server/image_volumes.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "core/chunk_codec.h"

namespace fleetcast {

namespace {

// Reads raw disk bytes out of the packed image, one decompressed chunk at a
// time (kept, since the table and the partitions' heads share few chunks).
class ImageDiskReader {
 public:
  explicit ImageDiskReader(const ImageReader& image) : image_(image) {}

  Status Read(uint64_t offset, std::span<uint8_t> out) {
    const ChunkTable& table = image_.table();
    if (offset > table.raw_size() || out.size() > table.raw_size() - offset) {
      return Status::Corruption(image_.path() + ": read past the end of the disk");
    }
    size_t done = 0;
    while (done < out.size()) {
      const uint64_t at = offset + done;
      const auto index = static_cast<uint32_t>(at / table.chunk_size());
      Result<const Bytes*> chunk = Chunk(index);
      if (!chunk.ok()) return chunk.status();
      const uint64_t in_chunk = at - table.RawOffset(index);
      const size_t n = std::min<uint64_t>(out.size() - done, (*chunk)->size() - in_chunk);
      std::memcpy(out.data() + done, (*chunk)->data() + in_chunk, n);
      done += n;
    }
    return Status::OK();
  }

 private:
  Result<const Bytes*> Chunk(uint32_t index) {
    auto [it, fresh] = chunks_.try_emplace(index);
    if (!fresh) return &it->second;
    const ChunkTable& table = image_.table();
    it->second.assign(table.RawLength(index), 0);
    const ChunkEntry* entry = table.Find(index);
    if (entry == nullptr) return &it->second;  // a zero chunk
    if (Status s = image_.ReadStored(*entry, &stored_); !s.ok()) return s;
    if (Status s = decompressor_.Unpack(*entry, stored_, it->second); !s.ok()) {
      return s.Prefixed(image_.path());
    }
    return &it->second;
  }

  const ImageReader& image_;
  ChunkDecompressor decompressor_;
  Bytes stored_;
  std::map<uint32_t, Bytes> chunks_;
};

}  // namespace

Result<std::vector<ImageVolume>> ImageVolumes(const ImageReader& image) {
  ImageDiskReader reader(image);
  const DiskReader read = [&reader](uint64_t offset, std::span<uint8_t> out) {
    return reader.Read(offset, out);
  };
  Result<std::vector<Partition>> partitions = ReadPartitionTable(read, image.table().raw_size());
  if (!partitions.ok()) return std::vector<ImageVolume>();  // no table: no volumes we know
  std::vector<ImageVolume> volumes;
  std::array<uint8_t, 4096> head{};
  for (const Partition& p : *partitions) {
    if (p.size < head.size()) continue;
    if (Status s = read(p.offset, head); !s.ok()) return s;
    volumes.push_back({p, DetectFilesystem(head)});
  }
  return volumes;
}

}  // namespace fleetcast
