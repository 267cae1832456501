#include "client/disk_target.h"

#include <sys/stat.h>

namespace fleetcast {

Result<DiskTarget> DiskTarget::Open(const std::string& path, uint64_t raw_size) {
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  Result<File> file = File::OpenTarget(path);
  if (!file.ok()) return file.status().Prefixed("--target", " ");
  if (file->is_block_device() && file->size() < raw_size) {
    return Status::InvalidArgument("--target " + path + ": disk is " +
                                   std::to_string(file->size()) + " bytes, the image needs " +
                                   std::to_string(raw_size) + "; use a larger disk");
  }
  if (!file->is_block_device() && file->size() < raw_size) {
    if (Status s = file->Truncate(raw_size); !s.ok()) return s.Prefixed("--target", " ");
  }
  return DiskTarget(std::move(file).value(), existed);
}

Status DiskTarget::HandleZeroChunks(const ChunkTable& table, ZeroPolicy policy) const {
  if (policy == ZeroPolicy::kLeave) return Status::OK();
  const Bytes zeros(table.chunk_size(), 0);
  for (uint32_t i = 0; i < table.chunk_count(); ++i) {
    if (table.Find(i) != nullptr) continue;
    Status s = policy == ZeroPolicy::kWrite
                   ? Write(table.RawOffset(i), ByteView(zeros.data(), table.RawLength(i)))
                   : file_.Discard(table.RawOffset(i), table.RawLength(i));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status DiskTarget::Flush() const {
  if (Status s = file_.Sync(); !s.ok()) return s;
  file_.DropCache();
  return Status::OK();
}

Result<Digest128> DiskTarget::ReadDigest(const ChunkTable& table, uint32_t index,
                                         Bytes* buffer) const {
  buffer->resize(table.RawLength(index));
  if (Status s = file_.ReadAt(table.RawOffset(index), *buffer); !s.ok()) return s;
  return Xxh3_128(*buffer);
}

}  // namespace fleetcast
