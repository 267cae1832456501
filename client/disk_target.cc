#include "client/disk_target.h"

#include <sys/stat.h>

#include <algorithm>

#include "platform/mapped_view.h"

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

Status DiskTarget::ZeroChunk(const ChunkTable& table, uint32_t index, bool check, Bytes* buffer,
                             bool* written) const {
  *written = false;
  buffer->resize(table.RawLength(index));
  if (check) {
    if (Status s = file_.ReadAt(table.RawOffset(index), *buffer); !s.ok()) return s;
    if (std::all_of(buffer->begin(), buffer->end(), [](uint8_t b) { return b == 0; })) {
      return Status::OK();
    }
  }
  std::fill(buffer->begin(), buffer->end(), 0);
  *written = true;
  return Write(table.RawOffset(index), *buffer);
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

Result<Digest128> DiskTarget::ReadDigestInPieces(const ChunkTable& table, uint32_t index,
                                                 Bytes* buffer) const {
  // Fits in a core's L2 cache, so the hash reads what the copy just wrote.
  constexpr uint64_t kPiece = uint64_t{128} << 10;
  const uint64_t start = table.RawOffset(index);
  const uint64_t length = table.RawLength(index);
  Xxh3_128Stream digest;
  for (uint64_t at = 0; at < length; at += kPiece) {
    buffer->resize(std::min(kPiece, length - at));
    if (Status s = file_.ReadAt(start + at, *buffer); !s.ok()) return s;
    digest.Update(*buffer);
  }
  return digest.Finish();
}

Result<Digest128> DiskTarget::MapDigest(const ChunkTable& table, uint32_t index,
                                        Bytes* buffer) const {
  Result<MappedView> view = MappedView::Map(file_, table.RawOffset(index), table.RawLength(index));
  if (!view.ok()) return ReadDigestInPieces(table, index, buffer);
  return Xxh3_128(view->bytes());
}

}  // namespace fleetcast
