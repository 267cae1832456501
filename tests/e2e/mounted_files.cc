#include "tests/e2e/mounted_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "tests/client/disk_builder.h"
#include "tests/e2e/mounted_partition.h"

namespace fleetcast::testing {

namespace {

namespace fs = std::filesystem;

std::string Octal(unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04o", value);
  return buf;
}

std::string Describe(const fs::path& path, bool ownership) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "cannot lstat";
  std::string out;
  if (S_ISREG(st.st_mode)) {
    out = "file size " + std::to_string(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    out = "folder";
  } else if (S_ISLNK(st.st_mode)) {
    out = "symlink to " + fs::read_symlink(path).string();
  } else {
    out = "other";
  }
  if (ownership) {
    out += " mode " + Octal(st.st_mode & 07777) + " owner " + std::to_string(st.st_uid) + ":" +
           std::to_string(st.st_gid) + " mtime " + std::to_string(st.st_mtim.tv_sec);
  }
  return out;
}

// Regular files' paths from root.
std::vector<std::string> Files(const std::map<std::string, std::string>& tree) {
  std::vector<std::string> out;
  for (const auto& [path, line] : tree) {
    if (line.rfind("file ", 0) == 0) out.push_back(path);
  }
  return out;
}

void ExpectExtEqual(const std::string& mounted, const UsedDisk& source) {
  const auto want = DescribeTree(source.ext_tree, true);
  const auto got = DescribeTree(mounted, true, {"/lost+found"});
  EXPECT_EQ(got, want);
  const std::vector<std::string> files = Files(want);
  EXPECT_EQ(files.size(), source.ext_files.size()) << "a file of the tree is not in ext_files";
  for (const std::string& path : files) {
    EXPECT_TRUE(ReadFileBytes(mounted + path) == ReadFileBytes(source.ext_tree + path))
        << "ext4 " << path << " differs when mounted";
  }
}

void ExpectNtfsEqual(const std::string& mounted, const UsedDisk& source) {
  std::map<std::string, std::string> want;
  for (const auto& [path, bytes] : source.ntfs_files) {
    want[path] = "file size " + std::to_string(bytes.size());
  }
  // ntfs-3g hides the $-files (NTFS metadata) unless asked to show them.
  EXPECT_EQ(DescribeTree(mounted, false), want);
  for (const auto& [path, bytes] : source.ntfs_files) {
    EXPECT_TRUE(ReadFileBytes(mounted + path) == bytes)
        << "NTFS " << path << " differs when mounted";
  }
}

}  // namespace

std::map<std::string, std::string> DescribeTree(const std::string& root, bool ownership,
                                                const std::vector<std::string>& skip) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string relative = "/" + it->path().lexically_relative(root).string();
    if (std::find(skip.begin(), skip.end(), relative) != skip.end()) {
      it.disable_recursion_pending();
      continue;
    }
    out[relative] = Describe(it->path(), ownership);
  }
  if (ec) out["(error)"] = root + ": " + ec.message();
  return out;
}

void ExpectMountedFilesEqual(const TempDir& dir, const std::string& disk, const UsedDisk& source) {
  {
    const MountedPartition ext(disk, kExtOffset, kExtSize, MountFs::kExt4, dir / "mnt-ext");
    ASSERT_FALSE(ext.path().empty()) << ext.error();
    ExpectExtEqual(ext.path(), source);
  }
  const MountedPartition ntfs(disk, kNtfsOffset, kNtfsSize, MountFs::kNtfs, dir / "mnt-ntfs");
  ASSERT_FALSE(ntfs.path().empty()) << ntfs.error();
  ExpectNtfsEqual(ntfs.path(), source);
}

}  // namespace fleetcast::testing
