#include "platform/ext_volume.h"

#include <ext2fs/ext2fs.h>

// com_err's header, unlike ext2fs.h, declares no C linkage itself.
extern "C" {
#include <et/com_err.h>
}

#include <algorithm>
#include <ctime>
#include <mutex>
#include <utility>

#include "platform/file.h"

namespace fleetcast {

namespace {

// "/a/b" for the first `count` components: the path so far, for messages.
std::string Prefix(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += "/" + parts[i];
  return out.empty() ? "/" : out;
}

// libext2fs's messages live in a com_err table that must be registered once.
void RegisterErrorTable() {
  static std::once_flag once;
  std::call_once(once, [] { initialize_ext2_error_table(); });
}

std::string Message(errcode_t err) { return error_message(err); }

// Adds name -> ino to dir, growing the folder by a block when it is full.
errcode_t LinkGrowing(ext2_filsys fs, ext2_ino_t dir, const std::string& name, ext2_ino_t ino,
                      int type) {
  errcode_t err = ext2fs_link(fs, dir, name.c_str(), ino, type);
  if (err != EXT2_ET_DIR_NO_SPACE) return err;
  if ((err = ext2fs_expand_dir(fs, dir)) != 0) return err;
  return ext2fs_link(fs, dir, name.c_str(), ino, type);
}

}  // namespace

std::string ExtVolume::Where() const {
  return name_ + " (partition at " + std::to_string(offset_) + ")";
}

Status ExtVolume::Error(std::string_view path, const std::string& what, long err,
                        const std::string& advice) const {
  const std::string reason = err != 0 ? ": " + Message(err) : "";
  return Status::IOError(Where() + ": " + std::string(path) + ": " + what + reason + "; " + advice);
}

ExtVolume::~ExtVolume() { Close(); }

Result<std::unique_ptr<ExtVolume>> ExtVolume::Open(const std::string& device_or_file,
                                                   uint64_t offset, uint64_t size, bool writable) {
  RegisterErrorTable();
  const std::string where = device_or_file + " (partition at " + std::to_string(offset) + ")";
  Result<File> file = File::OpenRead(device_or_file);
  if (!file.ok()) return file.status();
  if (offset > file->size() || size > file->size() - offset) {
    return Status::InvalidArgument(where + ": the partition ends past the end of the disk (" +
                                   std::to_string(file->size()) +
                                   " bytes); check the partition table");
  }
  if (size == 0) size = file->size() - offset;
  const std::string io_options = "offset=" + std::to_string(offset);
  const int flags = EXT2_FLAG_64BITS | (writable ? EXT2_FLAG_RW : 0);
  ext2_filsys fs = nullptr;
  if (errcode_t err = ext2fs_open2(device_or_file.c_str(), io_options.c_str(), flags, 0, 0,
                                   unix_io_manager, &fs)) {
    return Status::IOError(where + ": cannot open ext2/3/4: " + Message(err) +
                           "; check that this partition holds an ext filesystem");
  }
  fs->umask = 022;  // ext2fs_mkdir makes folders 0777 & ~umask: 0755
  std::unique_ptr<ExtVolume> volume(new ExtVolume(device_or_file, offset, fs));
  if (Status s = volume->CheckOpened(size, writable); !s.ok()) return s;
  return volume;
}

Status ExtVolume::CheckOpened(uint64_t size, bool writable) {
  const uint64_t fs_bytes = ext2fs_blocks_count(fs_->super) * fs_->blocksize;
  if (fs_bytes > size) {
    return Status::InvalidArgument(Where() + ": the filesystem (" + std::to_string(fs_bytes) +
                                   " bytes) is larger than its partition (" + std::to_string(size) +
                                   " bytes); check the partition table");
  }
  if (!writable) return Status::OK();
  if (Status s = CheckClean(); !s.ok()) return s;
  if (errcode_t err = ext2fs_read_bitmaps(fs_)) {
    return Status::IOError(Where() + ": cannot read the allocation bitmaps: " + Message(err) +
                           "; run e2fsck -f on the partition");
  }
  return Status::OK();
}

Status ExtVolume::CheckClean() const {
  if (ext2fs_has_feature_journal_needs_recovery(fs_->super)) {
    return Status::IOError(Where() +
                           ": the journal holds changes not yet written (the system was not "
                           "shut down cleanly); shut it down cleanly or run e2fsck -f on the "
                           "partition, then capture the image again");
  }
  if ((fs_->super->s_state & EXT2_ERROR_FS) != 0) {
    return Status::IOError(Where() +
                           ": the filesystem has recorded errors; run e2fsck -f on "
                           "the partition, then capture the image again");
  }
  return Status::OK();
}

Result<std::vector<ByteRange>> ExtVolume::FreeRanges() {
  if (fs_ == nullptr) return Status::InvalidArgument(Where() + ": the volume is closed");
  if (Status s = CheckClean(); !s.ok()) return s;
  // With bigalloc the bitmap counts clusters, not blocks: not worth the risk.
  if (ext2fs_has_feature_bigalloc(fs_->super)) {
    return Status::NotSupported(Where() + ": bigalloc filesystems are copied whole");
  }
  if (errcode_t err = ext2fs_read_block_bitmap(fs_)) {
    return Status::IOError(Where() + ": cannot read the block bitmap: " + Message(err) +
                           "; run e2fsck -f on the partition");
  }
  // Blocks before the first data block (the boot block of a 1 KiB-block
  // filesystem) are in no bitmap: never free.
  const blk64_t first = fs_->super->s_first_data_block;
  const blk64_t count = ext2fs_blocks_count(fs_->super) - first;
  Bytes bits((count + 7) / 8);
  if (errcode_t err = ext2fs_get_block_bitmap_range2(fs_->block_map, first, count, bits.data())) {
    return Status::IOError(Where() + ": cannot read the block bitmap: " + Message(err) +
                           "; run e2fsck -f on the partition");
  }
  return FreeRunsOfBitmap(bits, count, fs_->blocksize, first * fs_->blocksize);
}

Status ExtVolume::CheckUsable(std::string_view path, bool for_writing) const {
  const std::string where = Where() + ": " + std::string(path);
  if (fs_ == nullptr)
    return Status::InvalidArgument(where + ": the volume is closed; open it again");
  if (for_writing && (fs_->flags & EXT2_FLAG_RW) == 0) {
    return Status::InvalidArgument(where + ": the volume was opened read-only; open it writable");
  }
  if (path.empty() || path.front() != '/' || SplitVolumePath(path).empty()) {
    return Status::InvalidArgument(where + ": not an absolute path to a file; check the path");
  }
  for (const std::string& part : SplitVolumePath(path)) {
    if (part == "." || part == "..") {
      return Status::InvalidArgument(where + ": \".\" and \"..\" are not allowed; check the path");
    }
  }
  return Status::OK();
}

Result<Bytes> ExtVolume::ReadFile(std::string_view path) {
  if (Status s = CheckUsable(path, false); !s.ok()) return s;
  ext2_ino_t ino = 0;
  const std::string p(path);
  if (errcode_t err = ext2fs_namei_follow(fs_, EXT2_ROOT_INO, EXT2_ROOT_INO, p.c_str(), &ino)) {
    if (err == EXT2_ET_FILE_NOT_FOUND) {
      return Status::NotFound(Where() + ": " + p + ": not found; check the path");
    }
    return Error(path, "cannot look up", err, "run e2fsck -f on the partition");
  }
  ext2_file_t file = nullptr;
  if (errcode_t err = ext2fs_file_open(fs_, ino, 0, &file)) {
    return Error(path, "cannot open", err, "run e2fsck -f on the partition");
  }
  if (!LINUX_S_ISREG(ext2fs_file_get_inode(file)->i_mode)) {
    ext2fs_file_close(file);
    return Error(path, "is not a regular file", 0, "name a file");
  }
  Bytes out(EXT2_I_SIZE(ext2fs_file_get_inode(file)));
  errcode_t err = 0;
  for (size_t done = 0; err == 0 && done < out.size();) {
    unsigned int got = 0;
    err = ext2fs_file_read(file, out.data() + done, out.size() - done, &got);
    if (err == 0 && got == 0) err = EXT2_ET_SHORT_READ;
    done += got;
  }
  ext2fs_file_close(file);
  if (err != 0) return Error(path, "cannot read", err, "run e2fsck -f on the partition");
  return out;
}

bool ExtVolume::Exists(std::string_view path) {
  if (!CheckUsable(path, false).ok()) return false;
  ext2_ino_t ino = 0;
  return ext2fs_namei(fs_, EXT2_ROOT_INO, EXT2_ROOT_INO, std::string(path).c_str(), &ino) == 0;
}

Result<uint32_t> ExtVolume::MakeDirs(const std::vector<std::string>& parts, size_t count) {
  ext2_ino_t dir = EXT2_ROOT_INO;
  for (size_t i = 0; i < count; ++i) {
    const std::string shown = Prefix(parts, i + 1);
    ext2_ino_t child = 0;
    // namei follows symbolic links inside the filesystem (/var/run -> /run).
    errcode_t err = ext2fs_namei_follow(fs_, EXT2_ROOT_INO, dir, parts[i].c_str(), &child);
    if (err == EXT2_ET_FILE_NOT_FOUND) {
      err = ext2fs_mkdir(fs_, dir, 0, parts[i].c_str());
      if (err == EXT2_ET_DIR_NO_SPACE && (err = ext2fs_expand_dir(fs_, dir)) == 0) {
        err = ext2fs_mkdir(fs_, dir, 0, parts[i].c_str());
      }
      if (err != 0) return Error(shown, "cannot create directory", err, "check the free space");
      err = ext2fs_lookup(fs_, dir, parts[i].c_str(), static_cast<int>(parts[i].size()), nullptr,
                          &child);
    }
    if (err != 0) return Error(shown, "cannot look up", err, "run e2fsck -f on the partition");
    if (ext2fs_check_directory(fs_, child) != 0) {
      return Error(shown, "is not a folder", 0, "remove it or choose another path");
    }
    dir = child;
  }
  return dir;
}

Result<uint32_t> ExtVolume::CreateFile(std::string_view path, uint32_t dir, const std::string& name,
                                       uint32_t mode) {
  ext2_ino_t ino = 0;
  if (errcode_t err = ext2fs_new_inode(fs_, dir, LINUX_S_IFREG | mode, nullptr, &ino)) {
    return Error(path, "cannot allocate an inode", err, "free inodes on the filesystem");
  }
  if (errcode_t err = LinkGrowing(fs_, dir, name, ino, EXT2_FT_REG_FILE)) {
    return Error(path, "cannot create", err, "check the free space");
  }
  ext2fs_inode_alloc_stats2(fs_, ino, +1, 0);
  struct ext2_inode inode {};
  inode.i_mode = LINUX_S_IFREG | mode;
  inode.i_links_count = 1;
  // ext2fs_write_new_inode sets the times, and uid/gid stay 0: root.
  if (ext2fs_has_feature_extents(fs_->super)) {
    // Opening an extent handle on an empty inode writes the extent header
    // into i_block and sets EXT4_EXTENTS_FL, so data blocks go in extents.
    ext2_extent_handle_t handle = nullptr;
    if (errcode_t err = ext2fs_extent_open2(fs_, ino, &inode, &handle)) {
      return Error(path, "cannot set up extents", err, "run e2fsck -f on the partition");
    }
    ext2fs_extent_free(handle);
  }
  if (errcode_t err = ext2fs_write_new_inode(fs_, ino, &inode)) {
    return Error(path, "cannot write its inode", err, "run e2fsck -f on the partition");
  }
  return ino;
}

Status ExtVolume::WriteContent(std::string_view path, uint32_t ino, ByteView bytes) {
  ext2_file_t file = nullptr;
  if (errcode_t err = ext2fs_file_open(fs_, ino, EXT2_FILE_WRITE, &file)) {
    return Error(path, "cannot open", err, "run e2fsck -f on the partition");
  }
  // Truncating first frees the old blocks, so nothing of the old content stays.
  errcode_t err = ext2fs_file_set_size2(file, 0);
  for (size_t done = 0; err == 0 && done < bytes.size();) {
    unsigned int wrote = 0;
    const size_t n = std::min<size_t>(bytes.size() - done, 1 << 20);
    err = ext2fs_file_write(file, bytes.data() + done, static_cast<unsigned int>(n), &wrote);
    if (err == 0 && wrote == 0) err = EXT2_ET_SHORT_WRITE;
    done += wrote;
  }
  const errcode_t close_err = ext2fs_file_close(file);
  if (err == 0) err = close_err;
  if (err == 0) return Status::OK();
  return Error(path, "cannot write", err,
               err == EXT2_ET_BLOCK_ALLOC_FAIL ? "free space on the filesystem"
                                               : "run e2fsck -f on the partition");
}

// Root-owned, `mode`, modified now: also for a file that existed before.
Status ExtVolume::SetAttributes(std::string_view path, uint32_t ino, uint32_t mode) {
  struct ext2_inode inode {};
  errcode_t err = ext2fs_read_inode(fs_, ino, &inode);
  if (err == 0) {
    const auto now = static_cast<__u32>(std::time(nullptr));
    inode.i_mode = LINUX_S_IFREG | mode;
    inode.i_uid = 0;
    inode.i_gid = 0;
    ext2fs_set_i_uid_high(inode, 0);
    ext2fs_set_i_gid_high(inode, 0);
    inode.i_atime = inode.i_mtime = inode.i_ctime = now;
    err = ext2fs_write_inode(fs_, ino, &inode);
  }
  if (err == 0) return Status::OK();
  return Error(path, "cannot update its inode", err, "run e2fsck -f on the partition");
}

Status ExtVolume::WriteFile(std::string_view path, ByteView bytes, uint32_t mode) {
  if (Status s = CheckUsable(path, true); !s.ok()) return s;
  mode &= 07777;
  const std::vector<std::string> parts = SplitVolumePath(path);
  Result<uint32_t> dir = MakeDirs(parts, parts.size() - 1);
  if (!dir.ok()) return dir.status();
  ext2_ino_t ino = 0;
  errcode_t err = ext2fs_lookup(fs_, *dir, parts.back().c_str(),
                                static_cast<int>(parts.back().size()), nullptr, &ino);
  if (err == EXT2_ET_FILE_NOT_FOUND) {
    Result<uint32_t> created = CreateFile(path, *dir, parts.back(), mode);
    if (!created.ok()) return created.status();
    ino = *created;
  } else if (err != 0) {
    return Error(path, "cannot look up", err, "run e2fsck -f on the partition");
  } else {
    struct ext2_inode inode {};
    if ((err = ext2fs_read_inode(fs_, ino, &inode)) != 0) {
      return Error(path, "cannot read its inode", err, "run e2fsck -f on the partition");
    }
    if (!LINUX_S_ISREG(inode.i_mode)) {
      return Error(path, "exists and is not a regular file", 0, "remove it or choose another path");
    }
  }
  if (Status s = WriteContent(path, ino, bytes); !s.ok()) return s;
  return SetAttributes(path, ino, mode);
}

Status ExtVolume::Close() {
  if (fs_ == nullptr) return Status::OK();
  ext2_filsys fs = std::exchange(fs_, nullptr);
  if (errcode_t err = ext2fs_close2(fs, 0)) {
    ext2fs_free(fs);  // close2 keeps the handle when its flush fails
    return Status::IOError(Where() + ": cannot write the filesystem changes to the disk: " +
                           Message(err) + "; check the disk, then deploy this node again");
  }
  return Status::OK();
}

}  // namespace fleetcast
