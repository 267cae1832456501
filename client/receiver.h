// `fleetcast-client receive`: joins a deployment, writes the image to the
// target disk and proves it. A Receiver runs three kinds of work: the calling
// thread speaks the control protocol (hello, reports, done, release) and
// reconnects when the server goes away; a receive thread takes shards off
// the multicast group into a ReceiveState; a worker pool decompresses,
// checks and writes each finished chunk.
#ifndef FLEETCAST_CLIENT_RECEIVER_H_
#define FLEETCAST_CLIENT_RECEIVER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "client/disk_target.h"
#include "core/announce.h"
#include "core/status.h"

namespace fleetcast {

struct ReceiveOptions {
  std::string server;  // HOST[:PORT], or "auto": found by its announce (client/discover.h)
  std::string target;
  std::string interface;  // to join the group on; default: the one that reaches the server
  std::string node_id;    // default: MAC of the interface that reaches the server
  ZeroPolicy zero = ZeroPolicy::kLeave;
  // Writes the whole image: no scan for chunks the disk already holds, and
  // with ZeroPolicy::kWrite every zero chunk is written without a look.
  bool full = false;
  size_t threads = 0;
  uint64_t window_bytes = uint64_t{256} << 20;  // bound on chunks being assembled
  int retries = 8;                              // reconnects before giving up
  std::string sysfs_root = "/sys";              // where PCI devices are read for drivers
  // With server "auto": the GROUP:PORT to listen for announces on ("": the
  // IPv4 and the IPv6 default, client/discover.h), and how long.
  std::string announce;
  std::chrono::seconds discover_timeout{60};
  // NAME.pub files: if any, the manifest must be signed by one of their keys
  // and every chunk must match its BLAKE2b-256 before it is written; the
  // server must prove it holds one of them too (serve --key).
  std::vector<std::string> trust;
  // The node's one-time token (serve --tokens), from the boot script or
  // `fleetcast-server ctl token NODE`; "" for none.
  std::string token;
};

Status RunReceive(const ReceiveOptions& options);

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_RECEIVER_H_
