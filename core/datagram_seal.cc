#include "core/datagram_seal.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>

#include "core/wire_format.h"

namespace fleetcast::wire {

namespace {

static_assert(kDataKeyLength == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceLength == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagLength == crypto_aead_xchacha20poly1305_ietf_ABYTES);

constexpr size_t kHeader = DatagramHeader::kEncodedLength;
// The header after its magic: every field that tells datagrams apart.
constexpr size_t kNonceFrom = 2;
static_assert(kHeader - kNonceFrom <= kNonceLength);

using Nonce = std::array<uint8_t, kNonceLength>;

Nonce NonceOf(const uint8_t* header) {
  Nonce n{};
  std::copy(header + kNonceFrom, header + kHeader, n.begin());
  return n;
}

// sodium_init picks the fastest ChaCha20 and Poly1305 for this CPU; it is
// idempotent and thread-safe.
void InitSodium() {
  static const int kInitialised = sodium_init();
  (void)kInitialised;
}

}  // namespace

DatagramSeal::DatagramSeal(const DataKey& key, SealMode mode) : key_(key), mode_(mode) {
  InitSodium();
}

DataKey DatagramSeal::NewKey() {
  InitSodium();
  DataKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

void DatagramSeal::Seal(std::span<uint8_t> d) const {
  assert(d.size() >= kHeader + kTagLength);
  const Nonce nonce = NonceOf(d.data());
  const size_t payload = d.size() - kHeader - kTagLength;
  uint8_t* tag = d.data() + kHeader + payload;
  if (mode_ == SealMode::kAuthenticated) {
    // An empty message: libsodium still wants pointers for it.
    uint8_t none[1] = {0};
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(none, tag, nullptr, none, 0, d.data(),
                                                        kHeader + payload, nullptr, nonce.data(),
                                                        key_.data());
    return;
  }
  uint8_t* body = d.data() + kHeader;
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(body, tag, nullptr, body, payload, d.data(),
                                                      kHeader, nullptr, nonce.data(), key_.data());
}

Result<ByteView> DatagramSeal::Open(ByteView d, Bytes* scratch) const {
  if (d.size() < kHeader + kTagLength) {
    return Status::Corruption("datagram: too short for a tag");
  }
  const Nonce nonce = NonceOf(d.data());
  const size_t payload = d.size() - kHeader - kTagLength;
  const uint8_t* tag = d.data() + kHeader + payload;
  int failed = 0;
  if (mode_ == SealMode::kAuthenticated) {
    uint8_t none[1] = {0};
    failed = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        none, nullptr, none, 0, tag, d.data(), kHeader + payload, nonce.data(), key_.data());
    if (failed == 0) return d.subspan(kHeader, payload);
  } else {
    scratch->resize(std::max<size_t>(payload, 1));  // a pass end too gets a pointer
    failed = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        scratch->data(), nullptr, d.data() + kHeader, payload, tag, d.data(), kHeader, nonce.data(),
        key_.data());
    if (failed == 0) return ByteView(scratch->data(), payload);
  }
  return Status::Corruption("datagram: tag does not verify (forged or altered)");
}

}  // namespace fleetcast::wire
