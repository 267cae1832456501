// libFuzzer target: the data plane's datagram (core/wire_format.h) and what
// the client does with one, ReceiveState::Add (core/receive_state.h), on a
// sequence of datagrams (fuzz/datagram_fixture.h has the input's shape).
//
// Each decoded datagram is opened (core/datagram_seal.h) with the fixture's
// key, in either mode, as a client would before ReceiveState sees it.
//
// Invariants: DecodeFrom accepts exactly the datagrams the grammar allows
// (checked against a reference written from the header comment), a decoded
// header encodes back to the same 24 bytes, a datagram that opens seals
// back to the same bytes, and a chunk that ReceiveState calls ready decodes
// to its stored size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/coding.h"
#include "core/datagram_seal.h"
#include "core/probe_datagram.h"
#include "core/receive_state.h"
#include "core/wire_format.h"
#include "fuzz/datagram_fixture.h"

namespace {

using fleetcast::ByteView;
using fleetcast::wire::DatagramHeader;

// The grammar of core/wire_format.h, written independently of DecodeFrom.
bool Valid(ByteView d) {
  return d.size() >= 24 && d[0] == 'F' && d[1] == 'C' && d[2] == 2 && d[3] >= 1 && d[3] <= 3 &&
         d.size() == 24u + fleetcast::DecodeFixed16(d.data() + 20) + 16u;
}

// Decodes one datagram and checks it; the header if it decoded.
bool CheckDecode(ByteView d, DatagramHeader* out) {
  fleetcast::Result<DatagramHeader> h = DatagramHeader::DecodeFrom(d);
  if (h.ok() != Valid(d)) __builtin_trap();  // accepts exactly the grammar
  if (!h.ok()) return false;
  uint8_t again[DatagramHeader::kEncodedLength];
  h->EncodeTo(again);
  if (std::memcmp(again, d.data(), sizeof(again)) != 0) __builtin_trap();  // round trip
  *out = *h;
  return true;
}

// The clear payload if the datagram opens under the fixture key in either
// mode; sealing that payload again must give the datagram's bytes.
bool CheckOpen(ByteView d, fleetcast::Bytes* scratch, ByteView* payload) {
  using fleetcast::wire::DatagramSeal;
  using fleetcast::wire::SealMode;
  static const DatagramSeal kSeals[] = {
      {fleetcast::fuzz::DatagramFixtureKey(), SealMode::kAuthenticated},
      {fleetcast::fuzz::DatagramFixtureKey(), SealMode::kEncrypted}};
  for (const DatagramSeal& seal : kSeals) {
    fleetcast::Result<ByteView> opened = seal.Open(d, scratch);
    if (!opened.ok()) continue;
    fleetcast::Bytes again(d.begin(), d.end());
    std::memcpy(again.data() + DatagramHeader::kEncodedLength, opened->data(), opened->size());
    seal.Seal(again);
    if (!std::equal(again.begin(), again.end(), d.begin())) __builtin_trap();
    *payload = *opened;
    return true;
  }
  return false;
}

void CheckReady(fleetcast::ReceiveState* state, const fleetcast::ChunkTable& table,
                uint32_t chunk) {
  fleetcast::Bytes stored;
  const fleetcast::Status s = state->TakeChunk(chunk, &stored);
  if (!s.ok()) return;
  if (stored.size() != table.Find(chunk)->stored_size) __builtin_trap();
  state->MarkDone(chunk);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fleetcast::ChunkTable table = fleetcast::fuzz::DatagramFixtureTable();
  fleetcast::ReceiveState state(table, fleetcast::fuzz::kShardSize, fleetcast::fuzz::kMaxDataShards,
                                /*max_assembling=*/2);
  ByteView input(data, size);
  fleetcast::Bytes scratch;
  while (!input.empty()) {
    size_t length = input.size();
    if (input.size() >= 2) {
      length = fleetcast::DecodeFixed16(input.data());
      input = input.subspan(2);
      if (length > input.size()) length = input.size();
    }
    const ByteView d = input.subspan(0, length);
    input = input.subspan(length);
    DatagramHeader h;
    ByteView payload;
    if (!CheckDecode(d, &h) || !CheckOpen(d, &scratch, &payload)) continue;
    if (h.type == fleetcast::wire::DatagramType::kProbe) {
      // A netcheck probe decodes or is refused; it never reaches the state.
      (void)fleetcast::netcheck::DecodeProbe(h, payload);
      continue;
    }
    if (h.type != fleetcast::wire::DatagramType::kShard) continue;
    const auto outcome = state.Add(h, payload);
    if (outcome == fleetcast::ReceiveState::Outcome::kChunkReady)
      CheckReady(&state, table, h.chunk);
  }
  for (const fleetcast::control::BlockNeed& n : state.Needs()) {
    if (table.Find(n.chunk) == nullptr || n.missing == 0) __builtin_trap();
  }
  if (state.done_count() > table.stored_count()) __builtin_trap();
  return 0;
}
