#include "core/secure_channel.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace fleetcast::secure {

namespace {

constexpr std::array<uint8_t, 5> kMagic = {'F', 'C', 'S', 'C', 1};
// Signed with both ephemeral keys: a server hello cannot be replayed into
// another handshake, nor a signature made for anything else reused here.
constexpr std::string_view kContext = "fleetcast control channel v1";

using KxKey = std::array<uint8_t, crypto_kx_PUBLICKEYBYTES>;
using SessionKey = std::array<uint8_t, crypto_kx_SESSIONKEYBYTES>;

Bytes Transcript(ByteView client_ephemeral, ByteView server_ephemeral,
                 const sign::PublicKey& server_key) {
  Bytes t(kContext.begin(), kContext.end());
  PutBytes(&t, client_ephemeral);
  PutBytes(&t, server_ephemeral);
  PutBytes(&t, server_key);
  return t;
}

// sodium_init is thread-safe and idempotent; it picks this CPU's code paths.
void Init() {
  static const int kInitialised = sodium_init();
  (void)kInitialised;
}

bool HasMagic(ByteView bytes) { return std::memcmp(bytes.data(), kMagic.data(), 5) == 0; }

Bytes PushInit(crypto_secretstream_xchacha20poly1305_state* state, const SessionKey& key) {
  Bytes header(kStreamHeaderLength);
  crypto_secretstream_xchacha20poly1305_init_push(state, header.data(), key.data());
  return header;
}

}  // namespace

Bytes Channel::Seal(ByteView plaintext) {
  Bytes out(plaintext.size() + kSealOverhead);
  crypto_secretstream_xchacha20poly1305_push(&push_, out.data(), nullptr, plaintext.data(),
                                             plaintext.size(), nullptr, 0,
                                             crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  return out;
}

Result<Bytes> Channel::Open(ByteView sealed) {
  if (sealed.size() < kSealOverhead) return Status::Corruption("sealed message too short");
  Bytes out(sealed.size() - kSealOverhead);
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&pull_, out.data(), nullptr, &tag, sealed.data(),
                                                 sealed.size(), nullptr, 0) != 0 ||
      tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    return Status::Corruption("control message failed authentication");
  }
  return out;
}

ClientHandshake::ClientHandshake() {
  Init();
  crypto_kx_keypair(public_.data(), secret_.data());
}

ClientHandshake::~ClientHandshake() { sodium_memzero(secret_.data(), secret_.size()); }

Bytes ClientHandshake::Hello() const {
  Bytes hello(kMagic.begin(), kMagic.end());
  PutBytes(&hello, public_);
  return hello;
}

Result<ClientHandshake::Finished> ClientHandshake::Finish(
    ByteView server_hello, const std::vector<sign::PublicKey>& trusted) {
  if (server_hello.size() != kServerHelloLength || !HasMagic(server_hello)) {
    return Status::Corruption("the server's handshake is not fleetcast's (or another version)");
  }
  sign::PublicKey server_key;
  KxKey ephemeral;
  sign::Signature signature;
  const uint8_t* p = server_hello.data() + kMagic.size();
  std::memcpy(server_key.data(), p, server_key.size());
  std::memcpy(ephemeral.data(), p += server_key.size(), ephemeral.size());
  std::memcpy(signature.data(), p += ephemeral.size(), signature.size());
  const ByteView server_header(p + signature.size(), kStreamHeaderLength);
  if (!trusted.empty() && std::find(trusted.begin(), trusted.end(), server_key) == trusted.end()) {
    return Status::InvalidArgument("the server's key " + sign::Fingerprint(server_key) +
                                   " is not trusted");
  }
  if (!sign::Verify(Transcript(public_, ephemeral, server_key), signature, server_key)) {
    return Status::Corruption("the server's handshake signature is wrong");
  }
  SessionKey rx;
  SessionKey tx;
  if (crypto_kx_client_session_keys(rx.data(), tx.data(), public_.data(), secret_.data(),
                                    ephemeral.data()) != 0) {
    return Status::Corruption("the server's ephemeral key is invalid");
  }
  Finished done{.channel = {}, .header = {}, .server_key = server_key};
  done.header = PushInit(&done.channel.push_, tx);
  crypto_secretstream_xchacha20poly1305_init_pull(&done.channel.pull_, server_header.data(),
                                                  rx.data());
  sodium_memzero(rx.data(), rx.size());
  sodium_memzero(tx.data(), tx.size());
  return done;
}

Result<Bytes> ServerHandshake::Respond(ByteView client_hello) {
  if (responded_) return Status::InvalidArgument("handshake already answered");
  if (client_hello.size() != kClientHelloLength || !HasMagic(client_hello)) {
    return Status::Corruption("not a fleetcast control handshake (or another version)");
  }
  Init();
  const ByteView client_ephemeral = client_hello.subspan(kMagic.size());
  KxKey ephemeral;
  std::array<uint8_t, crypto_kx_SECRETKEYBYTES> ephemeral_secret;
  crypto_kx_keypair(ephemeral.data(), ephemeral_secret.data());
  SessionKey tx;
  const int rc = crypto_kx_server_session_keys(rx_.data(), tx.data(), ephemeral.data(),
                                               ephemeral_secret.data(), client_ephemeral.data());
  sodium_memzero(ephemeral_secret.data(), ephemeral_secret.size());
  if (rc != 0) return Status::Corruption("the client's ephemeral key is invalid");
  const sign::PublicKey server_key = sign::PublicKeyOf(key_);
  Bytes hello(kMagic.begin(), kMagic.end());
  PutBytes(&hello, server_key);
  PutBytes(&hello, ephemeral);
  PutBytes(&hello, sign::Sign(Transcript(client_ephemeral, ephemeral, server_key), key_));
  PutBytes(&hello, PushInit(&channel_.push_, tx));
  sodium_memzero(tx.data(), tx.size());
  responded_ = true;
  return hello;
}

Result<Channel> ServerHandshake::Finish(ByteView client_header) {
  if (!responded_) return Status::InvalidArgument("handshake not answered yet");
  if (client_header.size() != kStreamHeaderLength) {
    return Status::Corruption("the client's stream header has the wrong length");
  }
  crypto_secretstream_xchacha20poly1305_init_pull(&channel_.pull_, client_header.data(),
                                                  rx_.data());
  sodium_memzero(rx_.data(), rx_.size());
  return channel_;
}

}  // namespace fleetcast::secure
