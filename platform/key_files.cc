#include "platform/key_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "platform/file.h"

namespace fleetcast {

namespace {

// Key files are one short line; anything much longer is not a key file.
constexpr uint64_t kMaxKeyFileSize = uint64_t{64} * 1024;

Status WriteWhole(const std::string& path, const std::string& text, mode_t mode, bool force) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return ErrnoStatus(path, errno);
  // A replaced file keeps its old mode through open(): set it.
  Status s = ::fchmod(fd, mode) == 0 ? Status::OK() : ErrnoStatus(path, errno);
  const ssize_t n = s.ok() ? ::write(fd, text.data(), text.size()) : 0;
  if (s.ok() && n != static_cast<ssize_t>(text.size())) s = ErrnoStatus(path, errno);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus(path, errno);
  ::close(fd);
  return s;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  Result<File> f = File::OpenRead(path);
  if (!f.ok()) return f.status();
  if (f->size() > kMaxKeyFileSize) {
    return Status::InvalidArgument(path + ": too large for a key file; check the path");
  }
  Bytes bytes(f->size());
  if (Status s = f->ReadAt(0, bytes); !s.ok()) return s;
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

Result<sign::PublicKey> WriteNewKeyPair(const std::string& name, bool force) {
  const std::string secret_path = name + ".key", public_path = name + ".pub";
  for (const std::string& path : {secret_path, public_path}) {
    struct stat st {};
    if (!force && ::stat(path.c_str(), &st) == 0) {
      return Status::InvalidArgument(path +
                                     ": exists; choose another --out, or pass --force to replace "
                                     "the key pair");
    }
  }
  if (sodium_init() < 0) return Status::IOError("libsodium: cannot initialise");
  sign::PublicKey key;
  sign::SecretKey secret;
  crypto_sign_keypair(key.data(), secret.data());
  Status s = WriteWhole(secret_path, sign::SecretKeyText(secret), 0600, force);
  sodium_memzero(secret.data(), secret.size());
  if (!s.ok()) return s;
  if (Status p = WriteWhole(public_path, sign::PublicKeyText(key), 0644, force); !p.ok()) return p;
  return key;
}

Result<sign::SecretKey> LoadSecretKey(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(path, errno);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    return Status::InvalidArgument(path + ": a secret key others may read (mode " + mode +
                                   "); chmod 600 " + path);
  }
  Result<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  Result<sign::SecretKey> key = sign::ParseSecretKey(*text);
  if (!key.ok()) {
    return Status::InvalidArgument(path + ": " + key.status().message() +
                                   "; pass the NAME.key keygen wrote");
  }
  return key;
}

Result<std::vector<sign::PublicKey>> LoadTrustedKeys(const std::vector<std::string>& paths) {
  std::vector<sign::PublicKey> keys;
  for (const std::string& path : paths) {
    Result<std::string> text = ReadSmallFile(path);
    if (!text.ok()) return text.status();
    Result<std::vector<sign::PublicKey>> some = sign::ParsePublicKeys(*text);
    if (!some.ok()) {
      return Status::InvalidArgument(path + ": " + some.status().message() +
                                     "; pass the NAME.pub keygen wrote");
    }
    keys.insert(keys.end(), some->begin(), some->end());
  }
  return keys;
}

}  // namespace fleetcast
