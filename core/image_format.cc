#include "core/image_format.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace fleetcast::image {

namespace {

constexpr size_t kHeaderDigestOffset = FileHeader::kEncodedLength - 8;

std::string Str(uint64_t v) { return std::to_string(v); }

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

void FileHeader::EncodeTo(Bytes* dst) const {
  const size_t start = dst->size();
  PutBytes(dst, kMagic);
  PutFixed32(dst, version);
  PutFixed32(dst, flags);
  PutFixed64(dst, data_offset);
  PutFixed64(dst, manifest_offset);
  PutFixed64(dst, manifest_size);
  PutFixed64(dst, manifest_digest);
  PutFixed64(dst, 0);  // reserved
  PutFixed64(dst, Xxh3_64(ByteView(dst->data() + start, kHeaderDigestOffset)));
}

Result<FileHeader> FileHeader::DecodeFrom(ByteView input) {
  if (input.size() < kEncodedLength) {
    return Status::Corruption("truncated: " + Str(input.size()) +
                              " bytes, but an .fcimg header is " + Str(kEncodedLength));
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), input.begin())) {
    return Status::Corruption("not an .fcimg image (bad magic)");
  }
  ByteReader r(input.subspan(kMagic.size()));
  FileHeader h;
  r.GetFixed32(&h.version);
  if (h.version < kOldestFormatVersion || h.version > kFormatVersion) {
    return Status::NotSupported("unsupported .fcimg version " + Str(h.version) +
                                " (this fleetcast reads versions " + Str(kOldestFormatVersion) +
                                " to " + Str(kFormatVersion) + "); use a matching fleetcast");
  }
  const uint64_t want = Xxh3_64(input.first(kHeaderDigestOffset));
  if (DecodeFixed64(input.data() + kHeaderDigestOffset) != want) {
    return Status::Corruption("header digest mismatch (the header is corrupt)");
  }
  uint64_t reserved = 0;
  r.GetFixed32(&h.flags);
  r.GetFixed64(&h.data_offset);
  r.GetFixed64(&h.manifest_offset);
  r.GetFixed64(&h.manifest_size);
  r.GetFixed64(&h.manifest_digest);
  r.GetFixed64(&reserved);
  if (h.flags != 0) {
    return Status::NotSupported("header flags " + Hex(h.flags) +
                                " name features this fleetcast lacks; use a newer fleetcast");
  }
  return h;
}

void Manifest::EncodeTo(Bytes* dst) const {
  uint32_t written_flags = signature ? flags | kFlagSigned : flags & ~kFlagSigned;
  written_flags =
      partitions.empty() ? written_flags & ~kFlagPartitions : written_flags | kFlagPartitions;
  PutFixed64(dst, table.raw_size());
  PutFixed32(dst, table.chunk_size());
  PutFixed32(dst, table.stored_count());
  PutFixed8(dst, static_cast<uint8_t>(codec));
  PutFixed8(dst, 0);  // reserved
  PutFixed16(dst, static_cast<uint16_t>(label.size()));
  PutFixed32(dst, static_cast<uint32_t>(level));
  PutFixed32(dst, written_flags);
  PutDigest128(dst, image_digest);
  PutString(dst, label);
  for (const ChunkEntry& e : table.entries()) e.EncodeTo(dst, has_strong_digests());
  if (!partitions.empty()) {
    PutFixed32(dst, static_cast<uint32_t>(partitions.size()));
    for (const PartitionUsage& p : partitions) p.EncodeTo(dst);
  }
  if (signature) {
    PutBytes(dst, signature->signer);
    PutBytes(dst, signature->signature);
  }
}

Status Manifest::SignWith(const sign::SecretKey& secret) {
  if (!has_strong_digests()) {
    return Status::InvalidArgument("manifest: has no chunk hashes to sign");
  }
  signature = ManifestSignature{sign::PublicKeyOf(secret), {}};
  Bytes bytes;
  EncodeTo(&bytes);
  signature->signature =
      sign::Sign(ByteView(bytes).first(bytes.size() - sign::kSignatureLength), secret);
  flags |= kFlagSigned;
  return Status::OK();
}

std::string Manifest::SignerText() const {
  return signature ? "signed by " + sign::Fingerprint(signature->signer) : "unsigned";
}

namespace {

// Splits the signature off a signed manifest and checks it. On success
// *body is the manifest without its signature block.
Status TakeSignature(ByteView input, Manifest* m, ByteView* body) {
  if (input.size() < Manifest::kFixedLength + ManifestSignature::kEncodedLength) {
    return Status::Corruption("manifest: signed, but too short to hold a signature");
  }
  ManifestSignature sig;
  const size_t signed_length = input.size() - sign::kSignatureLength;
  ByteView key = input.subspan(signed_length - sign::kPublicKeyLength, sign::kPublicKeyLength);
  ByteView value = input.subspan(signed_length);
  std::copy(key.begin(), key.end(), sig.signer.begin());
  std::copy(value.begin(), value.end(), sig.signature.begin());
  if (!sign::Verify(input.first(signed_length), sig.signature, sig.signer)) {
    return Status::Corruption(
        "manifest: signature does not verify (the manifest was changed after it was signed)");
  }
  m->signature = sig;
  *body = input.first(input.size() - ManifestSignature::kEncodedLength);
  return Status::OK();
}

// The partition list that ends a manifest with kFlagPartitions: a count, then
// that many records filling the rest of the manifest exactly.
Status DecodePartitions(ByteReader* r, uint64_t raw_size, std::vector<PartitionUsage>* out) {
  uint32_t count = 0;
  if (!r->GetFixed32(&count) || count == 0) {
    return Status::Corruption("manifest: partition list is missing or empty");
  }
  if (r->remaining() != uint64_t{count} * PartitionUsage::kEncodedLength) {
    return Status::Corruption("manifest: partition list is " + Str(r->remaining()) +
                              " bytes, but " + Str(count) + " partitions need " +
                              Str(uint64_t{count} * PartitionUsage::kEncodedLength));
  }
  for (uint32_t i = 0; i < count; ++i) {
    Result<PartitionUsage> p = PartitionUsage::DecodeFrom(r, raw_size);
    if (!p.ok()) return p.status();
    out->push_back(*p);
  }
  return Status::OK();
}

Status CheckFlags(uint32_t flags) {
  if ((flags & ~Manifest::kKnownFlags) != 0) {
    return Status::NotSupported("manifest: flags " + Hex(flags) +
                                " name features this fleetcast lacks; use a newer fleetcast");
  }
  if ((flags & Manifest::kFlagSigned) != 0 && (flags & Manifest::kFlagStrongDigests) == 0) {
    return Status::Corruption("manifest: signed, but without chunk hashes");
  }
  return Status::OK();
}

}  // namespace

Result<Manifest> Manifest::DecodeFrom(ByteView input) {
  if (input.size() < kFixedLength) {
    return Status::Corruption("manifest: truncated at " + Str(input.size()) + " of at least " +
                              Str(kFixedLength) + " bytes");
  }
  ByteReader r(input);
  uint64_t raw_size = 0;
  uint32_t chunk_size = 0, stored_count = 0, level = 0;
  uint8_t codec = 0, reserved = 0;
  uint16_t label_size = 0;
  Manifest m;
  r.GetFixed64(&raw_size);
  r.GetFixed32(&chunk_size);
  r.GetFixed32(&stored_count);
  r.GetFixed8(&codec);
  r.GetFixed8(&reserved);
  r.GetFixed16(&label_size);
  r.GetFixed32(&level);
  r.GetFixed32(&m.flags);
  GetDigest128(&r, &m.image_digest);
  if (Status s = CheckFlags(m.flags); !s.ok()) return s;
  if ((m.flags & kFlagSigned) != 0) {
    ByteView body;
    if (Status s = TakeSignature(input, &m, &body); !s.ok()) return s;
    r = ByteReader(body.subspan(kFixedLength));
  }
  if (codec != static_cast<uint8_t>(Codec::kZstd)) {
    return Status::NotSupported("manifest: unknown codec " + Str(codec));
  }
  if (Status s = ChunkTable::CheckGeometry(raw_size, chunk_size); !s.ok()) {
    return s.Prefixed("manifest");
  }
  ByteView label;
  if (label_size > kMaxLabelLength || !r.GetBytes(label_size, &label)) {
    return Status::Corruption("manifest: label size " + Str(label_size) + " is out of range");
  }
  const bool strong = m.has_strong_digests();
  const uint64_t entry_length =
      strong ? ChunkEntry::kStrongEncodedLength : ChunkEntry::kEncodedLength;
  const uint64_t table_length = uint64_t{stored_count} * entry_length;
  const bool listed = (m.flags & kFlagPartitions) != 0;
  if (listed ? r.remaining() < table_length : r.remaining() != table_length) {
    return Status::Corruption("manifest: chunk table is " + Str(r.remaining()) + " bytes, but " +
                              Str(stored_count) + " entries need " + Str(table_length));
  }
  std::vector<ChunkEntry> entries(stored_count);
  for (ChunkEntry& e : entries) e.DecodeFrom(&r, strong);
  if (listed) {
    if (Status s = DecodePartitions(&r, raw_size, &m.partitions); !s.ok()) return s;
  }
  Result<ChunkTable> table = ChunkTable::Make(raw_size, chunk_size, std::move(entries));
  if (!table.ok()) return table.status().Prefixed("manifest");
  m.table = std::move(table).value();
  m.codec = Codec::kZstd;
  m.level = static_cast<int32_t>(level);
  m.label.assign(label.begin(), label.end());
  if (m.table.ImageDigest() != m.image_digest) {
    return Status::Corruption("manifest: image digest does not match the chunk table");
  }
  return m;
}

Status CheckSigner(const Manifest& manifest, std::span<const sign::PublicKey> trusted) {
  if (!manifest.signature) {
    return Status::InvalidArgument("unsigned, but --trust needs a signed image");
  }
  for (const sign::PublicKey& key : trusted) {
    if (key == manifest.signature->signer) return Status::OK();
  }
  return Status::InvalidArgument(manifest.SignerText() + ", a key --trust does not name");
}

Status CheckLayout(const FileHeader& header, uint64_t file_size) {
  if (header.data_offset < FileHeader::kEncodedLength) {
    return Status::Corruption("header: data offset " + Str(header.data_offset) +
                              " overlaps the header");
  }
  if (header.manifest_offset < header.data_offset) {
    return Status::Corruption("header: manifest offset " + Str(header.manifest_offset) +
                              " is before the data offset " + Str(header.data_offset));
  }
  const uint64_t end = header.manifest_offset + header.manifest_size;
  if (end < header.manifest_offset || end > file_size) {
    return Status::Corruption("truncated: the file is " + Str(file_size) +
                              " bytes, but its manifest ends at byte " + Str(end));
  }
  if (end < file_size) {
    return Status::Corruption(Str(file_size - end) + " bytes of unknown data after the manifest");
  }
  return Status::OK();
}

Status CheckChunkPlacement(const FileHeader& header, const ChunkTable& table) {
  for (const ChunkEntry& e : table.entries()) {
    const uint64_t end = e.offset + e.stored_size;
    if (e.offset < header.data_offset || end < e.offset || end > header.manifest_offset) {
      return Status::Corruption("chunk " + Str(e.index) + ": bytes " + Str(e.offset) + ".." +
                                Str(end) + " lie outside the chunk data (" +
                                Str(header.data_offset) + ".." + Str(header.manifest_offset) + ")");
    }
  }
  return Status::OK();
}

Status CheckManifestVersion(const FileHeader& header, const Manifest& manifest) {
  constexpr uint32_t kVersion2Flags =
      Manifest::kFlagStrongDigests | Manifest::kFlagSigned | Manifest::kFlagPartitions;
  const uint32_t v2 = manifest.flags & kVersion2Flags;
  if (header.version < 2 && v2 != 0) {
    return Status::Corruption(
        "manifest: flags " + Hex(v2) +
        " (chunk hashes, signature, partitions) need .fcimg version 2, but the header "
        "says version " +
        Str(header.version) + "; pack the image again");
  }
  return Status::OK();
}

Result<Manifest> DecodeImage(ByteView file) {
  Result<FileHeader> header = FileHeader::DecodeFrom(file);
  if (!header.ok()) return header.status();
  if (Status s = CheckLayout(*header, file.size()); !s.ok()) return s;
  ByteView bytes = file.subspan(header->manifest_offset, header->manifest_size);
  if (Xxh3_64(bytes) != header->manifest_digest) {
    return Status::Corruption("manifest digest mismatch (the manifest is corrupt)");
  }
  Result<Manifest> manifest = Manifest::DecodeFrom(bytes);
  if (!manifest.ok()) return manifest.status();
  if (Status s = CheckManifestVersion(*header, *manifest); !s.ok()) return s;
  if (Status s = CheckChunkPlacement(*header, manifest->table); !s.ok()) return s;
  return manifest;
}

}  // namespace fleetcast::image
