// Key files on disk: writing the Ed25519 pair `fleetcast-server keygen`
// makes, and reading a secret key (pack --sign) or trusted public keys
// (verify --trust, receive --trust). The text forms are in core/signing.h.
// Every failure names the file and says what to do.
#ifndef FLEETCAST_PLATFORM_KEY_FILES_H_
#define FLEETCAST_PLATFORM_KEY_FILES_H_

#include <string>
#include <vector>

#include "core/signing.h"
#include "core/status.h"

namespace fleetcast {

/// Writes NAME.key (mode 0600) and NAME.pub (mode 0644) for a new random
/// key pair and returns the public key. Refuses if either file exists,
/// unless `force`; then both are replaced.
Result<sign::PublicKey> WriteNewKeyPair(const std::string& name, bool force);

/// Reads a NAME.key. Refuses one that group or others may read.
Result<sign::SecretKey> LoadSecretKey(const std::string& path);

/// Reads every public key in the given trust files (each one or more lines).
Result<std::vector<sign::PublicKey>> LoadTrustedKeys(const std::vector<std::string>& paths);

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_KEY_FILES_H_
