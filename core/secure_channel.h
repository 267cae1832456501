// The control plane's secure channel: a server-authenticated key exchange
// and an encrypted, authenticated, ordered message stream, built only from
// libsodium's primitives (docs/security.md says why not TLS).
//
//   client -> server  ClientHello: "FCSC" 01, client's ephemeral X25519 key
//   server -> client  ServerHello: "FCSC" 01, server's Ed25519 key, its
//                     ephemeral X25519 key, Ed25519 signature of
//                     context || client ephemeral || server ephemeral || server key,
//                     then the server's secretstream header (24 bytes)
//   client -> server  the client's secretstream header (24 bytes)
//
// Session keys come from crypto_kx over the two ephemeral keys (forward
// secrecy); the signature binds them to the server's long-term key, which
// the client pins. After the handshake each direction is one
// crypto_secretstream_xchacha20poly1305 stream: every message authenticated,
// in order, none droppable, replayable or reorderable. Pure byte-in,
// byte-out: the transports (platform/net, server/control_server) frame it.
#ifndef FLEETCAST_CORE_SECURE_CHANNEL_H_
#define FLEETCAST_CORE_SECURE_CHANNEL_H_

#include <sodium.h>

#include <array>
#include <cstdint>
#include <vector>

#include "core/coding.h"
#include "core/signing.h"
#include "core/status.h"

namespace fleetcast::secure {

constexpr size_t kClientHelloLength = 5 + crypto_kx_PUBLICKEYBYTES;
constexpr size_t kServerHelloLength = 5 + sign::kPublicKeyLength + crypto_kx_PUBLICKEYBYTES +
                                      sign::kSignatureLength +
                                      crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kStreamHeaderLength = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
/// Bytes a sealed message adds to its plaintext.
constexpr size_t kSealOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;

/// One side's two streams once the keys are agreed: Seal what it sends,
/// Open what it receives, strictly in order.
class Channel {
 public:
  Bytes Seal(ByteView plaintext);
  /// Fails on any tampered, replayed, reordered or foreign message; the
  /// channel is then unusable (the connection must be closed).
  Result<Bytes> Open(ByteView sealed);

 private:
  friend class ClientHandshake;
  friend class ServerHandshake;
  crypto_secretstream_xchacha20poly1305_state push_{};
  crypto_secretstream_xchacha20poly1305_state pull_{};
};

/// The client's half: Hello(), then Finish(server hello) checks the server's
/// key against the pinned ones and gives the channel and the client's stream
/// header to send.
class ClientHandshake {
 public:
  ClientHandshake();
  ~ClientHandshake();
  ClientHandshake(const ClientHandshake&) = delete;
  ClientHandshake& operator=(const ClientHandshake&) = delete;

  Bytes Hello() const;

  struct Finished {
    Channel channel;
    Bytes header;  // to send to the server
    sign::PublicKey server_key;
  };
  /// `trusted` empty: any server key is accepted (the caller warns).
  Result<Finished> Finish(ByteView server_hello, const std::vector<sign::PublicKey>& trusted);

 private:
  std::array<uint8_t, crypto_kx_PUBLICKEYBYTES> public_{};
  std::array<uint8_t, crypto_kx_SECRETKEYBYTES> secret_{};
};

/// The server's half: Respond(client hello) gives the server hello to send;
/// Finish(client's stream header) gives the channel.
class ServerHandshake {
 public:
  explicit ServerHandshake(const sign::SecretKey& key) : key_(key) {}
  Result<Bytes> Respond(ByteView client_hello);
  Result<Channel> Finish(ByteView client_header);

 private:
  const sign::SecretKey& key_;
  Channel channel_;
  std::array<uint8_t, crypto_kx_SESSIONKEYBYTES> rx_{};
  bool responded_ = false;
};

}  // namespace fleetcast::secure

#endif  // FLEETCAST_CORE_SECURE_CHANNEL_H_
