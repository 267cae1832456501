#include "core/fec_codec.h"

#include <isa-l/erasure_code.h>

#include <cassert>
#include <cstring>

#include "core/fec_layout.h"

namespace fleetcast::fec {

const std::vector<uint8_t>& GeneratorCache::Matrix(uint32_t k) {
  auto it = matrices_.find(k);
  if (it != matrices_.end()) return it->second;
  std::vector<uint8_t> m(size_t{kMaxShardsPerBlock} * k);
  gf_gen_cauchy1_matrix(m.data(), static_cast<int>(kMaxShardsPerBlock), static_cast<int>(k));
  return matrices_.emplace(k, std::move(m)).first->second;
}

void ParityEncoder::Encode(std::span<const uint8_t* const> data, uint32_t length, uint32_t index,
                           uint8_t* out) {
  const uint32_t k = static_cast<uint32_t>(data.size());
  assert(index >= k && index < kMaxShardsPerBlock);
  const std::vector<uint8_t>& m = generators_.Matrix(k);
  tables_.resize(size_t{32} * k);
  ec_init_tables(static_cast<int>(k), 1, const_cast<uint8_t*>(&m[size_t{index} * k]),
                 tables_.data());
  uint8_t* outs[1] = {out};
  ec_encode_data(static_cast<int>(length), static_cast<int>(k), 1, tables_.data(),
                 const_cast<uint8_t**>(data.data()), outs);
}

BlockAssembler::BlockAssembler(uint32_t k, uint32_t length)
    : k_(k), length_(length), have_(kMaxShardsPerBlock, 0), shards_(kMaxShardsPerBlock) {}

bool BlockAssembler::Add(uint32_t index, ByteView payload) {
  if (complete() || index >= kMaxShardsPerBlock || have_[index] || payload.size() > length_) {
    return false;
  }
  Bytes& s = shards_[index];
  s.assign(length_, 0);
  std::memcpy(s.data(), payload.data(), payload.size());
  have_[index] = 1;
  order_.push_back(index);
  ++received_;
  return true;
}

Status BlockAssembler::Decode(GeneratorCache* generators, uint8_t* out, uint32_t bytes) {
  assert(complete() && bytes <= uint64_t{k_} * length_);
  std::vector<uint32_t> lost;
  for (uint32_t i = 0; i < k_; ++i) {
    if (!have_[i]) lost.push_back(i);
  }
  if (!lost.empty()) {
    // Rows of the shards we hold form B; data = B^-1 x held shards.
    const std::vector<uint8_t>& m = generators->Matrix(k_);
    std::vector<uint8_t> b(size_t{k_} * k_), inv(size_t{k_} * k_);
    std::vector<const uint8_t*> sources(k_);
    for (uint32_t r = 0; r < k_; ++r) {
      std::memcpy(&b[size_t{r} * k_], &m[size_t{order_[r]} * k_], k_);
      sources[r] = shards_[order_[r]].data();
    }
    if (gf_invert_matrix(b.data(), inv.data(), static_cast<int>(k_)) != 0) {
      return Status::Corruption("fec: shard rows are not invertible");
    }
    std::vector<uint8_t> rows(lost.size() * k_);
    std::vector<uint8_t*> outs(lost.size());
    for (size_t j = 0; j < lost.size(); ++j) {
      std::memcpy(&rows[j * k_], &inv[size_t{lost[j]} * k_], k_);
      shards_[lost[j]].assign(length_, 0);
      outs[j] = shards_[lost[j]].data();
    }
    std::vector<uint8_t> tables(size_t{32} * k_ * lost.size());
    ec_init_tables(static_cast<int>(k_), static_cast<int>(lost.size()), rows.data(), tables.data());
    ec_encode_data(static_cast<int>(length_), static_cast<int>(k_), static_cast<int>(lost.size()),
                   tables.data(), const_cast<uint8_t**>(sources.data()), outs.data());
  }
  for (uint32_t i = 0; i < k_ && bytes > 0; ++i) {
    const uint32_t n = bytes < length_ ? bytes : length_;
    std::memcpy(out, shards_[i].data(), n);
    out += n;
    bytes -= n;
  }
  return Status::OK();
}

}  // namespace fleetcast::fec
