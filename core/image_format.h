// The .fcimg image format: everything a writer and a reader must agree on.
// The grammar and a worked example are in docs/image-format.md.
//
//   file     := header padding chunk-data manifest
//   header   := 64 bytes at offset 0 (FileHeader), zero-padded to data_offset
//   chunk-data := the zstd frames of the stored chunks, in chunk order
//   manifest := Manifest, ending exactly at the end of the file
//
// The header is written last, after the manifest is on disk, so a pack that
// stops half way never leaves a file whose magic is valid. All integers are
// little-endian (core/coding.h).
#ifndef FLEETCAST_CORE_IMAGE_FORMAT_H_
#define FLEETCAST_CORE_IMAGE_FORMAT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/chunk_table.h"
#include "core/coding.h"
#include "core/digest.h"
#include "core/partition_usage.h"
#include "core/signing.h"
#include "core/status.h"

namespace fleetcast::image {

/// "\x89FCIMG\r\n": the high-bit byte catches 7-bit transfers, the CR LF pair
/// catches newline conversion (as PNG's signature does), and the letters make
/// the file recognisable in a hex dump.
constexpr std::array<uint8_t, 8> kMagic = {0x89, 'F', 'C', 'I', 'M', 'G', '\r', '\n'};

/// Bumped on any change an older reader could misread. Version 2 added the
/// manifest's chunk hashes and signature (Manifest::kFlagStrongDigests,
/// kFlagSigned); this reader still reads version 1.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kOldestFormatVersion = 1;

/// Where chunk data starts: one page, so chunk reads can be page-aligned.
constexpr uint64_t kDataOffset = 4096;

/// Codec of the stored chunk bytes.
enum class Codec : uint8_t {
  kInvalid = 0,
  kZstd = 1,  // one zstd frame per chunk, content size recorded
};

constexpr size_t kMaxLabelLength = 256;

// FileHeader, 64 bytes at offset 0:
//   magic            8 bytes  kMagic
//   version          fixed32  kFormatVersion
//   flags            fixed32  0; a set bit is a feature this reader lacks
//   data_offset      fixed64  where chunk data starts (kDataOffset)
//   manifest_offset  fixed64  where the manifest starts
//   manifest_size    fixed64  its length; it ends at the end of the file
//   manifest_digest  fixed64  XXH3-64 of the manifest bytes
//   reserved         fixed64  0
//   header_digest    fixed64  XXH3-64 of the 56 bytes before it
struct FileHeader {
  static constexpr size_t kEncodedLength = 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 8;
  static_assert(kEncodedLength == 64);

  uint32_t version = kFormatVersion;
  uint32_t flags = 0;
  uint64_t data_offset = kDataOffset;
  uint64_t manifest_offset = 0;
  uint64_t manifest_size = 0;
  uint64_t manifest_digest = 0;

  bool operator==(const FileHeader&) const = default;

  /// Appends exactly kEncodedLength bytes.
  void EncodeTo(Bytes* dst) const;
  /// Checks length, magic, version, header digest and flags, in that order;
  /// the message says which check failed.
  static Result<FileHeader> DecodeFrom(ByteView input);
};

// Manifest:
//   raw_size        fixed64  bytes of the raw disk image (multiple of 512)
//   chunk_size      fixed32  bytes per chunk (power of two, 4 KiB..64 MiB)
//   stored_count    fixed32  number of chunk entries that follow the label
//   codec           fixed8   Codec (1 = zstd)
//   reserved        fixed8   0
//   label_size      fixed16  bytes of label (at most 256)
//   level           fixed32  zstd level used (two's complement)
//   flags           fixed32  0; a set bit is a feature this reader lacks
//   image_digest    16 bytes ChunkTable::ImageDigest() (low, high)
//   label           label_size bytes of UTF-8, from `pack --label`
//   entries         stored_count ChunkEntry records (core/chunk_table.h),
//                   72 bytes each with kFlagStrongDigests, else 40
//   partition_count fixed32  } only with kFlagPartitions: what pack found in
//   partitions      partition_count PartitionUsage records, 40 bytes each
//                   (core/partition_usage.h)
//   signer          32 bytes  Ed25519 public key   } only with kFlagSigned
//   signature       64 bytes  Ed25519 signature of } every manifest byte
//                             before it, signer included
struct ManifestSignature {
  static constexpr size_t kEncodedLength = sign::kPublicKeyLength + sign::kSignatureLength;

  sign::PublicKey signer{};
  sign::Signature signature{};

  bool operator==(const ManifestSignature&) const = default;
};

struct Manifest {
  static constexpr size_t kFixedLength = 8 + 4 + 4 + 1 + 1 + 2 + 4 + 4 + kDigest128Length;
  static_assert(kFixedLength == 44);

  /// Each entry carries the BLAKE2b-256 of its raw bytes (version 2).
  static constexpr uint32_t kFlagStrongDigests = 1u << 0;
  /// The manifest ends with a ManifestSignature (version 2); needs
  /// kFlagStrongDigests, or the signature would vouch only for XXH3.
  static constexpr uint32_t kFlagSigned = 1u << 1;
  /// The entries are followed by the source disk's partitions and their
  /// used and free bytes (filesystem-aware pack). A reader without it
  /// refuses the image, which is safe: only `info` needs the list.
  static constexpr uint32_t kFlagPartitions = 1u << 2;
  static constexpr uint32_t kKnownFlags = kFlagStrongDigests | kFlagSigned | kFlagPartitions;

  ChunkTable table;
  Codec codec = Codec::kZstd;
  int32_t level = 0;
  uint32_t flags = 0;  // kFlagSigned is kept equal to signature.has_value()
  Digest128 image_digest;
  std::string label;
  std::optional<ManifestSignature> signature;
  /// In disk order; encoded with kFlagPartitions, which EncodeTo sets
  /// exactly when the list is not empty.
  std::vector<PartitionUsage> partitions;

  bool has_strong_digests() const { return (flags & kFlagStrongDigests) != 0; }
  /// "signed by ed25519:<fingerprint>" or "unsigned".
  std::string SignerText() const;

  void EncodeTo(Bytes* dst) const;
  /// Signs the manifest as it is now: sets kFlagSigned and the signature.
  /// Fails unless it has kFlagStrongDigests.
  Status SignWith(const sign::SecretKey& secret);
  /// Checks, in order: length, codec, flags, the signature (if signed; before
  /// any other field is believed), geometry, label, entries, and that
  /// image_digest matches the chunk table.
  static Result<Manifest> DecodeFrom(ByteView input);
};

/// OK if the manifest is signed by one of `trusted`. Otherwise a
/// kInvalidArgument naming what is wrong, "unsigned, but --trust needs a
/// signed image" or "signed by ed25519:..., a key --trust does not name",
/// to which the caller adds what to do.
Status CheckSigner(const Manifest& manifest, std::span<const sign::PublicKey> trusted);

/// Checks that a header fits a file of file_size bytes: the manifest lies
/// after the data offset and ends exactly at the end of the file.
Status CheckLayout(const FileHeader& header, uint64_t file_size);

/// Checks that every stored chunk lies between the data offset and the
/// manifest, where the header says chunk data is.
Status CheckChunkPlacement(const FileHeader& header, const ChunkTable& table);

/// Checks that the manifest uses only features of the header's version: a
/// version-1 file whose manifest has version-2 flags (chunk hashes, signed)
/// is refused, since a version-1 reader would misread its chunk table.
Status CheckManifestVersion(const FileHeader& header, const Manifest& manifest);

/// Decodes a whole .fcimg held in memory: header, layout, manifest digest,
/// manifest, its version, chunk placement. What the fuzzer drives; readers of real files
/// do the same steps on the parts they read.
Result<Manifest> DecodeImage(ByteView file);

}  // namespace fleetcast::image

#endif  // FLEETCAST_CORE_IMAGE_FORMAT_H_
