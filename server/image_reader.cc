#include "server/image_reader.h"

namespace fleetcast {

Result<ImageReader> ImageReader::Open(const std::string& path) {
  ImageReader r;
  Result<File> file = File::OpenRead(path);
  if (!file.ok()) return file.status();
  r.file_ = std::move(file).value();
  if (r.file_.is_block_device()) {
    return Status::InvalidArgument(path + ": is a block device, not an .fcimg file");
  }
  Bytes head(std::min<uint64_t>(r.file_.size(), image::FileHeader::kEncodedLength));
  if (Status s = r.file_.ReadAt(0, head); !s.ok()) return s;
  Result<image::FileHeader> header = image::FileHeader::DecodeFrom(head);
  if (!header.ok()) return header.status().Prefixed(path);
  r.header_ = *header;
  if (Status s = image::CheckLayout(r.header_, r.file_.size()); !s.ok()) return s.Prefixed(path);
  Bytes manifest(r.header_.manifest_size);
  if (Status s = r.file_.ReadAt(r.header_.manifest_offset, manifest); !s.ok()) return s;
  if (Xxh3_64(manifest) != r.header_.manifest_digest) {
    return Status::Corruption(path + ": manifest digest mismatch (the manifest is corrupt)");
  }
  Result<image::Manifest> decoded = image::Manifest::DecodeFrom(manifest);
  if (!decoded.ok()) return decoded.status().Prefixed(path);
  r.manifest_ = std::move(decoded).value();
  if (Status s = image::CheckManifestVersion(r.header_, r.manifest_); !s.ok()) {
    return s.Prefixed(path);
  }
  if (Status s = image::CheckChunkPlacement(r.header_, r.manifest_.table); !s.ok()) {
    return s.Prefixed(path);
  }
  return r;
}

Status ImageReader::ReadStored(const ChunkEntry& entry, Bytes* out) const {
  out->resize(entry.stored_size);
  return file_.ReadAt(entry.offset, *out);
}

}  // namespace fleetcast
