// ImageReader: an open .fcimg whose header, layout and manifest have been
// checked, and positioned reads of its stored chunks. The chunk bytes are
// not checked here: ChunkDecompressor does that. ReadStored may be called
// from several threads at once.
#ifndef FLEETCAST_SERVER_IMAGE_READER_H_
#define FLEETCAST_SERVER_IMAGE_READER_H_

#include <string>

#include "core/image_format.h"
#include "core/status.h"
#include "platform/file.h"

namespace fleetcast {

class ImageReader {
 public:
  /// Opens and checks path; every failure names the file and what is wrong,
  /// e.g. "disk.fcimg: not an .fcimg image (bad magic)".
  static Result<ImageReader> Open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  uint64_t file_size() const { return file_.size(); }
  const image::FileHeader& header() const { return header_; }
  const image::Manifest& manifest() const { return manifest_; }
  const ChunkTable& table() const { return manifest_.table; }

  /// Reads the stored bytes of entry into *out (resized to fit).
  Status ReadStored(const ChunkEntry& entry, Bytes* out) const;

 private:
  ImageReader() = default;

  File file_;
  image::FileHeader header_;
  image::Manifest manifest_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_IMAGE_READER_H_
