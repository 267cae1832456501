#include "server/image_commands.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/chunk_codec.h"
#include "platform/file.h"
#include "platform/key_files.h"
#include "platform/progress_line.h"
#include "server/image_scan.h"

namespace fleetcast {

namespace {

std::string Ratio(uint64_t raw, uint64_t stored) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f:1", stored ? static_cast<double>(raw) / stored : 0.0);
  return buf;
}

std::string SizeText(uint64_t bytes) {
  if (bytes < 1024) return HumanBytes(bytes);
  return HumanBytes(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

Status UnpackToDevice(const ImageReader& image, File* out, size_t threads) {
  const ChunkTable& table = image.table();
  if (out->size() < table.raw_size()) {
    return Status::InvalidArgument(out->path() + ": device is " + std::to_string(out->size()) +
                                   " bytes, the image needs " + std::to_string(table.raw_size()) +
                                   "; use a larger disk");
  }
  const Bytes zeros(table.chunk_size(), 0);
  for (uint32_t i = 0; i < table.chunk_count(); ++i) {
    if (table.Find(i) != nullptr) continue;
    ByteView z(zeros.data(), table.RawLength(i));
    if (Status s = out->WriteAt(table.RawOffset(i), z); !s.ok()) return s;
  }
  Status s = ScanImage(image, threads, "unpack", [&](const ChunkEntry& e, ByteView raw) {
    return out->WriteAt(table.RawOffset(e.index), raw);
  });
  return s.ok() ? out->Sync() : s;
}

Status UnpackToFile(const ImageReader& image, const std::string& out_path, size_t threads) {
  const ChunkTable& table = image.table();
  const std::string partial = PartialPath(out_path);
  Result<File> out = File::CreateNew(partial);
  if (!out.ok()) return out.status();
  Status s = out->Truncate(table.raw_size());
  if (s.ok()) {
    s = ScanImage(image, threads, "unpack", [&](const ChunkEntry& e, ByteView raw) {
      return out->WriteAt(table.RawOffset(e.index), raw);
    });
  }
  if (s.ok()) s = out->Sync();
  if (s.ok()) s = CommitRename(partial, out_path);
  if (!s.ok()) RemoveQuietly(partial);
  return s;
}

// "  2  ext2/3/4  at 41.0 MiB, 37.0 MiB: used ..., free ..., stored ..."
std::string PartitionLine(const PartitionUsage& p, const ChunkTable& t) {
  char head[64];
  std::snprintf(head, sizeof(head), "  %-3u %-9s", p.number, FsKindName(p.fs));
  return std::string(head) + "at " + HumanBytes(p.offset) + ", " + HumanBytes(p.size) + ": used " +
         HumanBytes(p.used) + ", free " + HumanBytes(p.free) + ", stored " +
         HumanBytes(p.StoredRawBytes(t)) + "\n";
}

nlohmann::json PartitionsJson(const image::Manifest& m) {
  nlohmann::json list = nlohmann::json::array();
  for (const PartitionUsage& p : m.partitions) {
    list.push_back({{"number", p.number},
                    {"filesystem", FsKindName(p.fs)},
                    {"offset", p.offset},
                    {"size", p.size},
                    {"used_bytes", p.used},
                    {"free_bytes", p.free},
                    {"stored_bytes", p.StoredRawBytes(m.table)}});
  }
  return list;
}

}  // namespace

std::string InfoText(const ImageReader& image) {
  const image::Manifest& m = image.manifest();
  const ChunkTable& t = m.table;
  std::ostringstream o;
  o << "image        " << image.path() << "\n"
    << "format       fcimg version " << image.header().version << "\n"
    << "label        " << (m.label.empty() ? "-" : m.label) << "\n"
    << "raw size     " << SizeText(t.raw_size()) << "\n"
    << "chunk size   " << HumanBytes(t.chunk_size()) << "\n"
    << "chunks       " << t.chunk_count() << ": " << t.stored_count() << " stored, "
    << t.zero_count() << " zero\n"
    << "stored       " << SizeText(t.stored_bytes()) << " of " << HumanBytes(t.stored_raw_bytes())
    << " raw (" << Ratio(t.stored_raw_bytes(), t.stored_bytes()) << ")\n"
    << "ratio        " << Ratio(t.raw_size(), t.stored_bytes()) << " (raw size : stored)\n"
    << "file size    " << SizeText(image.file_size()) << "\n"
    << "codec        zstd level " << m.level << "\n"
    << "digest       xxh3-128:" << m.image_digest.ToHex() << "\n"
    << "chunk hashes " << (m.has_strong_digests() ? "blake2b-256" : "-") << "\n"
    << "signature    " << m.SignerText() << "\n";
  if (!m.partitions.empty()) {
    o << "partitions   " << m.partitions.size() << " (stored: bytes in stored chunks)\n";
    for (const PartitionUsage& p : m.partitions) o << PartitionLine(p, t);
  }
  return o.str();
}

std::string InfoJson(const ImageReader& image) {
  const image::Manifest& m = image.manifest();
  const ChunkTable& t = m.table;
  nlohmann::json j = {
      {"image", image.path()},
      {"format_version", image.header().version},
      {"label", m.label},
      {"raw_size", t.raw_size()},
      {"chunk_size", t.chunk_size()},
      {"chunk_count", t.chunk_count()},
      {"stored_chunks", t.stored_count()},
      {"zero_chunks", t.zero_count()},
      {"stored_bytes", t.stored_bytes()},
      {"stored_raw_bytes", t.stored_raw_bytes()},
      {"file_size", image.file_size()},
      {"codec", "zstd"},
      {"level", m.level},
      {"image_digest", "xxh3-128:" + m.image_digest.ToHex()},
      {"chunk_hashes", m.has_strong_digests() ? "blake2b-256" : ""},
      {"signed_by", m.signature ? sign::Fingerprint(m.signature->signer) : ""},
      {"partitions", PartitionsJson(m)},
  };
  return j.dump(2) + "\n";
}

Status RunInfo(const std::string& path, bool json) {
  Result<ImageReader> image = ImageReader::Open(path);
  if (!image.ok()) return image.status();
  const std::string text = json ? InfoJson(*image) : InfoText(*image);
  std::fputs(text.c_str(), stdout);
  return Status::OK();
}

Status CheckTrust(const ImageReader& image, const std::vector<std::string>& trust_files) {
  if (trust_files.empty()) return Status::OK();
  Result<std::vector<sign::PublicKey>> keys = LoadTrustedKeys(trust_files);
  if (!keys.ok()) return keys.status();
  Status s = image::CheckSigner(image.manifest(), *keys);
  if (s.ok()) return s;
  const std::string fix = image.manifest().signature
                              ? "check which key signed it, or pass its .pub to --trust"
                              : "pack it with --sign NAME.key";
  return Status::InvalidArgument(image.path() + ": " + s.message() + "; " + fix);
}

Status RunVerify(const std::string& path, size_t threads,
                 const std::vector<std::string>& trust_files) {
  Result<ImageReader> image = ImageReader::Open(path);
  if (!image.ok()) return image.status();
  if (Status s = CheckTrust(*image, trust_files); !s.ok()) return s;
  const bool strong = image->manifest().has_strong_digests();
  Status s = ScanImage(*image, threads, "verify", [strong](const ChunkEntry& e, ByteView raw) {
    return strong ? CheckStrongDigest(e, raw) : Status::OK();
  });
  if (!s.ok()) return s;
  std::printf("%s: OK: %u chunks (%u stored, %u zero), digest xxh3-128:%s, %s\n", path.c_str(),
              image->table().chunk_count(), image->table().stored_count(),
              image->table().zero_count(), image->manifest().image_digest.ToHex().c_str(),
              image->manifest().SignerText().c_str());
  return Status::OK();
}

Status RunKeygen(const std::string& name, bool force) {
  Result<sign::PublicKey> key = WriteNewKeyPair(name, force);
  if (!key.ok()) return key.status();
  std::printf("%s.key: secret key (keep it private); %s.pub: public key %s\n", name.c_str(),
              name.c_str(), sign::Fingerprint(*key).c_str());
  return Status::OK();
}

Status RunUnpack(const std::string& path, const std::string& out, size_t threads) {
  Result<ImageReader> image = ImageReader::Open(path);
  if (!image.ok()) return image.status();
  if (SameFile(path, out)) {
    return Status::InvalidArgument(out + ": is the image itself; choose another output path");
  }
  Status s;
  if (IsBlockDevice(out)) {
    Result<File> device = File::OpenDevice(out);
    s = device.ok() ? UnpackToDevice(*image, &*device, threads) : device.status();
  } else {
    s = UnpackToFile(*image, out, threads);
  }
  if (!s.ok()) return s;
  std::printf("%s: unpacked %s, digest xxh3-128:%s\n", out.c_str(),
              HumanBytes(image->table().raw_size()).c_str(),
              image->manifest().image_digest.ToHex().c_str());
  return Status::OK();
}

Status RunPack(const PackOptions& options) {
  Result<PackSummary> r = Pack(options);
  if (!r.ok()) return r.status();
  const ChunkTable& t = r->manifest.table;
  const double mbps = r->seconds > 0 ? static_cast<double>(t.raw_size()) / r->seconds / 1e6 : 0;
  std::printf(
      "%s: packed %s into %s: %u chunks (%u stored, %u zero), ratio %s, %.1f s, %.1f MB/s, "
      "digest xxh3-128:%s, %s\n",
      options.output.c_str(), HumanBytes(t.raw_size()).c_str(), HumanBytes(r->file_size).c_str(),
      t.chunk_count(), t.stored_count(), t.zero_count(),
      Ratio(t.raw_size(), t.stored_bytes()).c_str(), r->seconds, mbps,
      r->manifest.image_digest.ToHex().c_str(), r->manifest.SignerText().c_str());
  return Status::OK();
}

}  // namespace fleetcast
