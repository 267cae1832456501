// Micro benchmarks of the per-chunk work pack, verify and unpack do: the two
// digests, zero detection, and zstd through ChunkCompressor/ChunkDecompressor,
// on 1 MiB chunks of random data and of text-like data that compresses about
// 2.5:1 with zstd -3. Inputs come from fixed seeds, so runs are comparable.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/chunk_codec.h"
#include "core/chunk_table.h"
#include "core/coding.h"
#include "core/digest.h"

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

}  // namespace
}  // namespace fleetcast

BENCHMARK_MAIN();
