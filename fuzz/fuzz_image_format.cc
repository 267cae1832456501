// libFuzzer target: the whole .fcimg decode path on untrusted bytes (header,
// layout, manifest digest, manifest, chunk table, chunk placement), and the
// manifest decoder alone, which the control plane will feed from the wire.
#include <cstddef>
#include <cstdint>

#include "core/image_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fleetcast::ByteView input(data, size);
  fleetcast::Result<fleetcast::image::Manifest> image = fleetcast::image::DecodeImage(input);
  if (image.ok()) {
    const fleetcast::ChunkTable& t = image->table;
    for (uint32_t i = 0; i < t.chunk_count() && i < 4096; ++i) (void)t.RawDigest(i);
  }
  fleetcast::Result<fleetcast::image::Manifest> manifest =
      fleetcast::image::Manifest::DecodeFrom(input);
  if (manifest.ok()) {
    fleetcast::Bytes again;
    manifest->EncodeTo(&again);
    if (again.size() != size) __builtin_trap();  // decode and encode must agree
  }
  return 0;
}
