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

BlockAssembler::BlockAssembler(uint32_t k, uint32_t length) : BlockAssembler(k, length, nullptr) {
  own_.assign(size_t{k} * length, 0);
  data_ = own_.data();
}

BlockAssembler::BlockAssembler(uint32_t k, uint32_t length, uint8_t* data)
    : k_(k), length_(length), data_(data), have_(kMaxShardsPerBlock, 0) {}

bool BlockAssembler::Add(uint32_t index, ByteView payload) {
  if (complete() || index >= kMaxShardsPerBlock || have_[index] || payload.size() > length_) {
    return false;
  }
  uint8_t* dst = nullptr;
  if (index < k_) {
    dst = shard(index);
  } else {
    // At most k parity shards are ever kept: the block completes first.
    parity_.resize((parity_rows_.size() + 1) * size_t{length_});
    dst = parity_.data() + parity_rows_.size() * size_t{length_};
    parity_rows_.push_back(static_cast<uint8_t>(index));
  }
  std::memcpy(dst, payload.data(), payload.size());
  std::memset(dst + payload.size(), 0, length_ - payload.size());
  have_[index] = 1;
  ++received_;
  return true;
}

Status BlockAssembler::Decode(GeneratorCache* generators) {
  assert(complete());
  std::vector<uint32_t> lost;
  std::vector<const uint8_t*> sources;
  std::vector<uint32_t> kept;
  for (uint32_t i = 0; i < k_; ++i) {
    if (have_[i]) {
      kept.push_back(i);
      sources.push_back(shard(i));
    } else {
      lost.push_back(i);
    }
  }
  const size_t e = lost.size();
  if (e == 0) return Status::OK();
  // Parity row p is sum_j G[p][j] d_j. With P the first e parity rows held
  // and L the lost columns: G[P][L] d_L = parity_P - G[P][kept] d_kept, so
  // d_L = A^-1 [G[P][kept] | I] x (d_kept, parity_P) with A = G[P][L], a
  // square Cauchy submatrix and so always invertible.
  const std::vector<uint8_t>& g = generators->Matrix(k_);
  const size_t held = kept.size();  // k - e
  std::vector<uint8_t> a(e * e), inv(e * e), gk(e * held), coeffs(e * k_);
  for (size_t r = 0; r < e; ++r) {
    const uint8_t* row = &g[size_t{parity_rows_[r]} * k_];
    for (size_t c = 0; c < e; ++c) a[r * e + c] = row[lost[c]];
    for (size_t c = 0; c < held; ++c) gk[r * held + c] = row[kept[c]];
    sources.push_back(parity_.data() + r * size_t{length_});
  }
  if (gf_invert_matrix(a.data(), inv.data(), static_cast<int>(e)) != 0) {
    return Status::Corruption("fec: parity rows are not invertible");
  }
  // coeffs = [A^-1 G[P][kept] | A^-1]; the product is itself an ISA-L
  // encode (rows of G[P][kept] as sources), far cheaper than gf_mul loops.
  if (held > 0) {
    std::vector<uint8_t> product(e * held);
    std::vector<uint8_t*> rows_in(e), rows_out(e);
    for (size_t r = 0; r < e; ++r) {
      rows_in[r] = &gk[r * held];
      rows_out[r] = &product[r * held];
    }
    std::vector<uint8_t> t(size_t{32} * e * e);
    ec_init_tables(static_cast<int>(e), static_cast<int>(e), inv.data(), t.data());
    ec_encode_data(static_cast<int>(held), static_cast<int>(e), static_cast<int>(e), t.data(),
                   rows_in.data(), rows_out.data());
    for (size_t r = 0; r < e; ++r) std::memcpy(&coeffs[r * k_], &product[r * held], held);
  }
  for (size_t r = 0; r < e; ++r) std::memcpy(&coeffs[r * k_ + held], &inv[r * e], e);
  std::vector<uint8_t*> outs(e);
  for (size_t j = 0; j < e; ++j) outs[j] = shard(lost[j]);
  std::vector<uint8_t> tables(size_t{32} * k_ * e);
  ec_init_tables(static_cast<int>(k_), static_cast<int>(e), coeffs.data(), tables.data());
  ec_encode_data(static_cast<int>(length_), static_cast<int>(k_), static_cast<int>(e),
                 tables.data(), const_cast<uint8_t**>(sources.data()), outs.data());
  return Status::OK();
}

Status BlockAssembler::Decode(GeneratorCache* generators, uint8_t* out, uint32_t bytes) {
  assert(bytes <= uint64_t{k_} * length_);
  if (Status s = Decode(generators); !s.ok()) return s;
  std::memcpy(out, data_, bytes);
  return Status::OK();
}

}  // namespace fleetcast::fec
