// libFuzzer target: the announce datagram (core/announce.h), what a client
// started with `--server auto` takes from anyone on the LAN, and the text
// helpers beside it (ParseEndpoint for --announce, ShortImageName).
//
// Invariants: a decoded announce re-encodes within kMaxLength, decodes back
// equal and encodes stably; a parsed endpoint prints and parses back equal;
// a short image name fits kMaxImageName and is a prefix of the last path
// component.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/announce.h"
#include "core/host_port.h"

namespace {

namespace announce = fleetcast::announce;

void FuzzDatagram(fleetcast::ByteView d) {
  fleetcast::Result<announce::Announce> a = announce::Announce::DecodeFrom(d);
  if (!a.ok()) return;
  fleetcast::Bytes encoded;
  a->EncodeTo(&encoded);
  if (encoded.size() > announce::kMaxLength) __builtin_trap();
  fleetcast::Result<announce::Announce> again = announce::Announce::DecodeFrom(encoded);
  if (!again.ok() || !(*again == *a)) __builtin_trap();  // round trip
  fleetcast::Bytes encoded2;
  again->EncodeTo(&encoded2);
  if (encoded2 != encoded) __builtin_trap();  // stable encoding
}

void FuzzText(const std::string& text) {
  fleetcast::Result<announce::Endpoint> e = announce::ParseEndpoint(text);
  if (e.ok()) {
    fleetcast::Result<announce::Endpoint> again = announce::ParseEndpoint(e->ToString());
    if (!again.ok() || again->group != e->group || again->port != e->port) __builtin_trap();
    if (!fleetcast::IsMulticastAddress(e->group) || e->port == 0) __builtin_trap();
  }
  const std::string name = announce::ShortImageName(text);
  const std::string last = text.substr(text.find_last_of('/') + 1);
  if (name.size() > announce::kMaxImageName || last.compare(0, name.size(), name) != 0) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzDatagram(fleetcast::ByteView(data, size));
  FuzzText(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
