#include "platform/ntfs_volume.h"

// libntfs-3g's headers expect these from the config.h it was built with.
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>
}

#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "platform/file.h"

namespace fleetcast {

namespace {

constexpr uint64_t kSector = 512;
// Windows rejects names with these; libntfs-3g would store them anyway.
constexpr std::string_view kForbiddenNameChars = "\\:*?\"<>|";

// "C:\Windows\Panther" for "/Windows/Panther": what an admin knows it as.
std::string WindowsPath(std::string_view path) {
  std::string out = "C:";
  if (path.empty() || path.front() != '/') out += '\\';
  for (char c : path) out += c == '/' ? '\\' : c;
  return out;
}

// The partition as libntfs-3g sees it: a device whose byte 0 is `offset` in
// the file. Holds the descriptor for the life of the volume.
struct PartitionDevice {
  std::string name;  // the device or file, for messages
  int fd = -1;
  uint64_t offset = 0;
  uint64_t size = 0;
  int64_t position = 0;  // for libntfs-3g's seek/read/write calls

  PartitionDevice() = default;
  PartitionDevice(const PartitionDevice&) = delete;
  PartitionDevice& operator=(const PartitionDevice&) = delete;
  ~PartitionDevice() {
    if (fd >= 0) ::close(fd);
  }
};

PartitionDevice* DeviceOf(struct ntfs_device* dev) {
  return static_cast<PartitionDevice*>(dev->d_private);
}

// How many of `count` bytes at pos lie inside the partition.
s64 Clamp(const PartitionDevice* impl, s64 pos, s64 count) {
  if (pos < 0 || count < 0) return -1;
  const auto size = static_cast<s64>(impl->size);
  if (pos >= size) return 0;
  return count < size - pos ? count : size - pos;  // libntfs-3g defines min() as a macro
}

int DevOpen(struct ntfs_device* dev, int flags) {
  NDevSetOpen(dev);
  if ((flags & O_ACCMODE) == O_RDONLY) NDevSetReadOnly(dev);
  return 0;
}

int DevClose(struct ntfs_device* dev) {
  NDevClearOpen(dev);
  return 0;
}

s64 DevSeek(struct ntfs_device* dev, s64 offset, int whence) {
  PartitionDevice* impl = DeviceOf(dev);
  s64 base = 0;
  if (whence == SEEK_CUR) base = impl->position;
  if (whence == SEEK_END) base = static_cast<s64>(impl->size);
  const s64 target = base + offset;
  // Past the end is an error here, unlike lseek on a file: libntfs-3g seeks
  // to the last sector to check that the partition holds the whole volume.
  if (target < 0 || target > static_cast<s64>(impl->size)) {
    errno = EINVAL;
    return -1;
  }
  impl->position = target;
  return target;
}

s64 DevPread(struct ntfs_device* dev, void* buf, s64 count, s64 pos) {
  const PartitionDevice* impl = DeviceOf(dev);
  const s64 n = Clamp(impl, pos, count);
  if (n <= 0) return n;
  return ::pread(impl->fd, buf, static_cast<size_t>(n), static_cast<off_t>(impl->offset + pos));
}

s64 DevPwrite(struct ntfs_device* dev, const void* buf, s64 count, s64 pos) {
  const PartitionDevice* impl = DeviceOf(dev);
  if (NDevReadOnly(dev)) {
    errno = EROFS;
    return -1;
  }
  const s64 n = Clamp(impl, pos, count);
  if (n == 0) errno = ENOSPC;
  if (n <= 0) return -1;
  NDevSetDirty(dev);
  return ::pwrite(impl->fd, buf, static_cast<size_t>(n), static_cast<off_t>(impl->offset + pos));
}

s64 DevRead(struct ntfs_device* dev, void* buf, s64 count) {
  const s64 n = DevPread(dev, buf, count, DeviceOf(dev)->position);
  if (n > 0) DeviceOf(dev)->position += n;
  return n;
}

s64 DevWrite(struct ntfs_device* dev, const void* buf, s64 count) {
  const s64 n = DevPwrite(dev, buf, count, DeviceOf(dev)->position);
  if (n > 0) DeviceOf(dev)->position += n;
  return n;
}

int DevSync(struct ntfs_device* dev) {
  if (NDevReadOnly(dev) || !NDevDirty(dev)) return 0;
  if (::fsync(DeviceOf(dev)->fd) != 0) return -1;
  NDevClearDirty(dev);
  return 0;
}

int DevStat(struct ntfs_device* dev, struct stat* st) {
  if (::fstat(DeviceOf(dev)->fd, st) != 0) return -1;
  st->st_size = static_cast<off_t>(DeviceOf(dev)->size);
  return 0;
}

// Answers the size queries for the partition, not the whole disk.
int DevIoctl(struct ntfs_device* dev, unsigned long request, void* argp) {
  const uint64_t size = DeviceOf(dev)->size;
  switch (request) {
    case BLKGETSIZE64:
      *static_cast<uint64_t*>(argp) = size;
      return 0;
    case BLKGETSIZE:
      *static_cast<unsigned long*>(argp) = size / kSector;
      return 0;
    case BLKSSZGET:
      *static_cast<int*>(argp) = static_cast<int>(kSector);
      return 0;
    default:
      errno = ENOTTY;
      return -1;
  }
}

ntfs_device_operations kDeviceOps = {
    DevOpen, DevClose, DevSeek, DevRead, DevWrite, DevPread, DevPwrite, DevSync, DevStat, DevIoctl,
};

bool IsDirectory(const ntfs_inode* ni) { return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0; }

// Why libntfs-3g refused to mount, from errno (see ntfs_volume_error), and
// what to do about it.
std::string MountProblem(int err) {
  switch (err) {
    case EPERM:
      return "Windows is hibernated (or suspended by fast startup); boot it and shut it down "
             "fully (shutdown /s /t 0, fast startup off), then capture the image again";
    case EOPNOTSUPP:
      return "Windows was not shut down cleanly (its NTFS journal holds unsaved changes); boot "
             "it and shut it down fully, or run chkdsk /f, then capture the image again";
    case EINVAL:
      return "no NTFS filesystem here (or the partition is smaller than it); check the "
             "partition";
    case EIO:
      return "the NTFS structures are damaged; run chkdsk /f on the volume";
    default:
      return std::string("cannot open NTFS: ") + std::strerror(err) + "; check the disk";
  }
}

// The bytes of the partition: `size`, or (0) up to the end of the disk; an
// error if it does not fit.
Result<uint64_t> PartitionExtent(int fd, const std::string& name, uint64_t offset, uint64_t size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus(name, errno);
  uint64_t total = static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode) && ::ioctl(fd, BLKGETSIZE64, &total) != 0) {
    return ErrnoStatus(name, errno);
  }
  if (offset > total || size > total - offset) {
    return Status::InvalidArgument(name + " (partition at " + std::to_string(offset) +
                                   "): the partition ends past the end of the disk (" +
                                   std::to_string(total) + " bytes); check the partition table");
  }
  return size != 0 ? size : total - offset;
}

// Creates `name` (a file or, with S_IFDIR, a folder) in dir; ntfs_create
// gives it an empty data stream and an "Everyone: full control" descriptor.
ntfs_inode* CreateIn(ntfs_inode* dir, const std::string& name, mode_t type) {
  ntfschar* uname = nullptr;
  const int len = ntfs_mbstoucs(name.c_str(), &uname);
  if (len < 0) return nullptr;
  ntfs_inode* ni = nullptr;
  if (len > 255) {
    errno = ENAMETOOLONG;
  } else {
    ni = ntfs_create(dir, const_cpu_to_le32(0), uname, static_cast<u8>(len), type);
  }
  const int err = errno;
  std::free(uname);
  errno = err;
  return ni;
}

}  // namespace

// The open volume and the walks over its folders. Every helper that takes an
// open inode of a folder closes it, so no inode is ever open twice (two
// in-memory copies would overwrite each other's changes).
struct NtfsVolume::Impl {
  PartitionDevice device;
  ntfs_volume* volume = nullptr;

  std::string Where() const {
    return device.name + " (partition at " + std::to_string(device.offset) + ")";
  }
  Status Error(std::string_view path, const std::string& what, int err,
               const std::string& advice) const {
    const std::string reason = err != 0 ? std::string(": ") + std::strerror(err) : "";
    return Status::IOError(Where() + ": " + WindowsPath(path) + ": " + what + reason + "; " +
                           advice);
  }
  Status CheckUsable(std::string_view path, bool for_writing) const;
  // Opens `name` in dir (closing dir), creating it as a folder if missing
  // and create_dir is set. `shown` is the path so far, for messages.
  Result<ntfs_inode*> Child(ntfs_inode* dir, std::string_view shown, const std::string& name,
                            bool create_dir);
  // Walks the first `count` components of parts from the root folder.
  Result<ntfs_inode*> OpenPath(std::string_view path, const std::vector<std::string>& parts,
                               size_t count, bool create_dirs);
  Status WriteData(std::string_view path, ntfs_inode* file, ByteView bytes) const;
  Status PutFile(std::string_view path, const std::vector<std::string>& parts, ByteView bytes);
};

Result<ntfs_inode*> NtfsVolume::Impl::Child(ntfs_inode* dir, std::string_view shown,
                                            const std::string& name, bool create_dir) {
  const u64 mref = ntfs_inode_lookup_by_mbsname(dir, name.c_str());
  if (mref != static_cast<u64>(-1)) {
    // Close the parent first: closing a changed child updates the parent's
    // index through a second copy of the parent, and the two would clash.
    ntfs_inode_close(dir);
    ntfs_inode* ni = ntfs_inode_open(volume, MREF(mref));
    if (ni == nullptr) return Error(shown, "cannot open", errno, "run chkdsk /f on the volume");
    return ni;
  }
  if (errno != ENOENT || !create_dir) {
    const int err = errno;
    ntfs_inode_close(dir);
    if (err == ENOENT) {
      return Status::NotFound(Where() + ": " + WindowsPath(shown) + ": not found; check the path");
    }
    return Error(shown, "cannot look up", err, "run chkdsk /f on the volume");
  }
  ntfs_inode* created = CreateIn(dir, name, S_IFDIR);
  if (created == nullptr) {
    const int err = errno;
    ntfs_inode_close(dir);
    return Error(shown, "cannot create directory", err, "check the path and the free space");
  }
  const u64 mft_no = created->mft_no;
  const bool closed = ntfs_inode_close_in_dir(created, dir) == 0;
  const int err = errno;
  if (ntfs_inode_close(dir) != 0 || !closed) {
    return Error(shown, "cannot create directory", closed ? errno : err,
                 "run chkdsk /f on the volume");
  }
  ntfs_inode* ni = ntfs_inode_open(volume, mft_no);
  if (ni == nullptr) return Error(shown, "cannot open", errno, "run chkdsk /f on the volume");
  return ni;
}

Result<ntfs_inode*> NtfsVolume::Impl::OpenPath(std::string_view path,
                                               const std::vector<std::string>& parts, size_t count,
                                               bool create_dirs) {
  ntfs_inode* ni = ntfs_inode_open(volume, FILE_root);
  if (ni == nullptr) return Error("\\", "cannot open", errno, "run chkdsk /f on the volume");
  size_t shown_length = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!IsDirectory(ni)) {
      ntfs_inode_close(ni);
      return Error(path.substr(0, shown_length), "is a file, not a folder", 0,
                   "remove it or choose another path");
    }
    shown_length = path.find(parts[i], shown_length) + parts[i].size();
    Result<ntfs_inode*> child = Child(ni, path.substr(0, shown_length), parts[i], create_dirs);
    if (!child.ok()) return child.status();
    ni = *child;
  }
  return ni;
}

Status NtfsVolume::Impl::WriteData(std::string_view path, ntfs_inode* file, ByteView bytes) const {
  ntfs_attr* na = ntfs_attr_open(file, AT_DATA, AT_UNNAMED, 0);
  if (na == nullptr) return Error(path, "cannot open its data", errno, "run chkdsk /f");
  const auto size = static_cast<s64>(bytes.size());
  int err = 0;
  // Solid: no sparse runs in files Windows reads early at boot.
  if (na->data_size != size && ntfs_attr_truncate_solid(na, size) != 0) err = errno;
  for (s64 done = 0; err == 0 && done < size;) {
    const s64 n = ntfs_attr_pwrite(na, done, size - done, bytes.data() + done);
    if (n <= 0) err = n < 0 ? errno : EIO;
    done += n;
  }
  if (err == 0 && (na->data_flags & ATTR_COMPRESSION_MASK) != 0 && ntfs_attr_pclose(na) != 0) {
    err = errno;
  }
  ntfs_attr_close(na);
  if (err == 0) return Status::OK();
  return Error(path, "cannot write", err,
               err == ENOSPC ? "free space on the volume or use a larger partition"
                             : "run chkdsk /f on the volume");
}

Status NtfsVolume::Impl::PutFile(std::string_view path, const std::vector<std::string>& parts,
                                 ByteView bytes) {
  Result<ntfs_inode*> dir = OpenPath(path, parts, parts.size() - 1, true);
  if (!dir.ok()) return dir.status();
  if (!IsDirectory(*dir)) {
    ntfs_inode_close(*dir);
    return Error(path.substr(0, path.rfind('/')), "is a file, not a folder", 0,
                 "remove it or choose another path");
  }
  const u64 mref = ntfs_inode_lookup_by_mbsname(*dir, parts.back().c_str());
  if (mref == static_cast<u64>(-1) && errno == ENOENT) {
    ntfs_inode* ni = CreateIn(*dir, parts.back(), S_IFREG);
    if (ni == nullptr) {
      const int err = errno;
      ntfs_inode_close(*dir);
      return Error(path, "cannot create", err, "check the path and the free space");
    }
    Status s = WriteData(path, ni, bytes);
    if (ntfs_inode_close_in_dir(ni, *dir) != 0 && s.ok()) {
      s = Error(path, "cannot write", errno, "run chkdsk /f on the volume");
    }
    if (ntfs_inode_close(*dir) != 0 && s.ok()) {
      s = Error(path, "cannot add to its folder", errno, "run chkdsk /f on the volume");
    }
    return s;
  }
  Result<ntfs_inode*> file = Child(*dir, path, parts.back(), false);
  if (!file.ok()) return file.status();
  if (IsDirectory(*file)) {
    ntfs_inode_close(*file);
    return Error(path, "is a folder", 0, "remove it or choose another path");
  }
  Status s = WriteData(path, *file, bytes);
  ntfs_inode_update_times(*file, static_cast<ntfs_time_update_flags>(NTFS_UPDATE_MCTIME));
  if (ntfs_inode_close(*file) != 0 && s.ok()) {
    s = Error(path, "cannot write", errno, "run chkdsk /f on the volume");
  }
  return s;
}

NtfsVolume::NtfsVolume(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NtfsVolume::~NtfsVolume() { Close(); }

Result<std::unique_ptr<NtfsVolume>> NtfsVolume::Open(const std::string& device_or_file,
                                                     uint64_t offset, uint64_t size,
                                                     bool writable) {
  auto impl = std::make_unique<Impl>();
  PartitionDevice& device = impl->device;
  device.name = device_or_file;
  device.offset = offset;
  device.fd = ::open(device_or_file.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (device.fd < 0) return ErrnoStatus(device_or_file, errno);
  Result<uint64_t> extent = PartitionExtent(device.fd, device_or_file, offset, size);
  if (!extent.ok()) return extent.status();
  device.size = *extent;
  struct ntfs_device* dev = ntfs_device_alloc(device_or_file.c_str(), 0, &kDeviceOps, &device);
  if (dev == nullptr) return ErrnoStatus(device_or_file, errno);
  impl->volume = ntfs_device_mount(dev, writable ? NTFS_MNT_NONE : NTFS_MNT_RDONLY);
  if (impl->volume == nullptr) {
    const int err = errno;
    ntfs_device_free(dev);
    return Status::IOError(impl->Where() + ": " + MountProblem(err));
  }
  std::unique_ptr<NtfsVolume> volume(new NtfsVolume(std::move(impl)));
  ntfs_volume* vol = volume->impl_->volume;
  if (writable && (vol->flags & VOLUME_IS_DIRTY) != 0) {
    volume->Close();
    return Status::IOError(volume->impl_->Where() +
                           ": the NTFS volume is marked dirty (Windows wants chkdsk to run); "
                           "boot Windows and let chkdsk finish, or run chkdsk /f, then capture "
                           "the image again");
  }
  if (ntfs_set_ignore_case(vol) != 0) {
    volume->Close();
    return Status::IOError(volume->impl_->Where() +
                           ": cannot read the NTFS upcase table; run chkdsk /f on the volume");
  }
  return volume;
}

Status NtfsVolume::Impl::CheckUsable(std::string_view path, bool for_writing) const {
  const std::string where = Where() + ": " + WindowsPath(path);
  if (volume == nullptr)
    return Status::InvalidArgument(where + ": the volume is closed; open it again");
  if (for_writing && NVolReadOnly(volume)) {
    return Status::InvalidArgument(where + ": the volume was opened read-only; open it writable");
  }
  const std::vector<std::string> parts = SplitVolumePath(path);
  if (parts.empty()) return Status::InvalidArgument(where + ": names no file; check the path");
  for (const std::string& part : parts) {
    if (part == "." || part == ".." ||
        part.find_first_of(kForbiddenNameChars) != std::string::npos) {
      std::string msg = where;
      msg += ": \"" + part + "\" is not a valid Windows name; check the path";
      return Status::InvalidArgument(std::move(msg));
    }
  }
  return Status::OK();
}

Result<Bytes> NtfsVolume::ReadFile(std::string_view path) {
  if (Status s = impl_->CheckUsable(path, false); !s.ok()) return s;
  const std::vector<std::string> parts = SplitVolumePath(path);
  Result<ntfs_inode*> ni = impl_->OpenPath(path, parts, parts.size(), false);
  if (!ni.ok()) return ni.status();
  if (IsDirectory(*ni)) {
    ntfs_inode_close(*ni);
    return impl_->Error(path, "is a folder", 0, "name a file");
  }
  Bytes out;
  int err = 0;
  ntfs_attr* na = ntfs_attr_open(*ni, AT_DATA, AT_UNNAMED, 0);
  if (na == nullptr) {
    err = errno;
  } else {
    out.resize(static_cast<size_t>(na->data_size));
    const s64 n = ntfs_attr_pread(na, 0, na->data_size, out.data());
    if (n != na->data_size) err = n < 0 ? errno : EIO;
    ntfs_attr_close(na);
  }
  ntfs_inode_close(*ni);
  if (err != 0) return impl_->Error(path, "cannot read", err, "run chkdsk /f on the volume");
  return out;
}

Result<std::vector<ByteRange>> NtfsVolume::FreeRanges() {
  ntfs_volume* vol = impl_->volume;
  if (vol == nullptr) return Status::InvalidArgument(impl_->Where() + ": the volume is closed");
  if ((vol->flags & VOLUME_IS_DIRTY) != 0) {
    return Status::IOError(impl_->Where() +
                           ": the NTFS volume is marked dirty; run chkdsk /f on it first");
  }
  // A hibernated Windows (or one that fast startup suspended) resumes with the
  // $Bitmap and $MFT it holds in memory, saved in hiberfil.sys, and those may
  // count as used clusters that the bitmap on disk still calls free. A cold
  // boot would see the disk's state, a resume the memory's; only the volume
  // byte for byte is right for both.
  if (ntfs_volume_check_hiberfile(vol, 0) != 0) {
    const int err = errno;
    if (err == EPERM) {
      return Status::IOError(impl_->Where() +
                             ": Windows is hibernated (or suspended by fast startup), so the "
                             "cluster bitmap on disk may not be what it resumes with; boot "
                             "Windows and shut it down fully, or disable fast startup "
                             "(powercfg /h off)");
    }
    return Status::IOError(impl_->Where() + ": cannot read hiberfil.sys: " + std::strerror(err) +
                           "; run chkdsk /f on the volume");
  }
  // The backup boot sector after the last cluster is in no bitmap: never free.
  const auto clusters = static_cast<uint64_t>(vol->nr_clusters);
  Bytes bits((clusters + 7) / 8);
  const s64 n = ntfs_attr_pread(vol->lcnbmp_na, 0, static_cast<s64>(bits.size()), bits.data());
  if (n != static_cast<s64>(bits.size())) {
    return Status::IOError(impl_->Where() + ": cannot read the cluster bitmap ($Bitmap): " +
                           std::strerror(n < 0 ? errno : EIO) + "; run chkdsk /f on the volume");
  }
  return FreeRunsOfBitmap(bits, clusters, vol->cluster_size, 0);
}

Status NtfsVolume::WriteFile(std::string_view path, ByteView bytes) {
  if (Status s = impl_->CheckUsable(path, true); !s.ok()) return s;
  return impl_->PutFile(path, SplitVolumePath(path), bytes);
}

bool NtfsVolume::Exists(std::string_view path) {
  if (!impl_->CheckUsable(path, false).ok()) return false;
  const std::vector<std::string> parts = SplitVolumePath(path);
  Result<ntfs_inode*> ni = impl_->OpenPath(path, parts, parts.size(), false);
  if (!ni.ok()) return false;
  ntfs_inode_close(*ni);
  return true;
}

Status NtfsVolume::Close() {
  if (impl_->volume == nullptr) return Status::OK();
  if (ntfs_umount(std::exchange(impl_->volume, nullptr), FALSE) != 0) {
    return Status::IOError(impl_->Where() + ": cannot write the NTFS changes to the disk: " +
                           std::strerror(errno) + "; check the disk, then deploy this node again");
  }
  return Status::OK();
}

}  // namespace fleetcast
