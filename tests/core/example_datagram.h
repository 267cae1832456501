// Test helper: the datagram header of docs/protocol.md's worked example,
// shared by the tests that check its encoding (wire_test.cc) and its sealing
// (datagram_seal_test.cc) against golden bytes.
#ifndef FLEETCAST_TESTS_CORE_EXAMPLE_DATAGRAM_H_
#define FLEETCAST_TESTS_CORE_EXAMPLE_DATAGRAM_H_

#include "core/wire_format.h"

namespace fleetcast::testing {

/// Shard 70 of block 1 of chunk 0x0a0b0c0d, pass 3, 4 bytes of payload.
inline wire::DatagramHeader ExampleHeader() {
  wire::DatagramHeader h;
  h.session = 0x11223344;
  h.chunk = 0x0a0b0c0d;
  h.block = 0x0102;
  h.shard = 70;
  h.k = 64;
  h.pass = 3;
  h.length = 4;
  h.seq = 0x0201;
  return h;
}

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_CORE_EXAMPLE_DATAGRAM_H_
