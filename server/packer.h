// Pack: turns a raw disk image or block device into an .fcimg. Unless
// keep_free, the free space of its ext2/3/4 and NTFS partitions is left out
// (server/source_free_space.h): wholly free chunks become zero chunks, free
// bytes in the others are zeroed before compressing. Chunks are
// read, checked for zeros, hashed and compressed on a worker pool, and
// written in chunk order, so the output depends only on the input and the
// options. The file is built under a ".partial-<pid>" name and renamed when
// complete; the header, which makes it valid, is written last.
#ifndef FLEETCAST_SERVER_PACKER_H_
#define FLEETCAST_SERVER_PACKER_H_

#include <cstdint>
#include <string>

#include "core/image_format.h"
#include "core/status.h"

namespace fleetcast {

struct PackOptions {
  std::string source;
  std::string output;
  uint32_t chunk_size = 1024 * 1024;
  int level = 3;
  size_t threads = 0;  // 0: one per core
  std::string label;
  bool force = false;      // pack a Windows that is already a clone (CloneTag) anyway
  std::string sign_key;    // NAME.key from keygen: sign the manifest; empty: unsigned
  bool keep_free = false;  // store ext and NTFS free space as it is, not as zeros
};

struct PackSummary {
  image::Manifest manifest;
  uint64_t file_size = 0;
  double seconds = 0;
};

/// Packs options.source into options.output. Shows a progress line on a
/// terminal. On failure (or Ctrl-C) no output file is left behind and the
/// message names the file at fault.
Result<PackSummary> Pack(const PackOptions& options);

/// Checks the options that do not need the source: level, chunk size, label.
Status CheckPackOptions(const PackOptions& options);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_PACKER_H_
