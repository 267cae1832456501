// ScanImage: reads, checks and decompresses every stored chunk of an image on
// a worker pool, and hands each proven chunk's raw bytes to a callback. Used
// by verify (callback does nothing) and unpack (callback writes the bytes).
#ifndef FLEETCAST_SERVER_IMAGE_SCAN_H_
#define FLEETCAST_SERVER_IMAGE_SCAN_H_

#include <functional>
#include <string>

#include "core/chunk_table.h"
#include "core/status.h"
#include "server/image_reader.h"

namespace fleetcast {

/// Called on a worker thread with a chunk whose digests have been checked.
using ChunkSink = std::function<Status(const ChunkEntry& entry, ByteView raw)>;

/// Scans every stored chunk in order. Stops at the first failure in chunk
/// order, so the Status names the lowest bad chunk ("disk.fcimg: chunk 812:
/// stored digest mismatch"). `verb` labels the progress line.
Status ScanImage(const ImageReader& image, size_t threads, const std::string& verb,
                 const ChunkSink& sink);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_IMAGE_SCAN_H_
