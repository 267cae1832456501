#include "server/image_scan.h"

#include <deque>
#include <future>
#include <memory>
#include <vector>

#include "core/chunk_codec.h"
#include "core/worker_pool.h"
#include "platform/interrupt.h"
#include "platform/progress_line.h"

namespace fleetcast {

Status ScanImage(const ImageReader& image, size_t threads, const std::string& verb,
                 const ChunkSink& sink) {
  const ChunkTable& table = image.table();
  const size_t workers = WorkerPool::Resolve(threads);
  std::vector<std::unique_ptr<ChunkDecompressor>> decompressors;
  for (size_t i = 0; i < workers; ++i) {
    decompressors.push_back(std::make_unique<ChunkDecompressor>());
  }
  auto job = [&](const ChunkEntry& entry, size_t worker) {
    Bytes stored;
    Bytes raw(table.RawLength(entry.index));
    Status s = image.ReadStored(entry, &stored);
    if (s.ok()) s = decompressors[worker]->Unpack(entry, stored, raw);
    if (s.ok()) s = sink(entry, raw);
    return s;
  };
  const std::vector<ChunkEntry>& entries = table.entries();
  ProgressLine progress(verb, table.stored_raw_bytes());
  std::deque<std::future<Status>> pending;
  const size_t window = workers * 4;
  WorkerPool pool(workers);  // last: its jobs use everything above
  size_t next = 0;
  uint64_t done = 0;
  for (const ChunkEntry& entry : entries) {
    while (next < entries.size() && pending.size() < window) {
      const ChunkEntry& e = entries[next++];
      pending.push_back(pool.Submit([&job, &e](size_t worker) { return job(e, worker); }));
    }
    Status s = pending.front().get();
    pending.pop_front();
    if (!s.ok()) return s.Prefixed(image.path());
    if (Interrupted()) return Status::Interrupted(image.path() + ": " + verb + " interrupted");
    done += table.RawLength(entry.index);
    progress.Update(done);
  }
  progress.Finish(done);
  if (table.ImageDigest() != image.manifest().image_digest) {
    return Status::Corruption(image.path() + ": image digest mismatch");
  }
  return Status::OK();
}

}  // namespace fleetcast
