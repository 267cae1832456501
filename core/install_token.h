// Install tokens: the one-time tokens of `serve --tokens` that bind a node's
// identity (its answer files and their passwords) to the one connection that
// presents its token. Generation n of a node's token is derived from the
// deployment's secret key, so only the counter n (not a secret) is stored;
// presenting generation n spends it, and the server hands generation n+1 to
// that connection for its reconnects. Pure functions (libsodium HMAC).
#ifndef FLEETCAST_CORE_INSTALL_TOKEN_H_
#define FLEETCAST_CORE_INSTALL_TOKEN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetcast::install_token {

/// 32 lower-case hex digits: HMAC-SHA256(key, "install\0" node "\0" n), cut.
std::string Make(std::string_view key, std::string_view node, uint64_t generation);

enum class Check {
  kValid,    // the current generation: spend it
  kSpent,    // the one before: already used (someone else may claim the node)
  kWrong,    // anything else
  kMissing,  // no token given, or none issued yet (generation 0)
};

/// How `token` relates to node's current generation, in constant time.
Check Verify(std::string_view key, std::string_view node, uint64_t generation,
             std::string_view token);

}  // namespace fleetcast::install_token

#endif  // FLEETCAST_CORE_INSTALL_TOKEN_H_
