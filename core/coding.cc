#include "core/coding.h"

namespace fleetcast {

void PutFixed8(Bytes* dst, uint8_t v) { dst->push_back(v); }

void PutFixed16(Bytes* dst, uint16_t v) {
  uint8_t buf[2];
  EncodeFixed16(buf, v);
  dst->insert(dst->end(), buf, buf + sizeof(buf));
}

void PutFixed32(Bytes* dst, uint32_t v) {
  uint8_t buf[4];
  EncodeFixed32(buf, v);
  dst->insert(dst->end(), buf, buf + sizeof(buf));
}

void PutFixed64(Bytes* dst, uint64_t v) {
  uint8_t buf[8];
  EncodeFixed64(buf, v);
  dst->insert(dst->end(), buf, buf + sizeof(buf));
}

void PutBytes(Bytes* dst, ByteView bytes) { dst->insert(dst->end(), bytes.begin(), bytes.end()); }

void PutString(Bytes* dst, std::string_view s) { dst->insert(dst->end(), s.begin(), s.end()); }

bool ByteReader::GetFixed8(uint8_t* v) {
  if (remaining() < 1) return false;
  *v = input_[pos_];
  pos_ += 1;
  return true;
}

bool ByteReader::GetFixed16(uint16_t* v) {
  if (remaining() < 2) return false;
  *v = DecodeFixed16(input_.data() + pos_);
  pos_ += 2;
  return true;
}

bool ByteReader::GetFixed32(uint32_t* v) {
  if (remaining() < 4) return false;
  *v = DecodeFixed32(input_.data() + pos_);
  pos_ += 4;
  return true;
}

bool ByteReader::GetFixed64(uint64_t* v) {
  if (remaining() < 8) return false;
  *v = DecodeFixed64(input_.data() + pos_);
  pos_ += 8;
  return true;
}

bool ByteReader::GetBytes(size_t n, ByteView* out) {
  if (remaining() < n) return false;
  *out = input_.subspan(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace fleetcast
