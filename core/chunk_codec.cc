#include "core/chunk_codec.h"

#include <zstd.h>

#include <cstring>
#include <string>

namespace fleetcast {

bool IsAllZero(ByteView bytes) {
  if (bytes.empty()) return true;
  // Equal to itself shifted by one byte, and the first byte zero: all zero.
  // memcmp is vectorised, so this runs at memory speed.
  return bytes[0] == 0 && std::memcmp(bytes.data(), bytes.data() + 1, bytes.size() - 1) == 0;
}

ChunkCompressor::ChunkCompressor(int level) : ctx_(ZSTD_createCCtx()), level_(level) {}

ChunkCompressor::~ChunkCompressor() { ZSTD_freeCCtx(ctx_); }

Status ChunkCompressor::Pack(ByteView raw, PackedChunk* out) {
  out->raw_digest = Xxh3_128(raw);
  out->zero = IsAllZero(raw);
  if (out->zero) {
    out->stored.clear();
    out->stored_digest = 0;
    return Status::OK();
  }
  out->stored.resize(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compressCCtx(ctx_, out->stored.data(), out->stored.size(), raw.data(),
                                     raw.size(), level_);
  if (ZSTD_isError(n)) return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out->stored.resize(n);
  out->stored_digest = Xxh3_64(out->stored);
  out->strong_digest = sign::Blake2b(raw);
  return Status::OK();
}

Status CheckStrongDigest(const ChunkEntry& entry, ByteView raw) {
  if (sign::Blake2b(raw) != entry.strong_digest) {
    return Status::Corruption("chunk " + std::to_string(entry.index) + ": BLAKE2b-256 mismatch");
  }
  return Status::OK();
}

ChunkDecompressor::ChunkDecompressor() : ctx_(ZSTD_createDCtx()) {}

ChunkDecompressor::~ChunkDecompressor() { ZSTD_freeDCtx(ctx_); }

Status ChunkDecompressor::Unpack(const ChunkEntry& entry, ByteView stored, std::span<uint8_t> raw) {
  const std::string where = "chunk " + std::to_string(entry.index);
  if (stored.size() != entry.stored_size || Xxh3_64(stored) != entry.stored_digest) {
    return Status::Corruption(where + ": stored digest mismatch");
  }
  if (ZSTD_getFrameContentSize(stored.data(), stored.size()) != raw.size()) {
    return Status::Corruption(where + ": zstd frame does not hold " + std::to_string(raw.size()) +
                              " bytes");
  }
  const size_t n = ZSTD_decompressDCtx(ctx_, raw.data(), raw.size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != raw.size()) {
    return Status::Corruption(
        where + ": zstd: " + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame"));
  }
  if (Xxh3_128(raw) != entry.raw_digest) {
    return Status::Corruption(where + ": raw digest mismatch");
  }
  return Status::OK();
}

}  // namespace fleetcast
