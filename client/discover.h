// Finding the server without being told its address: listens on the
// announce group (core/announce.h) until a valid announce arrives. Used by
// `fleetcast-client receive --server auto` and by `fleetcast-client
// discover`, which the boot media's init runs when the kernel command line
// has no `fleetcast.server=`.
#ifndef FLEETCAST_CLIENT_DISCOVER_H_
#define FLEETCAST_CLIENT_DISCOVER_H_

#include <chrono>
#include <string>
#include <vector>

#include "core/announce.h"
#include "core/status.h"

namespace fleetcast {

struct DiscoverOptions {
  std::string interface;  // "": every interface that is up (MulticastInterfaceAddresses)
  // GROUP:PORT, as serve's --announce; "": both defaults, the IPv4 one and
  // the IPv6 one (where this host has IPv6), as serve announces on either.
  std::string announce;
  std::chrono::seconds timeout{60};
};

/// The default announce endpoints a client listens on: IPv4, then IPv6.
std::vector<announce::Endpoint> DefaultAnnounceEndpoints();

/// Waits at most options.timeout for the first valid announce and returns
/// it; datagrams that are not one are ignored (a debug line each). Errors:
/// a bad --announce or --interface, the socket, Ctrl-C (kInterrupted), and
/// kNotFound with the one line a user sees when no server announced itself.
Result<announce::Announce> DiscoverServer(const DiscoverOptions& options);

/// `fleetcast-client discover`: prints the server found as "HOST:PORT" on
/// stdout, for the boot media's init script.
Status RunDiscover(const DiscoverOptions& options);

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_DISCOVER_H_
