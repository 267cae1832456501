#include "core/digest.h"

#include <xxhash.h>
#if defined(__x86_64__)
// Debian's libxxhash picks AVX2/AVX-512 at run time through these names;
// the plain ones are built for SSE2 and hash half as fast (the re-image scan).
#include <xxh_x86dispatch.h>
#endif

#include <array>
#include <cstdio>
#include <memory>

namespace fleetcast {

std::string Digest128::ToHex() const {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

bool Digest128::FromHex(const std::string& hex, Digest128* out) {
  if (hex.size() != 32) return false;
  uint64_t halves[2] = {0, 0};
  for (size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return false;
    }
    halves[i / 16] = (halves[i / 16] << 4) | static_cast<uint64_t>(v);
  }
  out->high = halves[0];
  out->low = halves[1];
  return true;
}

void Xxh3_128Stream::StateDeleter::operator()(XXH3_state_s* state) const { XXH3_freeState(state); }

Xxh3_128Stream::Xxh3_128Stream() : state_(XXH3_createState()) { XXH3_128bits_reset(state_.get()); }

void Xxh3_128Stream::Update(ByteView bytes) {
  XXH3_128bits_update(state_.get(), bytes.data(), bytes.size());
}

Digest128 Xxh3_128Stream::Finish() const {
  const XXH128_hash_t h = XXH3_128bits_digest(state_.get());
  return {h.low64, h.high64};
}

void PutDigest128(Bytes* dst, const Digest128& d) {
  PutFixed64(dst, d.low);
  PutFixed64(dst, d.high);
}

bool GetDigest128(ByteReader* reader, Digest128* d) {
  Digest128 v;
  if (!reader->GetFixed64(&v.low) || !reader->GetFixed64(&v.high)) return false;
  *d = v;
  return true;
}

uint64_t Xxh3_64(ByteView bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

Digest128 Xxh3_128(ByteView bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return {h.low64, h.high64};
}

Digest128 ZeroDigest128(uint64_t length) {
  static const std::array<uint8_t, size_t{64} * 1024> kZeros{};
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 &XXH3_freeState);
  XXH3_128bits_reset(state.get());
  while (length > 0) {
    const size_t n = length < kZeros.size() ? static_cast<size_t>(length) : kZeros.size();
    XXH3_128bits_update(state.get(), kZeros.data(), n);
    length -= n;
  }
  const XXH128_hash_t h = XXH3_128bits_digest(state.get());
  return {h.low64, h.high64};
}

}  // namespace fleetcast
