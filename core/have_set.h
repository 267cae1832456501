// HaveSet: which chunks of an image a client's disk already holds, as it
// tells the server in its `have` control message before the first pass
// (docs/protocol.md, "A deployment"). One bit per chunk index of the image,
// stored and zero chunks alike, so its size depends only on the chunk count:
// bit i is bit (i % 8) of byte i / 8, least significant first; spare bits of
// the last byte are zero. 1 TiB of 1 MiB chunks is 128 KiB. Pure value type.
#ifndef FLEETCAST_CORE_HAVE_SET_H_
#define FLEETCAST_CORE_HAVE_SET_H_

#include <cstdint>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast {

class HaveSet {
 public:
  /// An empty set over chunk_count chunks: the disk holds none of them.
  explicit HaveSet(uint32_t chunk_count = 0);

  /// Reads the bytes of a `have` message for an image of chunk_count
  /// chunks; a wrong length or a spare bit set is corruption.
  static Result<HaveSet> DecodeFrom(ByteView bytes, uint32_t chunk_count);
  /// The same for a `have` sent while the scan runs: chunks [0, scanned) are
  /// decided and only their bits may be set; scanned past chunk_count, or a
  /// bit set at or past scanned, is corruption.
  static Result<HaveSet> DecodeFrom(ByteView bytes, uint32_t chunk_count, uint32_t scanned);
  const Bytes& bytes() const { return bits_; }

  uint32_t chunk_count() const { return chunk_count_; }
  /// Marks chunk i held; i must be below chunk_count().
  void Set(uint32_t i);
  /// True if chunk i is held; false for an index past the end.
  bool Has(uint32_t i) const;
  /// Chunks held.
  uint32_t Count() const;
  /// This set with every chunk at or past `frontier` cleared.
  HaveSet Below(uint32_t frontier) const;
  bool operator==(const HaveSet&) const = default;

 private:
  uint32_t chunk_count_;
  Bytes bits_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_HAVE_SET_H_
