// Signing of .fcimg manifests: BLAKE2b-256 chunk hashes, Ed25519 keys and
// signatures (libsodium), and the one-line text forms of keys that
// `fleetcast-server keygen` writes and `pack --sign`, `verify --trust` and
// `receive --trust` read (docs/image-format.md, "Keys"). Pure functions;
// safe to call from any thread.
//
//   NAME.pub := "fleetcast-ed25519-public " 64 hex digits (the 32-byte key) "\n"
//   NAME.key := "fleetcast-ed25519-secret " 128 hex digits "\n"
//               (libsodium's 64-byte secret key: 32-byte seed, then the public key)
//
// A trust file holds one or more public-key lines; blank lines and lines
// starting with '#' are ignored.
#ifndef FLEETCAST_CORE_SIGNING_H_
#define FLEETCAST_CORE_SIGNING_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast::sign {

constexpr size_t kBlake2b256Length = 32;
constexpr size_t kPublicKeyLength = 32;
constexpr size_t kSecretKeyLength = 64;
constexpr size_t kSignatureLength = 64;

/// BLAKE2b-256 of a chunk's raw bytes: the collision-resistant hash a
/// signature can vouch for (XXH3 cannot: anyone can make a collision).
using Blake2b256 = std::array<uint8_t, kBlake2b256Length>;
using PublicKey = std::array<uint8_t, kPublicKeyLength>;
using SecretKey = std::array<uint8_t, kSecretKeyLength>;
using Signature = std::array<uint8_t, kSignatureLength>;

constexpr const char* kPublicKeyTag = "fleetcast-ed25519-public";
constexpr const char* kSecretKeyTag = "fleetcast-ed25519-secret";

/// BLAKE2b with a 32-byte output and no key (libsodium crypto_generichash).
Blake2b256 Blake2b(ByteView bytes);

/// The public half of a secret key (its last 32 bytes).
PublicKey PublicKeyOf(const SecretKey& secret);

/// Ed25519 detached signature of message.
Signature Sign(ByteView message, const SecretKey& secret);
/// True if signature is key's signature of message.
bool Verify(ByteView message, const Signature& signature, const PublicKey& key);

/// "ed25519:" and 32 hex digits of the BLAKE2b-128 of the key: short enough
/// to read aloud, long enough that no one can make a key that shares it.
std::string Fingerprint(const PublicKey& key);

/// The one-line files above, newline included.
std::string PublicKeyText(const PublicKey& key);
std::string SecretKeyText(const SecretKey& secret);

/// Parses a NAME.key's text. Fails if the tag, the hex or the length is
/// wrong, or if the public half does not belong to the seed.
Result<SecretKey> ParseSecretKey(const std::string& text);
/// Parses a trust file: at least one public-key line.
Result<std::vector<PublicKey>> ParsePublicKeys(const std::string& text);

std::string ToHex(ByteView bytes);

}  // namespace fleetcast::sign

#endif  // FLEETCAST_CORE_SIGNING_H_
