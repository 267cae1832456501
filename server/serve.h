// `fleetcast-server serve`: streams an image to every client that joins, over
// UDP multicast with parity repair, until each has verified its disk.
#ifndef FLEETCAST_SERVER_SERVE_H_
#define FLEETCAST_SERVER_SERVE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/announce.h"
#include "core/status.h"

namespace fleetcast {

struct ServeOptions {
  std::string image;
  std::string interface;
  std::string group = "239.77.0.1";
  uint16_t port = 7010;                // TCP control and UDP data
  uint64_t rate_bits = 1'000'000'000;  // 0 = unlimited
  size_t min_clients = 0;              // 0: every inventory node, or 1 without one
  std::chrono::seconds max_wait{60};
  uint32_t mtu = 1500;
  uint32_t max_data_shards = 184;  // 1 MiB chunks: 4 blocks of 183-184 at MTU 1500
  int ttl = 1;
  bool encrypt = false;  // encrypt multicast payloads too (they are always authenticated)
  std::string on_release = "exit";
  std::string nodes;                    // nodes.toml: probe first, then give each node its identity
  std::string secrets;                  // secrets file for nodes.toml ("" for the environment only)
  std::string http = "127.0.0.1:8080";  // status page and API; nodes call back on its port
  std::string http_token;               // operator token; "" for a random one, printed
  std::string state;                    // SQLite state file ("" : beside nodes.toml, .state)
  bool fresh_state = false;             // forget a previous run's state
  bool standalone_together = false;     // release nodes outside groups all at once
  std::string boot_dir;                 // network boot: vmlinuz and initrd.img ("": off)
  std::string boot_args = "console=tty0 console=ttyS0,115200n8";  // installer kernel's extras
  // Where to multicast the announce boot media find the server by, once a
  // second while serving (docs/protocol.md); "" for none.
  std::string announce = announce::Endpoint().ToString();
  // NAME.key (keygen): the key the server proves to clients on the control
  // plane (they pin it with --trust); "": a new one each run, unpinnable.
  std::string key;
  // One-time install tokens (core/install_token.h): a node's identity goes
  // only to the connection that presents its token. Needs `nodes`.
  bool tokens = false;
  // Deployments in a row from this one process, on the same sockets, each
  // with a fresh session; 0 = until interrupted. Not with `nodes`.
  uint32_t deployments = 1;
  // Checks the LAN with the clients first (server/netcheck.h), at these
  // rates for this long each, then deploys to them.
  bool netcheck = false;
  std::vector<uint64_t> netcheck_rates = {100'000'000, 250'000'000, 500'000'000, 1'000'000'000};
  double netcheck_duration = 2;
};

Status RunServe(const ServeOptions& options);

/// "ADDR:PORT" -> endpoint parts; an error line naming --http otherwise.
Result<std::pair<std::string, uint16_t>> ParseHttpAddress(const std::string& text);

/// "1g", "500m", "250k", "unlimited" -> bits per second (0 = unlimited).
Result<uint64_t> ParseRate(const std::string& text);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_SERVE_H_
