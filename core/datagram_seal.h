// DatagramSeal: proves that a data-plane datagram came from this session's
// server, and in encrypted mode hides its payload, with one AEAD per datagram
// (XChaCha20-Poly1305-IETF, libsodium) under the session's data key. The key
// travels only in the `session` control message; anyone on the LAN can send
// to the group, but no one without the key can make a datagram that opens.
// docs/protocol.md ("Sealed datagrams") has the layout and a worked example.
//
//   datagram := header (24 bytes) payload (header.length bytes) tag (16 bytes)
//
//   nonce    := header bytes 2..23 (version .. seq), then 2 zero bytes
//   authenticated: AEAD(message = "", ad = header payload): payload stays clear
//   encrypted:     AEAD(message = payload, ad = header): payload is ciphertext
//
// Why the nonce may repeat: it is the whole header after the magic. Within a
// key (one per serve run) the header fixes the datagram: session, chunk,
// block and shard pick the shard's bytes (data shards are the image's,
// parity shard i is the same parity every time it is made), pass and seq
// only number it, and a pass end has no payload. So two datagrams with one
// nonce are the same plaintext and AD, and sealing it again gives the same
// bytes: an observer learns only that a datagram was sent twice, which the
// header shows anyway. Poly1305's one-time key is never used on two
// different messages.
//
// Immutable after construction; Seal and Open may be called from any thread.
#ifndef FLEETCAST_CORE_DATAGRAM_SEAL_H_
#define FLEETCAST_CORE_DATAGRAM_SEAL_H_

#include <array>
#include <cstdint>
#include <span>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast::wire {

constexpr size_t kDataKeyLength = 32;
constexpr size_t kNonceLength = 24;
using DataKey = std::array<uint8_t, kDataKeyLength>;

enum class SealMode : uint8_t {
  kAuthenticated = 1,  // payload clear, header and payload authenticated
  kEncrypted = 2,      // payload encrypted too (serve --encrypt)
};

class DatagramSeal {
 public:
  DatagramSeal(const DataKey& key, SealMode mode);

  /// A fresh random key (libsodium's randombytes).
  static DataKey NewKey();

  /// `datagram` holds an encoded header, its payload and kTagLength bytes
  /// for the tag, which Seal writes; in encrypted mode the payload is
  /// encrypted in place. The header's length field must match.
  void Seal(std::span<uint8_t> datagram) const;

  /// Checks a datagram whose header decoded (DatagramHeader::DecodeFrom).
  /// Returns its clear payload: a view into `datagram` (authenticated mode)
  /// or into *scratch, which it overwrites (encrypted mode); both must
  /// outlive the view. A Corruption status if the tag does not verify:
  /// forged, altered, or sealed under another key or mode.
  Result<ByteView> Open(ByteView datagram, Bytes* scratch) const;

  SealMode mode() const { return mode_; }

 private:
  DataKey key_;
  SealMode mode_;
};

}  // namespace fleetcast::wire

#endif  // FLEETCAST_CORE_DATAGRAM_SEAL_H_
