#include "platform/file.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace fleetcast {

namespace {

std::string FolderOf(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

Status ErrnoStatus(const std::string& path, int err) {
  const std::string what = path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return Status::NotFound(what + "; check the path");
    case EACCES:
    case EPERM:
    case EROFS:
      return Status::IOError(what + "; check permissions or choose another path");
    case ENOSPC:
    case EDQUOT:
      return Status::IOError(what + "; free space or choose another folder");
    case EISDIR:
      return Status::InvalidArgument(what + "; name a file, not a folder");
    default:
      return Status::IOError(what);
  }
}

File::File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File::File(File&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      block_device_(other.block_device_),
      size_(other.size_) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    block_device_ = other.block_device_;
    size_ = other.size_;
  }
  return *this;
}

Status File::Stat() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus(path_, errno);
  if (S_ISDIR(st.st_mode)) return ErrnoStatus(path_, EISDIR);
  block_device_ = S_ISBLK(st.st_mode);
  if (!block_device_) {
    size_ = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }
  uint64_t bytes = 0;
  if (::ioctl(fd_, BLKGETSIZE64, &bytes) != 0) return ErrnoStatus(path_, errno);
  size_ = bytes;
  return Status::OK();
}

Result<File> File::OpenRead(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  File f(fd, path);
  if (Status s = f.Stat(); !s.ok()) return s;
  return f;
}

Result<File> File::CreateNew(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return Status::NotFound(FolderOf(path) + ": no such folder; create it or choose another");
    }
    if (err == EACCES || err == EROFS || err == EPERM) {
      return Status::IOError(FolderOf(path) + ": folder is not writable (" + std::strerror(err) +
                             "); choose a writable folder");
    }
    return ErrnoStatus(path, err);
  }
  File f(fd, path);
  if (Status s = f.Stat(); !s.ok()) return s;
  return f;
}

Result<File> File::OpenDevice(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  File f(fd, path);
  if (Status s = f.Stat(); !s.ok()) return s;
  return f;
}

Result<File> File::OpenTarget(const std::string& path) {
  struct stat st {};
  const bool device = ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
  // O_EXCL on a block device fails with EBUSY while it, or a partition of
  // it, is mounted or otherwise claimed.
  const int flags = device ? (O_RDWR | O_EXCL) : (O_RDWR | O_CREAT);
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EBUSY) {
    return Status::InvalidArgument(path +
                                   ": is mounted or in use; unmount it or choose another disk");
  }
  if (fd < 0) return ErrnoStatus(path, errno);
  File f(fd, path);
  if (Status s = f.Stat(); !s.ok()) return s;
  return f;
}

Status File::ReadAt(uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path_, errno);
    if (n == 0) {
      return Status::Corruption(path_ + ": truncated: file ends before byte " +
                                std::to_string(offset + out.size()));
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status File::WriteAt(uint64_t offset, ByteView bytes) const {
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

Status File::Truncate(uint64_t length) {
  if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) return ErrnoStatus(path_, errno);
  size_ = length;
  return Status::OK();
}

Status File::Sync() const {
  if (::fsync(fd_) != 0) return ErrnoStatus(path_, errno);
  return Status::OK();
}

void File::AdviseSequential() const { ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL); }

void File::DropCache() const { ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED); }

Status File::Discard(uint64_t offset, uint64_t length) const {
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

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool IsBlockDevice(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

Status CommitRename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(to, errno);
  const std::string folder = FolderOf(to);
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(folder, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(folder, err);
  return Status::OK();
}

void RemoveQuietly(const std::string& path) { ::unlink(path.c_str()); }

std::string PartialPath(const std::string& path) {
  return path + ".partial-" + std::to_string(::getpid());
}

std::vector<std::string> SplitVolumePath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace fleetcast
