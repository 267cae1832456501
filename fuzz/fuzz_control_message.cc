// libFuzzer target: the control plane's message decoder (every message
// type; core/control_message.h) on an untrusted frame body, and the secure
// channel's handshake and stream (core/secure_channel.h) on untrusted frames.
//
// Invariants: what decodes encodes to a frame whose length prefix is right,
// that frame decodes to an equal message, and encoding is stable (the second
// encoding is byte for byte the first). No input completes a handshake or
// opens as a sealed message without the keys.
#include <cstddef>
#include <cstdint>

#include "core/coding.h"
#include "core/control_message.h"
#include "core/secure_channel.h"

namespace {

namespace secure = fleetcast::secure;

const fleetcast::sign::SecretKey& ServerKey() {
  static const fleetcast::sign::SecretKey key = [] {
    fleetcast::sign::SecretKey k;
    fleetcast::sign::PublicKey unused;
    crypto_sign_seed_keypair(unused.data(), k.data(),
                             fleetcast::Bytes(crypto_sign_SEEDBYTES, 7).data());
    return k;
  }();
  return key;
}

// The bytes as a client hello, a client stream header, a server hello, and a
// sealed message on an established channel.
void FuzzChannel(fleetcast::ByteView bytes) {
  secure::ServerHandshake server(ServerKey());
  if (server.Respond(bytes).ok()) (void)server.Finish(bytes);
  secure::ClientHandshake client;
  if (client.Finish(bytes, {}).ok()) __builtin_trap();  // needs the server key's signature
  secure::ServerHandshake real(ServerKey());
  fleetcast::Result<fleetcast::Bytes> hello = real.Respond(client.Hello());
  if (!hello.ok()) __builtin_trap();
  auto done = client.Finish(*hello, {});
  if (!done.ok()) __builtin_trap();
  fleetcast::Result<secure::Channel> channel = real.Finish(done->header);
  if (!channel.ok()) __builtin_trap();
  if (channel->Open(bytes).ok()) __builtin_trap();  // forged without the session key
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace control = fleetcast::control;
  FuzzChannel(fleetcast::ByteView(data, size));
  fleetcast::Result<control::Message> m = control::DecodeBody(fleetcast::ByteView(data, size));
  if (!m.ok()) return 0;
  if (control::TypeName(*m).empty()) __builtin_trap();
  fleetcast::Bytes frame;
  control::AppendFrame(*m, &frame);
  if (frame.size() < control::kFrameHeaderLength ||
      fleetcast::DecodeFixed32(frame.data()) != frame.size() - control::kFrameHeaderLength) {
    __builtin_trap();  // the length prefix frames the body
  }
  const fleetcast::ByteView body = fleetcast::ByteView(frame).subspan(control::kFrameHeaderLength);
  fleetcast::Result<control::Message> again = control::DecodeBody(body);
  if (!again.ok() || !(*again == *m)) __builtin_trap();  // round trip
  fleetcast::Bytes frame2;
  control::AppendFrame(*again, &frame2);
  if (frame2 != frame) __builtin_trap();  // stable encoding
  return 0;
}
