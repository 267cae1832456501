// The image subcommands of fleetcast-server that need no network: keygen,
// pack, info, verify and unpack. Each prints its result on stdout and returns a Status
// whose message is the one error line.
#ifndef FLEETCAST_SERVER_IMAGE_COMMANDS_H_
#define FLEETCAST_SERVER_IMAGE_COMMANDS_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "server/image_reader.h"
#include "server/packer.h"

namespace fleetcast {

/// Header, sizes, stored and zero chunks, ratio, digest, signer; as JSON if asked.
Status RunInfo(const std::string& path, bool json);

/// Reads every chunk and checks its digests (the BLAKE2b-256 too, if the
/// manifest has chunk hashes) and the whole-image digest. With trust_files,
/// also that the manifest is signed by one of their keys.
Status RunVerify(const std::string& path, size_t threads,
                 const std::vector<std::string>& trust_files = {});

/// The keygen subcommand: writes NAME.key and NAME.pub, prints the fingerprint.
Status RunKeygen(const std::string& name, bool force);

/// Restores the raw image into out: a new regular file (sparse where chunks
/// are zero, built under a partial name and renamed) or a block device at
/// least as large as the image (zero chunks written as zeros).
Status RunUnpack(const std::string& path, const std::string& out, size_t threads);

/// The pack subcommand: packs, then prints a one-line summary.
Status RunPack(const PackOptions& options);

/// The text `info` prints for an opened image.
std::string InfoText(const ImageReader& image);
/// The JSON `info --json` prints.
std::string InfoJson(const ImageReader& image);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_IMAGE_COMMANDS_H_
