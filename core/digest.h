// The non-cryptographic digests of fleetcast images: XXH3-64 of a chunk's
// stored (compressed) bytes, a cheap check before zstd runs, and XXH3-128 of
// its raw bytes, which proves what lands on a disk. Both use seed 0, so they
// equal what `xxhsum -H3` and `xxhsum -H2` print for the same bytes.
#ifndef FLEETCAST_CORE_DIGEST_H_
#define FLEETCAST_CORE_DIGEST_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/coding.h"

struct XXH3_state_s;  // xxhash.h's, kept out of this header

namespace fleetcast {

/// A 128-bit digest; `high` is the half xxhsum prints first.
struct Digest128 {
  uint64_t low = 0;
  uint64_t high = 0;

  bool operator==(const Digest128&) const = default;

  /// 32 lower-case hex digits, high half first, as xxhsum prints it.
  std::string ToHex() const;
  /// Parses ToHex's form; false on anything else.
  static bool FromHex(const std::string& hex, Digest128* out);
};

/// Length of a Digest128 in a file or datagram: low then high, each fixed64.
constexpr size_t kDigest128Length = 8 + 8;

void PutDigest128(Bytes* dst, const Digest128& d);
bool GetDigest128(ByteReader* reader, Digest128* d);

uint64_t Xxh3_64(ByteView bytes);
Digest128 Xxh3_128(ByteView bytes);

/// XXH3-128 of bytes that come in pieces (a chunk read from a disk a few
/// cache-sized blocks at a time): Finish equals Xxh3_128 of the pieces
/// joined. One thread.
class Xxh3_128Stream {
 public:
  Xxh3_128Stream();
  void Update(ByteView bytes);
  Digest128 Finish() const;

 private:
  struct StateDeleter {
    void operator()(XXH3_state_s* state) const;
  };
  std::unique_ptr<XXH3_state_s, StateDeleter> state_;
};

/// XXH3-128 of `length` zero bytes, without a buffer of that size.
Digest128 ZeroDigest128(uint64_t length);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_DIGEST_H_
