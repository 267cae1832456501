// `fleetcast-server probe`: checks every node of nodes.toml and renders every
// answer file without touching a disk, so a typo fails the deployment up
// front instead of on node 37. `serve --nodes` runs the same probe first.
#ifndef FLEETCAST_SERVER_PROBE_H_
#define FLEETCAST_SERVER_PROBE_H_

#include <cstdint>
#include <string>

#include "core/status.h"
#include "server/inventory_loader.h"

namespace fleetcast {

/// The port of the server's HTTP API, where nodes call back when they are up.
inline constexpr uint16_t kDefaultHttpPort = 8080;

struct ProbeOptions {
  std::string nodes;          // nodes.toml
  std::string secrets;        // secrets file, "" for the environment only
  std::string image;          // optional .fcimg the nodes will receive
  std::string answers_out;    // optional: write each node's answers to DIR/<hostname>/
  std::string callback_host;  // how nodes reach the server; "" for this host's name
  uint16_t http_port = kDefaultHttpPort;
};

/// Loads and checks the inventory (and the image, if given), prints one line
/// per problem on stderr, renders every node's answers; fails if anything is wrong.
Result<LoadedInventory> ProbeInventory(const ProbeOptions& options);

/// The probe subcommand: ProbeInventory, then one line per node on stdout.
Status RunProbe(const ProbeOptions& options);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_PROBE_H_
