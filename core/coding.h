// Fixed-width little-endian encoding of integers, the one byte order of every
// fleetcast file and datagram. Values are built by explicit shifts, never by
// copying structs, so the layout does not depend on compiler or host.
#ifndef FLEETCAST_CORE_CODING_H_
#define FLEETCAST_CORE_CODING_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace fleetcast {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline void EncodeFixed16(uint8_t* dst, uint16_t v) {
  dst[0] = static_cast<uint8_t>(v);
  dst[1] = static_cast<uint8_t>(v >> 8);
}
inline void EncodeFixed32(uint8_t* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void EncodeFixed64(uint8_t* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t DecodeFixed16(const uint8_t* src) {
  return static_cast<uint16_t>(src[0] | (src[1] << 8));
}
inline uint32_t DecodeFixed32(const uint8_t* src) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | src[i];
  return v;
}
inline uint64_t DecodeFixed64(const uint8_t* src) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | src[i];
  return v;
}

/// Appends the encoding of a value to *dst.
void PutFixed8(Bytes* dst, uint8_t v);
void PutFixed16(Bytes* dst, uint16_t v);
void PutFixed32(Bytes* dst, uint32_t v);
void PutFixed64(Bytes* dst, uint64_t v);
void PutBytes(Bytes* dst, ByteView bytes);
void PutString(Bytes* dst, std::string_view s);

/// Reads fixed-width values from the front of a byte span. Every Get returns
/// false, and leaves the out-parameter untouched, when too few bytes remain.
class ByteReader {
 public:
  explicit ByteReader(ByteView input) : input_(input) {}

  bool GetFixed8(uint8_t* v);
  bool GetFixed16(uint16_t* v);
  bool GetFixed32(uint32_t* v);
  bool GetFixed64(uint64_t* v);
  /// Points *out at the next n bytes of the input, which must outlive it.
  bool GetBytes(size_t n, ByteView* out);

  size_t position() const { return pos_; }
  size_t remaining() const { return input_.size() - pos_; }

 private:
  ByteView input_;
  size_t pos_ = 0;
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_CODING_H_
