#include "server/packer.h"

#include <spdlog/spdlog.h>
#include <zstd.h>

#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "core/chunk_codec.h"
#include "core/worker_pool.h"
#include "platform/file.h"
#include "platform/interrupt.h"
#include "platform/key_files.h"
#include "platform/progress_line.h"
#include "server/clone_check.h"
#include "server/source_free_space.h"

namespace fleetcast {

namespace {

struct ChunkJobResult {
  Status status;
  PackedChunk chunk;
};

/// Writes the chunks of one pack in order and remembers their entries.
class PackWriter {
 public:
  explicit PackWriter(File* out) : out_(out) {}

  Status Add(uint32_t index, const PackedChunk& chunk) {
    if (chunk.zero) return Status::OK();
    if (Status s = out_->WriteAt(offset_, chunk.stored); !s.ok()) return s;
    entries_.push_back({index, static_cast<uint32_t>(chunk.stored.size()), offset_,
                        chunk.stored_digest, chunk.raw_digest, chunk.strong_digest});
    offset_ += chunk.stored.size();
    stored_bytes_ += chunk.stored.size();
    return Status::OK();
  }

  /// Writes manifest (signed with `key` unless null), then header, then
  /// syncs; returns the manifest.
  Result<image::Manifest> Finish(const PackOptions& options, uint64_t raw_size,
                                 std::vector<PartitionUsage> partitions,
                                 const sign::SecretKey* key) {
    Result<ChunkTable> table = ChunkTable::Make(raw_size, options.chunk_size, std::move(entries_));
    if (!table.ok()) return table.status();
    image::Manifest manifest;
    manifest.table = std::move(table).value();
    manifest.level = options.level;
    manifest.label = options.label;
    manifest.flags = image::Manifest::kFlagStrongDigests;
    manifest.image_digest = manifest.table.ImageDigest();
    manifest.partitions = std::move(partitions);
    if (key != nullptr) {
      if (Status s = manifest.SignWith(*key); !s.ok()) return s;
    }
    Bytes bytes;
    manifest.EncodeTo(&bytes);
    if (Status s = out_->WriteAt(offset_, bytes); !s.ok()) return s;
    image::FileHeader header;
    header.manifest_offset = offset_;
    header.manifest_size = bytes.size();
    header.manifest_digest = Xxh3_64(bytes);
    // Everything the header points at must be on disk before the header is.
    if (Status s = out_->Sync(); !s.ok()) return s;
    Bytes head;
    header.EncodeTo(&head);
    if (Status s = out_->WriteAt(0, head); !s.ok()) return s;
    if (Status s = out_->Sync(); !s.ok()) return s;
    file_size_ = offset_ + bytes.size();
    return manifest;
  }

  uint64_t stored_bytes() const { return stored_bytes_; }
  uint64_t file_size() const { return file_size_; }

 private:
  File* out_;
  uint64_t offset_ = image::kDataOffset;
  uint64_t stored_bytes_ = 0;
  uint64_t file_size_ = 0;
  std::vector<ChunkEntry> entries_;
};

std::string RatioText(uint64_t raw, uint64_t stored) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "ratio %.2f", stored ? static_cast<double>(raw) / stored : 0.0);
  return buf;
}

Status CheckSource(const PackOptions& options, const File& source) {
  if (source.size() == 0) {
    return Status::InvalidArgument(options.source + ": is empty; pack a disk image or device");
  }
  if (source.size() % ChunkTable::kSectorSize != 0) {
    return Status::InvalidArgument(options.source + ": size " + std::to_string(source.size()) +
                                   " is not a multiple of 512 bytes; a disk image is whole "
                                   "sectors");
  }
  if (SameFile(options.source, options.output)) {
    return Status::InvalidArgument(options.output +
                                   ": is the source itself; choose another output path");
  }
  return ChunkTable::CheckGeometry(source.size(), options.chunk_size).Prefixed(options.source);
}

/// Reads, trims and compresses one chunk. A chunk wholly in free space is
/// not even read: it is stored as a zero chunk. Free bytes of the others are
/// zeroed, so they compress to nothing and unpack as zeros.
ChunkJobResult PackOneChunk(const File& source, const ChunkTable& geometry, uint32_t index,
                            const FreeSpaceMap& free, ChunkCompressor* compressor) {
  ChunkJobResult r;
  const uint64_t offset = geometry.RawOffset(index);
  const uint32_t length = geometry.RawLength(index);
  if (free.Covers(offset, length)) {
    r.chunk.zero = true;
    return r;
  }
  Bytes raw(length);
  r.status = source.ReadAt(offset, raw);
  if (!r.status.ok()) return r;
  free.ZeroFree(offset, raw);
  r.status = compressor->Pack(raw, &r.chunk);
  return r;
}

/// Runs the pipeline: up to `window` chunks in flight, written in order.
Status PackChunks(const PackOptions& options, const File& source, const FreeSpaceMap& free,
                  PackWriter* writer) {
  const size_t workers = WorkerPool::Resolve(options.threads);
  std::vector<std::unique_ptr<ChunkCompressor>> compressors;
  for (size_t i = 0; i < workers; ++i) {
    compressors.push_back(std::make_unique<ChunkCompressor>(options.level));
  }
  const ChunkTable geometry = ChunkTable::Make(source.size(), options.chunk_size, {}).value();
  ProgressLine progress("pack", source.size());
  std::deque<std::future<ChunkJobResult>> pending;
  const size_t window = workers * 4;
  WorkerPool pool(workers);  // last: its jobs use everything above
  uint32_t next = 0, written = 0;
  uint64_t done = 0;
  while (written < geometry.chunk_count()) {
    while (next < geometry.chunk_count() && pending.size() < window) {
      const uint32_t index = next++;
      pending.push_back(pool.Submit([&, index](size_t worker) {
        return PackOneChunk(source, geometry, index, free, compressors[worker].get());
      }));
    }
    ChunkJobResult r = pending.front().get();
    pending.pop_front();
    if (!r.status.ok()) return r.status;
    if (Status s = writer->Add(written, r.chunk); !s.ok()) return s;
    done += geometry.RawLength(written);
    ++written;
    if (Interrupted()) return Status::Interrupted(options.output + ": pack interrupted");
    progress.Update(done, RatioText(done, writer->stored_bytes()));
  }
  progress.Finish(done, RatioText(done, writer->stored_bytes()));
  return Status::OK();
}

}  // namespace

Status CheckPackOptions(const PackOptions& options) {
  if (options.level < ZSTD_minCLevel() || options.level > ZSTD_maxCLevel() || options.level == 0) {
    return Status::InvalidArgument("--level " + std::to_string(options.level) +
                                   ": not a zstd level; use 1.." +
                                   std::to_string(ZSTD_maxCLevel()) + " or a negative fast level");
  }
  if (options.label.size() > image::kMaxLabelLength) {
    return Status::InvalidArgument("--label: longer than 256 bytes; shorten it");
  }
  const bool power_of_two = (options.chunk_size & (options.chunk_size - 1)) == 0;
  if (!power_of_two || options.chunk_size < ChunkTable::kMinChunkSize ||
      options.chunk_size > ChunkTable::kMaxChunkSize) {
    return Status::InvalidArgument("--chunk-size " + std::to_string(options.chunk_size) +
                                   ": use a power of two from 4K to 64M");
  }
  return Status::OK();
}

// A clone resealed again corrupts its settings: only a master is packed.
Status CheckNotAClone(const PackOptions& options) {
  Result<std::optional<CloneMark>> mark = FindCloneMark(options.source);
  if (!mark.ok()) return mark.status();
  if (!*mark) return Status::OK();
  if (options.force) {
    spdlog::warn("{}: Windows there is a clone (Setup\\CloneTag = {}); packing it as --force says",
                 (*mark)->where, (*mark)->tag);
    return Status::OK();
  }
  return Status::InvalidArgument(
      (*mark)->where + ": its Windows is already a clone (SYSTEM\\Setup\\CloneTag = \"" +
      (*mark)->tag +
      "\"); resealing a clone corrupts its settings; pack the master it was "
      "cloned from, or pass --force");
}

Result<PackSummary> Pack(const PackOptions& options) {
  if (Status s = CheckPackOptions(options); !s.ok()) return s;
  // The key is read first, so a bad one fails before a long pack, not after.
  std::optional<sign::SecretKey> key;
  if (!options.sign_key.empty()) {
    Result<sign::SecretKey> loaded = LoadSecretKey(options.sign_key);
    if (!loaded.ok()) return loaded.status();
    key = *loaded;
  }
  Result<File> source = File::OpenRead(options.source);
  if (!source.ok()) return source.status();
  if (Status s = CheckSource(options, *source); !s.ok()) return s;
  if (Status s = CheckNotAClone(options); !s.ok()) return s;
  source->AdviseSequential();

  const std::string partial = PartialPath(options.output);
  Result<File> out = File::CreateNew(partial);
  if (!out.ok()) return out.status();
  PackWriter writer(&*out);
  PackSummary summary;
  const auto start = std::chrono::steady_clock::now();
  SourceFreeSpace layout = ReadSourceFreeSpace(options.source);
  if (options.keep_free) layout.free = FreeSpaceMap();
  Status s = PackChunks(options, *source, layout.free, &writer);
  Result<image::Manifest> manifest =
      s.ok() ? writer.Finish(options, source->size(), std::move(layout.partitions),
                             key ? &*key : nullptr)
             : Result<image::Manifest>(s);
  if (manifest.ok()) s = CommitRename(partial, options.output);
  if (!manifest.ok() || !s.ok()) {
    RemoveQuietly(partial);
    return manifest.ok() ? s : manifest.status();
  }
  summary.manifest = std::move(manifest).value();
  summary.file_size = writer.file_size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace fleetcast
