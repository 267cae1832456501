#include "core/have_set.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace fleetcast {

namespace {

size_t ByteCount(uint32_t chunk_count) { return (size_t{chunk_count} + 7) / 8; }

}  // namespace

HaveSet::HaveSet(uint32_t chunk_count) : chunk_count_(chunk_count), bits_(ByteCount(chunk_count)) {}

Result<HaveSet> HaveSet::DecodeFrom(ByteView bytes, uint32_t chunk_count) {
  if (bytes.size() != ByteCount(chunk_count)) {
    return Status::Corruption("have: " + std::to_string(bytes.size()) + " bytes for " +
                              std::to_string(chunk_count) + " chunks, expected " +
                              std::to_string(ByteCount(chunk_count)));
  }
  const uint32_t spare = chunk_count % 8;
  if (spare != 0 && (bytes.back() >> spare) != 0) {
    return Status::Corruption("have: a bit is set past the last chunk");
  }
  HaveSet set(chunk_count);
  set.bits_.assign(bytes.begin(), bytes.end());
  return set;
}

Result<HaveSet> HaveSet::DecodeFrom(ByteView bytes, uint32_t chunk_count, uint32_t scanned) {
  if (scanned > chunk_count) {
    return Status::Corruption("have: scanned " + std::to_string(scanned) + " of " +
                              std::to_string(chunk_count) + " chunks");
  }
  Result<HaveSet> set = DecodeFrom(bytes, chunk_count);
  if (!set.ok()) return set;
  if (set->Below(scanned) != *set) {
    return Status::Corruption("have: a chunk at or past the scan frontier " +
                              std::to_string(scanned) + " is set");
  }
  return set;
}

void HaveSet::Set(uint32_t i) {
  assert(i < chunk_count_);
  bits_[i / 8] = static_cast<uint8_t>(bits_[i / 8] | (1u << (i % 8)));
}

bool HaveSet::Has(uint32_t i) const {
  return i < chunk_count_ && ((bits_[i / 8] >> (i % 8)) & 1u) != 0;
}

uint32_t HaveSet::Count() const {
  uint32_t n = 0;
  for (uint8_t b : bits_) n += static_cast<uint32_t>(std::popcount(b));
  return n;
}

HaveSet HaveSet::Below(uint32_t frontier) const {
  HaveSet out(chunk_count_);
  const uint32_t end = std::min(frontier, chunk_count_);
  std::copy(bits_.begin(), bits_.begin() + end / 8, out.bits_.begin());
  if (end % 8 != 0)
    out.bits_[end / 8] = static_cast<uint8_t>(bits_[end / 8] & ((1u << (end % 8)) - 1));
  return out;
}

}  // namespace fleetcast
