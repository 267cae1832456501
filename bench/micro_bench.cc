// Micro benchmarks of the per-chunk work pack, verify and unpack do (the
// digests, BLAKE2b-256 included, zero detection, zstd through
// ChunkCompressor/ChunkDecompressor, on 1 MiB chunks of random data and of
// text-like data that compresses about 2.5:1 with zstd -3) and of the
// deployment's hot paths: Reed-Solomon encode and decode at the block sizes
// used, the datagram header, and a receiver's per-datagram path. Inputs come
// from fixed seeds, so runs are comparable.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "client/disk_target.h"
#include "core/chunk_codec.h"
#include "core/chunk_table.h"
#include "core/coding.h"
#include "core/datagram_seal.h"
#include "core/digest.h"
#include "core/fec_codec.h"
#include "core/fec_layout.h"
#include "core/receive_state.h"
#include "core/secure_channel.h"
#include "core/signing.h"
#include "core/wire_format.h"

namespace fleetcast {
namespace {

constexpr size_t kChunk = 1024 * 1024;

enum DataKind : int64_t { kRandom = 0, kText = 1 };

Bytes RandomChunk(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(kChunk);
  for (size_t i = 0; i < kChunk; i += 8) {
    const uint64_t v = rng();
    for (size_t j = 0; j < 8; ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return out;
}

// Log- and config-like lines: words from a skewed vocabulary, numbers, hex
// ids, with a stretch of random bytes now and then (as file systems mix text
// with already-compressed data). Tuned to about 2.5:1 at zstd level 3.
Bytes TextChunk(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> vocab;
  for (int i = 0; i < 4096; ++i) {
    std::string w(2 + rng() % 9, 'a');
    for (char& c : w) c = static_cast<char>('a' + rng() % 26);
    vocab.push_back(std::move(w));
  }
  std::uniform_real_distribution<double> unit(0, 1);
  Bytes out;
  out.reserve(kChunk + 4096);
  uint64_t clock = 1700000000;
  while (out.size() < kChunk) {
    if (rng() % 160 == 0) {  // a binary stretch
      for (size_t n = 256 + rng() % 1024; n > 0; --n) out.push_back(static_cast<uint8_t>(rng()));
      continue;
    }
    clock += rng() % 5;
    std::string line = std::to_string(clock) + " host" + std::to_string(rng() % 8) + " ";
    for (int words = 3 + static_cast<int>(rng() % 10); words > 0; --words) {
      const double u = unit(rng);
      line += vocab[static_cast<size_t>(u * u * u * vocab.size())];
      line += (rng() % 6 == 0) ? " id=" + std::to_string(rng() % 100000) + " " : " ";
    }
    line += '\n';
    out.insert(out.end(), line.begin(), line.end());
  }
  out.resize(kChunk);
  return out;
}

Bytes MakeChunk(int64_t kind) { return kind == kRandom ? RandomChunk(42) : TextChunk(42); }

const char* KindName(int64_t kind) { return kind == kRandom ? "random" : "text"; }

void BM_Xxh3_64(benchmark::State& state) {
  const Bytes data = RandomChunk(1);
  for (auto _ : state) benchmark::DoNotOptimize(Xxh3_64(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Xxh3_64);

void BM_Xxh3_128(benchmark::State& state) {
  const Bytes data = RandomChunk(1);
  for (auto _ : state) benchmark::DoNotOptimize(Xxh3_128(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Xxh3_128);

// The strong digest pack stores and a client with --trust checks per chunk,
// beside the XXH3-128 every client checks anyway.
void BM_Blake2b256(benchmark::State& state) {
  const Bytes data = RandomChunk(1);
  for (auto _ : state) benchmark::DoNotOptimize(sign::Blake2b(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Blake2b256);

enum ScanWay : int64_t { kReadInPieces = 0, kMapped = 1 };

// The re-image scan of one client: 64 chunks of a disk whose pages are
// cached (a file just written), read in pieces and hashed, or hashed
// through a mapping (DiskTarget::MapDigest).
void BM_ScanChunks(benchmark::State& state) {
  constexpr uint32_t kChunks = 64;
  const std::string path =
      (std::filesystem::temp_directory_path() / "fleetcast-bench-scan.raw").string();
  std::filesystem::remove(path);
  const ChunkTable table = ChunkTable::Make(uint64_t{kChunks} * kChunk, kChunk, {}).value();
  Result<DiskTarget> disk = DiskTarget::Open(path, table.raw_size());
  if (!disk.ok()) {
    state.SkipWithError(disk.status().ToString().c_str());
    return;
  }
  for (uint32_t i = 0; i < kChunks; ++i) (void)disk->Write(table.RawOffset(i), RandomChunk(i));
  Bytes buffer;
  for (auto _ : state) {
    for (uint32_t i = 0; i < kChunks; ++i) {
      benchmark::DoNotOptimize(state.range(0) == kMapped
                                   ? disk->MapDigest(table, i, &buffer)
                                   : disk->ReadDigestInPieces(table, i, &buffer));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * table.raw_size()));
  state.SetLabel(state.range(0) == kMapped ? "mapped" : "read in pieces");
  std::filesystem::remove(path);
}
BENCHMARK(BM_ScanChunks)->ArgName("way")->Arg(kReadInPieces)->Arg(kMapped);

// Pack's cost for an all-zero chunk: the zero test plus the raw digest.
void BM_PackZeroChunk(benchmark::State& state) {
  const Bytes data(kChunk, 0);
  ChunkCompressor compressor(3);
  PackedChunk packed;
  for (auto _ : state) {
    if (!compressor.Pack(data, &packed).ok() || !packed.zero) state.SkipWithError("not zero");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_PackZeroChunk);

// ChunkCompressor::Pack: zstd plus both digests. Args: level, data kind.
void BM_Pack(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  const Bytes data = MakeChunk(state.range(1));
  ChunkCompressor compressor(level);
  PackedChunk packed;
  for (auto _ : state) {
    if (!compressor.Pack(data, &packed).ok()) state.SkipWithError("pack failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(KindName(state.range(1)));
  state.counters["ratio"] = static_cast<double>(data.size()) / packed.stored.size();
}
BENCHMARK(BM_Pack)->ArgNames({"level", "data"})->ArgsProduct({{1, 3}, {kRandom, kText}});

// ChunkDecompressor::Unpack of a level-3 frame: stored digest, zstd, raw
// digest, i.e. what verify and unpack do per chunk. Bytes are raw bytes.
void BM_Unpack(benchmark::State& state) {
  const Bytes data = MakeChunk(state.range(0));
  ChunkCompressor compressor(3);
  PackedChunk packed;
  if (!compressor.Pack(data, &packed).ok()) {
    state.SkipWithError("pack failed");
    return;
  }
  ChunkEntry entry;
  entry.stored_size = static_cast<uint32_t>(packed.stored.size());
  entry.stored_digest = packed.stored_digest;
  entry.raw_digest = packed.raw_digest;
  ChunkDecompressor decompressor;
  Bytes raw(data.size());
  for (auto _ : state) {
    if (!decompressor.Unpack(entry, packed.stored, raw).ok()) state.SkipWithError("unpack failed");
  }
  if (raw != data) state.SkipWithError("round trip differs");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(KindName(state.range(0)));
}
BENCHMARK(BM_Unpack)->ArgName("data")->Arg(kRandom)->Arg(kText);

constexpr uint32_t kShard = wire::ShardSizeForMtu(1500);  // 1432

std::vector<const uint8_t*> Shards(const Bytes& block, uint32_t k) {
  std::vector<const uint8_t*> out;
  for (uint32_t i = 0; i < k; ++i) out.push_back(block.data() + size_t{i} * kShard);
  return out;
}

// One fresh parity shard of a block of k data shards: what the server makes
// per repair datagram. Bytes are the block's data bytes read.
void BM_FecEncodeParityShard(benchmark::State& state) {
  const auto k = static_cast<uint32_t>(state.range(0));
  const Bytes block = RandomChunk(3);
  const std::vector<const uint8_t*> data = Shards(block, k);
  fec::ParityEncoder encoder;
  Bytes out(kShard);
  uint32_t row = k;
  for (auto _ : state) {
    encoder.Encode(data, kShard, row, out.data());
    row = row + 1 < fec::kMaxShardsPerBlock ? row + 1 : k;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * k * kShard));
}
BENCHMARK(BM_FecEncodeParityShard)->ArgName("k")->Arg(64)->Arg(128)->Arg(182);

// A block of k data shards with e of them lost and replaced by parity:
// assembly plus decode, as a client does. Bytes are the block's data bytes.
void BM_FecDecode(benchmark::State& state) {
  const auto k = static_cast<uint32_t>(state.range(0));
  const auto e = static_cast<uint32_t>(state.range(1));
  const Bytes block = RandomChunk(4);
  const std::vector<const uint8_t*> data = Shards(block, k);
  fec::ParityEncoder encoder;
  std::vector<Bytes> parity(e, Bytes(kShard));
  for (uint32_t j = 0; j < e; ++j) encoder.Encode(data, kShard, k + j, parity[j].data());
  fec::GeneratorCache generators;
  Bytes out(size_t{k} * kShard);
  for (auto _ : state) {
    fec::BlockAssembler assembler(k, kShard, out.data());
    for (uint32_t i = e; i < k; ++i) assembler.Add(i, ByteView(data[i], kShard));
    for (uint32_t j = 0; j < e; ++j) assembler.Add(k + j, parity[j]);
    if (!assembler.Decode(&generators).ok()) state.SkipWithError("decode failed");
  }
  if (!std::equal(out.begin(), out.end(), block.begin())) state.SkipWithError("decoded wrong");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * k * kShard));
}
BENCHMARK(BM_FecDecode)->ArgNames({"k", "lost"})->ArgsProduct({{64, 128, 182}, {0, 1, 4, 16}});

void BM_HeaderEncode(benchmark::State& state) {
  wire::DatagramHeader h;
  h.session = 0x11223344;
  h.chunk = 77;
  h.length = kShard;
  uint8_t out[wire::DatagramHeader::kEncodedLength];
  for (auto _ : state) {
    h.EncodeTo(out);
    ++h.seq;
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_HeaderEncode);

void BM_HeaderParse(benchmark::State& state) {
  Bytes d(wire::DatagramHeader::kEncodedLength + kShard + wire::kTagLength);
  wire::DatagramHeader h;
  h.length = kShard;
  h.EncodeTo(d.data());
  for (auto _ : state) benchmark::DoNotOptimize(wire::DatagramHeader::DecodeFrom(d));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_HeaderParse);

// One full datagram at MTU 1500 (24 header + 1432 payload + 16 tag), sealed
// as the server does per datagram: mode 1 authenticated, 2 encrypted. Bytes
// are the payload's.
Bytes ShardDatagram() {
  Bytes d(wire::DatagramHeader::kEncodedLength + kShard + wire::kTagLength);
  wire::DatagramHeader h;
  h.session = 0x11223344;
  h.chunk = 77;
  h.length = kShard;
  h.EncodeTo(d.data());
  const Bytes payload = RandomChunk(6);
  std::copy_n(payload.begin(), kShard, d.begin() + wire::DatagramHeader::kEncodedLength);
  return d;
}

const char* ModeName(int64_t mode) { return mode == 1 ? "authenticated" : "encrypted"; }

void BM_SealDatagram(benchmark::State& state) {
  const auto mode = static_cast<wire::SealMode>(state.range(0));
  const wire::DatagramSeal seal(wire::DatagramSeal::NewKey(), mode);
  Bytes d = ShardDatagram();
  uint16_t seq = 0;
  for (auto _ : state) {
    EncodeFixed16(d.data() + 22, ++seq);  // a fresh nonce, as each datagram has
    seal.Seal(d);
    benchmark::DoNotOptimize(d.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kShard));
  state.SetLabel(ModeName(state.range(0)));
}
BENCHMARK(BM_SealDatagram)->ArgName("mode")->Arg(1)->Arg(2);

// What a client does per datagram before the chunk buffer sees it.
void BM_OpenDatagram(benchmark::State& state) {
  const auto mode = static_cast<wire::SealMode>(state.range(0));
  const wire::DatagramSeal seal(wire::DatagramSeal::NewKey(), mode);
  Bytes d = ShardDatagram();
  seal.Seal(d);
  Bytes scratch;
  for (auto _ : state) {
    Result<ByteView> payload = seal.Open(d, &scratch);
    if (!payload.ok()) state.SkipWithError("does not open");
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kShard));
  state.SetLabel(ModeName(state.range(0)));
}
BENCHMARK(BM_OpenDatagram)->ArgName("mode")->Arg(1)->Arg(2);

// A client's path for one stored 1 MiB chunk at MTU 1500 and 184-shard
// blocks (unsealed: BM_OpenDatagram is the tag's cost): parse every datagram, ReceiveState::Add,
// then Take and Decode, with `lost` data shards per block replaced by parity. Items are datagrams.
void BM_ReceiverPerDatagram(benchmark::State& state) {
  const auto lost = static_cast<uint32_t>(state.range(0));
  const Bytes stored = RandomChunk(5);
  ChunkEntry entry;
  entry.stored_size = static_cast<uint32_t>(stored.size());
  entry.offset = 4096;
  const ChunkTable table = ChunkTable::Make(kChunk, kChunk, {entry}).value();
  const fec::ChunkLayout layout(entry.stored_size, kShard, 184);
  std::vector<Bytes> datagrams;
  fec::ParityEncoder encoder;
  for (uint32_t b = 0; b < layout.block_count(); ++b) {
    const fec::BlockSpan& span = layout.block(b);
    Bytes block(size_t{span.data_shards} * kShard, 0);
    std::copy_n(stored.begin() + static_cast<long>(span.offset), span.length, block.begin());
    const std::vector<const uint8_t*> data = Shards(block, span.data_shards);
    for (uint32_t i = lost; i < span.data_shards + lost; ++i) {
      wire::DatagramHeader h;
      h.block = static_cast<uint16_t>(b);
      h.shard = static_cast<uint8_t>(i);
      h.k = static_cast<uint8_t>(span.data_shards);
      const uint32_t n = i < span.data_shards ? layout.DataShardBytes(b, i) : kShard;
      h.length = static_cast<uint16_t>(n);
      Bytes d(wire::DatagramHeader::kEncodedLength + n + wire::kTagLength);
      h.EncodeTo(d.data());
      uint8_t* payload = d.data() + wire::DatagramHeader::kEncodedLength;
      if (i < span.data_shards) {
        std::copy_n(data[i], n, payload);
      } else {
        encoder.Encode(data, kShard, i, payload);
      }
      datagrams.push_back(std::move(d));
    }
  }
  fec::GeneratorCache generators;
  Bytes out;
  for (auto _ : state) {
    ReceiveState rx(table, kShard, 184, 4);
    for (const Bytes& d : datagrams) {
      const wire::DatagramHeader h = wire::DatagramHeader::DecodeFrom(d).value();
      if (rx.Add(h, ByteView(d).subspan(wire::DatagramHeader::kEncodedLength, h.length)) ==
          ReceiveState::Outcome::kChunkReady) {
        if (!rx.Take(0).Decode(&generators, &out).ok()) state.SkipWithError("decode failed");
      }
    }
  }
  if (out != stored) state.SkipWithError("decoded wrong");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * datagrams.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stored.size()));
}
BENCHMARK(BM_ReceiverPerDatagram)->ArgName("lost_per_block")->Arg(0)->Arg(2)->Arg(10);

// The control channel's cost per client: one handshake (an Ed25519
// signature and its check, two X25519 exchanges), then sealing and opening
// a report-sized message.
void BM_ControlHandshake(benchmark::State& state) {
  sign::SecretKey key;
  sign::PublicKey pub;
  crypto_sign_keypair(pub.data(), key.data());
  for (auto _ : state) {
    secure::ClientHandshake client;
    secure::ServerHandshake server(key);
    Result<Bytes> hello = server.Respond(client.Hello());
    auto done = client.Finish(*hello, {pub});
    benchmark::DoNotOptimize(server.Finish(done->header));
  }
}
BENCHMARK(BM_ControlHandshake);

void BM_ControlMessageRoundTrip(benchmark::State& state) {
  sign::SecretKey key;
  sign::PublicKey pub;
  crypto_sign_keypair(pub.data(), key.data());
  secure::ClientHandshake client;
  secure::ServerHandshake server(key);
  auto done = client.Finish(*server.Respond(client.Hello()), {pub});
  secure::Channel up = done->channel;
  secure::Channel down = *server.Finish(done->header);
  const Bytes report(static_cast<size_t>(state.range(0)), 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(down.Open(up.Seal(report)));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ControlMessageRoundTrip)->ArgName("bytes")->Arg(256)->Arg(1 << 20);

}  // namespace
}  // namespace fleetcast

BENCHMARK_MAIN();
