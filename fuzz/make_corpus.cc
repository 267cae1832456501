// Writes the seed corpus of the fuzz targets: messages and datagrams made by
// the real encoders, so the fuzzers start from inputs that decode. Built
// with -DFLEETCAST_FUZZ=ON; its output is committed:
//
//   build-fuzz/fuzz_make_corpus fuzz/corpus
//
// fuzz/corpus/<target>/<seed> for fuzz_datagram, fuzz_control_message,
// fuzz_announce and fuzz_image_format (whose other seeds, images packed by
// the real server, scripts/test.sh makes). Deterministic: the same build
// writes the same bytes (Ed25519 signatures are deterministic; the key is
// made from a fixed seed).
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/announce.h"
#include "core/chunk_codec.h"
#include "core/coding.h"
#include "core/control_message.h"
#include "core/datagram_seal.h"
#include "core/fec_layout.h"
#include "core/image_format.h"
#include "core/wire_format.h"
#include "fuzz/datagram_fixture.h"

namespace fleetcast::fuzz {

namespace fs = std::filesystem;

bool Write(const fs::path& dir, const std::string& name, ByteView bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// --- control messages: frame bodies, without the length prefix -----------

Bytes Body(const control::Message& m) {
  Bytes frame;
  control::AppendFrame(m, &frame);
  return Bytes(frame.begin() + control::kFrameHeaderLength, frame.end());
}

bool ControlSeeds(const fs::path& dir) {
  const std::vector<std::pair<std::string, control::Message>> seeds = {
      {"hello", control::Hello{"52:54:00:12:34:56", control::kProtocolVersion}},
      {"session", control::Session{kSession, "239.77.0.1", 7311, 1400, 64, Pattern(48, 1),
                                   DatagramFixtureKey(), true}},
      {"report", control::Report{3, {{0, 0, 2}, {812, 1, 17}}, 40, 1200, 5, 9}},
      {"report_done", control::Report{4, {}, 42, 90, 0, 0}},
      {"progress", control::Progress{2, 5000, 12}},
      {"pass_end", control::PassEnd{2}},
      {"done", control::Done{"0123456789abcdef0123456789abcdef", 40, 2}},
      {"have", control::Have{Bytes{0xff, 0x3f}, std::nullopt}},
      {"error", control::Error{"disk is too small"}},
      {"release", control::Release{"reboot"}},
      {"identity",
       control::Identity{
           "lab-07", {{"sysprep.inf", Pattern(24, 'a')}, {"nocloud/user-data", Pattern(16, '#')}}}},
  };
  for (const auto& [name, m] : seeds) {
    if (!Write(dir, name, Body(m))) return false;
  }
  return true;
}

// --- announces, and text for the endpoint and image-name helpers ----------

bool AnnounceSeeds(const fs::path& dir) {
  announce::Announce a;
  a.server = "10.0.0.1";
  a.port = 7340;
  a.image = announce::ShortImageName("/srv/images/win10-lab.fcimg");
  a.digest = announce::ShortDigest("0123456789abcdef0123456789abcdef");
  a.group = "239.77.0.1";
  a.http_port = 8080;
  Bytes d;
  a.EncodeTo(&d);
  const std::string endpoint = "239.77.0.254:7009";
  const std::string path = "/srv/images/win10-lab.fcimg";
  return Write(dir, "announce", d) &&
         Write(dir, "endpoint",
               ByteView(reinterpret_cast<const uint8_t*>(endpoint.data()), endpoint.size())) &&
         Write(dir, "image_path",
               ByteView(reinterpret_cast<const uint8_t*>(path.data()), path.size()));
}

// --- datagrams: sequences for the fixture image, each behind a fixed16 ----

// Appends the datagram, sealed with the fixture key.
void PutDatagram(Bytes* seq, wire::DatagramHeader h, ByteView payload,
                 wire::SealMode mode = wire::SealMode::kAuthenticated) {
  h.session = kSession;
  h.length = static_cast<uint16_t>(payload.size());
  Bytes d(wire::DatagramHeader::kEncodedLength + payload.size() + wire::kTagLength);
  h.EncodeTo(d.data());
  std::copy(payload.begin(), payload.end(), d.begin() + wire::DatagramHeader::kEncodedLength);
  wire::DatagramSeal(DatagramFixtureKey(), mode).Seal(d);
  PutFixed16(seq, static_cast<uint16_t>(d.size()));
  PutBytes(seq, d);
}

// Every data shard of the chunk, and `parity` parity shards of block 0
// (their bytes are not real parity: the fuzzer only needs their shape).
Bytes ChunkShards(const ChunkTable& table, uint32_t chunk, uint32_t parity,
                  wire::SealMode mode = wire::SealMode::kAuthenticated) {
  const fec::ChunkLayout layout(table.Find(chunk)->stored_size, kShardSize, kMaxDataShards);
  Bytes seq;
  uint16_t seq_no = 0;
  for (uint32_t b = 0; b < layout.block_count(); ++b) {
    const uint32_t k = layout.block(b).data_shards;
    for (uint32_t s = 0; s < k + (b == 0 ? parity : 0); ++s) {
      wire::DatagramHeader h;
      h.chunk = chunk;
      h.block = static_cast<uint16_t>(b);
      h.shard = static_cast<uint8_t>(s);
      h.k = static_cast<uint8_t>(k);
      h.pass = 1;
      h.seq = seq_no++;
      const uint32_t n = s < k ? layout.DataShardBytes(b, s) : layout.shard_length();
      PutDatagram(&seq, h, Pattern(n, static_cast<uint8_t>(chunk * 16 + b * 4 + s)), mode);
    }
  }
  return seq;
}

bool DatagramSeeds(const fs::path& dir) {
  const ChunkTable table = DatagramFixtureTable();
  Bytes pass_end;
  wire::DatagramHeader h;
  h.type = wire::DatagramType::kPassEnd;
  h.pass = 1;
  h.seq = 9;
  PutDatagram(&pass_end, h, {});
  Bytes wrong_k;
  h = wire::DatagramHeader{};
  h.chunk = 2;
  h.k = 3;
  PutDatagram(&wrong_k, h, Pattern(100, 5));
  return Write(dir, "chunk0_two_blocks", ChunkShards(table, 0, 0)) &&
         Write(dir, "chunk2_short", ChunkShards(table, 2, 0)) &&
         Write(dir, "chunk3_parity", ChunkShards(table, 3, 1)) &&
         Write(dir, "chunk2_encrypted", ChunkShards(table, 2, 0, wire::SealMode::kEncrypted)) &&
         Write(dir, "pass_end", pass_end) && Write(dir, "wrong_k", wrong_k);
}

// --- images and manifests of version 2: chunk hashes and the signature -----

// Packs `raw` in 4 KiB chunks as `pack` does: a whole .fcimg of
// `header_version` whose manifest has chunk hashes and, with `key`, is
// signed. *manifest_bytes gets the manifest alone.
Bytes PackImage(ByteView raw, uint32_t header_version, const sign::SecretKey* key,
                Bytes* manifest_bytes, bool partitions = false) {
  constexpr uint32_t kChunk = 4096;
  ChunkCompressor compressor(3);
  Bytes file(image::kDataOffset, 0);
  std::vector<ChunkEntry> entries;
  for (uint64_t off = 0, i = 0; off < raw.size(); off += kChunk, ++i) {
    PackedChunk c;
    if (!compressor.Pack(raw.subspan(off, kChunk), &c).ok() || c.zero) continue;
    entries.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(c.stored.size()),
                       file.size(), c.stored_digest, c.raw_digest, c.strong_digest});
    PutBytes(&file, c.stored);
  }
  image::Manifest m;
  m.table = ChunkTable::Make(raw.size(), kChunk, std::move(entries)).value();
  m.level = 3;
  m.label = "seed";
  m.image_digest = m.table.ImageDigest();
  m.flags = image::Manifest::kFlagStrongDigests;
  if (partitions) {
    // A filesystem-aware pack's list: an ext4 and a partition it could not read.
    m.partitions = {{4096, 8192, 4096, 4096, 1, FsKind::kExt},
                    {12288, raw.size() - 12288, raw.size() - 12288, 0, 2, FsKind::kUnknown}};
  }
  if (key != nullptr) (void)m.SignWith(*key);
  manifest_bytes->clear();
  m.EncodeTo(manifest_bytes);
  image::FileHeader h;
  h.version = header_version;
  h.manifest_offset = file.size();
  h.manifest_size = manifest_bytes->size();
  h.manifest_digest = Xxh3_64(*manifest_bytes);
  PutBytes(&file, *manifest_bytes);
  Bytes head;
  h.EncodeTo(&head);
  std::copy(head.begin(), head.end(), file.begin());
  return file;
}

bool ImageSeeds(const fs::path& dir) {
  if (sodium_init() < 0) return false;
  std::array<uint8_t, crypto_sign_SEEDBYTES> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
  sign::PublicKey pk;
  sign::SecretKey sk;
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  // Three chunks with data, one zero chunk (not stored), one short of text.
  Bytes raw = Pattern(3 * 4096, 3);
  raw.resize(4 * 4096, 0);
  for (int i = 0; i < 2048; ++i) raw.push_back(static_cast<uint8_t>('a' + i % 7));
  Bytes signed_manifest, hashed_manifest, listed_manifest, unused;
  const Bytes signed_image = PackImage(raw, 2, &sk, &signed_manifest);
  const Bytes hashed_image = PackImage(raw, 2, nullptr, &hashed_manifest);
  const Bytes listed_image = PackImage(raw, 2, &sk, &listed_manifest, true);
  // The refused mix: a version-1 header over a signed manifest.
  const Bytes old_header = PackImage(raw, 1, &sk, &unused);
  return Write(dir, "image_v2_signed", signed_image) &&
         Write(dir, "image_v2_hashes", hashed_image) &&
         Write(dir, "manifest_v2_signed", signed_manifest) &&
         Write(dir, "manifest_v2_hashes", hashed_manifest) &&
         Write(dir, "image_v2_partitions", listed_image) &&
         Write(dir, "manifest_v2_partitions", listed_manifest) &&
         Write(dir, "image_v1_header_v2_flags", old_header);
}

}  // namespace fleetcast::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_corpus DIR (e.g. fuzz/corpus)\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  namespace fuzz = fleetcast::fuzz;
  if (!fuzz::ControlSeeds(out / "fuzz_control_message") ||
      !fuzz::AnnounceSeeds(out / "fuzz_announce") || !fuzz::DatagramSeeds(out / "fuzz_datagram") ||
      !fuzz::ImageSeeds(out / "fuzz_image_format")) {
    std::fprintf(stderr, "fuzz_make_corpus: error: cannot write under %s\n", argv[1]);
    return 1;
  }
  return 0;
}
