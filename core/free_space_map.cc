#include "core/free_space_map.h"

#include <algorithm>
#include <cstring>

namespace fleetcast {

namespace {

bool InUse(ByteView bitmap, uint64_t i) {
  return i / 8 >= bitmap.size() || ((bitmap[i / 8] >> (i % 8)) & 1) != 0;
}

// The first unit at or after i whose bit is `used`, or count. Whole bytes of
// the other kind are skipped at once: bitmaps run to millions of bits.
uint64_t NextWith(ByteView bitmap, uint64_t i, uint64_t count, bool used) {
  const uint8_t skip = used ? 0x00 : 0xff;
  while (i < count) {
    if (i % 8 == 0 && i / 8 < bitmap.size() && bitmap[i / 8] == skip) {
      i += 8;
      continue;
    }
    if (InUse(bitmap, i) == used) return i;
    ++i;
  }
  return count;
}

}  // namespace

std::vector<ByteRange> FreeRunsOfBitmap(ByteView bitmap, uint64_t unit_count, uint64_t unit,
                                        uint64_t base) {
  std::vector<ByteRange> runs;
  uint64_t i = NextWith(bitmap, 0, unit_count, false);
  while (i < unit_count) {
    const uint64_t end = NextWith(bitmap, i, unit_count, true);
    runs.push_back({base + i * unit, (end - i) * unit});
    i = NextWith(bitmap, end, unit_count, false);
  }
  return runs;
}

FreeSpaceMap FreeSpaceMap::Make(std::vector<ByteRange> free) {
  std::erase_if(free, [](const ByteRange& r) { return r.length == 0; });
  std::sort(free.begin(), free.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  std::vector<ByteRange> merged;
  for (const ByteRange& r : free) {
    if (!merged.empty() && r.offset <= merged.back().end()) {
      merged.back().length = std::max(merged.back().end(), r.end()) - merged.back().offset;
    } else {
      merged.push_back(r);
    }
  }
  return FreeSpaceMap(std::move(merged));
}

bool FreeSpaceMap::Covers(uint64_t offset, uint64_t length) const {
  if (length == 0) return false;
  // The last range starting at or before offset is the only one that can.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), offset,
                             [](uint64_t v, const ByteRange& r) { return v < r.offset; });
  if (it == ranges_.begin()) return false;
  --it;
  return it->end() >= offset + length;
}

std::vector<ByteRange> FreeSpaceMap::Within(uint64_t offset, uint64_t length) const {
  std::vector<ByteRange> out;
  const uint64_t end = offset + length;
  // First range that ends after offset.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), offset,
                             [](uint64_t v, const ByteRange& r) { return v < r.end(); });
  for (; it != ranges_.end() && it->offset < end; ++it) {
    const uint64_t from = std::max(it->offset, offset);
    const uint64_t to = std::min(it->end(), end);
    out.push_back({from - offset, to - from});
  }
  return out;
}

void FreeSpaceMap::ZeroFree(uint64_t offset, std::span<uint8_t> raw) const {
  for (const ByteRange& r : Within(offset, raw.size())) {
    std::memset(raw.data() + r.offset, 0, r.length);
  }
}

uint64_t FreeSpaceMap::FreeBytesIn(uint64_t offset, uint64_t length) const {
  uint64_t total = 0;
  for (const ByteRange& r : Within(offset, length)) total += r.length;
  return total;
}

}  // namespace fleetcast
