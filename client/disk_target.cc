#include "client/disk_target.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "platform/file.h"

namespace fleetcast {

Result<DiskTarget> DiskTarget::Open(const std::string& path, uint64_t raw_size) {
  DiskTarget t;
  t.path_ = path;
  struct stat st {};
  t.existed_ = ::stat(path.c_str(), &st) == 0;
  t.block_device_ = t.existed_ && S_ISBLK(st.st_mode);
  if (t.existed_ && S_ISDIR(st.st_mode)) return ErrnoStatus(path, EISDIR);
  // O_EXCL on a block device fails with EBUSY while it, or a partition of
  // it, is mounted or otherwise claimed.
  const int flags = t.block_device_ ? (O_RDWR | O_EXCL) : (O_RDWR | O_CREAT);
  t.fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (t.fd_ < 0 && errno == EBUSY) {
    return Status::InvalidArgument("--target " + path +
                                   ": is mounted or in use; unmount it or choose another disk");
  }
  if (t.fd_ < 0) return ErrnoStatus("--target " + path, errno);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (t.block_device_ && ::ioctl(t.fd_, BLKGETSIZE64, &size) != 0) {
    return ErrnoStatus(path, errno);
  }
  if (t.block_device_ && size < raw_size) {
    return Status::InvalidArgument("--target " + path + ": disk is " + std::to_string(size) +
                                   " bytes, the image needs " + std::to_string(raw_size) +
                                   "; use a larger disk");
  }
  if (!t.block_device_ && (!t.existed_ || size < raw_size) &&
      ::ftruncate(t.fd_, static_cast<off_t>(raw_size)) != 0) {
    return ErrnoStatus("--target " + path, errno);
  }
  return t;
}

DiskTarget::DiskTarget(DiskTarget&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      block_device_(other.block_device_),
      existed_(other.existed_) {}

DiskTarget::~DiskTarget() {
  if (fd_ >= 0) ::close(fd_);
}

Status DiskTarget::Write(uint64_t offset, ByteView bytes) const {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path_, errno);
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status DiskTarget::HandleZeroChunks(const ChunkTable& table, ZeroPolicy policy) const {
  if (policy == ZeroPolicy::kLeave) return Status::OK();
  const Bytes zeros(table.chunk_size(), 0);
  for (uint32_t i = 0; i < table.chunk_count(); ++i) {
    if (table.Find(i) != nullptr) continue;
    const uint64_t offset = table.RawOffset(i);
    const uint64_t length = table.RawLength(i);
    if (policy == ZeroPolicy::kWrite) {
      if (Status s = Write(offset, ByteView(zeros.data(), length)); !s.ok()) return s;
      continue;
    }
    if (Status s = Discard(offset, length); !s.ok()) return s;
  }
  return Status::OK();
}

Status DiskTarget::Discard(uint64_t offset, uint64_t length) const {
  int rc = 0;
  if (block_device_) {
    uint64_t range[2] = {offset, length};
    rc = ::ioctl(fd_, BLKDISCARD, &range);
  } else {
    rc = ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                     static_cast<off_t>(length));
  }
  if (rc != 0) return ErrnoStatus(path_ + ": discard", errno);
  return Status::OK();
}

Status DiskTarget::Flush() const {
  if (::fsync(fd_) != 0) return ErrnoStatus(path_, errno);
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
  return Status::OK();
}

Result<Digest128> DiskTarget::ReadDigest(const ChunkTable& table, uint32_t index) const {
  Bytes raw(table.RawLength(index));
  size_t done = 0;
  while (done < raw.size()) {
    const ssize_t n = ::pread(fd_, raw.data() + done, raw.size() - done,
                              static_cast<off_t>(table.RawOffset(index) + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path_, errno);
    if (n == 0) break;  // short file: what is missing reads as absent
    done += static_cast<size_t>(n);
  }
  raw.resize(done);
  return Xxh3_128(raw);
}

}  // namespace fleetcast
