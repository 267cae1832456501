// libFuzzer target: the control plane's message decoder (every message
// type; core/control_message.h) on an untrusted frame body.
//
// Invariants: what decodes encodes to a frame whose length prefix is right,
// that frame decodes to an equal message, and encoding is stable (the second
// encoding is byte for byte the first).
#include <cstddef>
#include <cstdint>

#include "core/coding.h"
#include "core/control_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace control = fleetcast::control;
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
