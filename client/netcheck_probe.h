// The client's side of a netcheck (docs/protocol.md, "Netcheck"): given the
// server's `netcheck` message, joins the test group, says `netcheck_ready`,
// records every probe datagram on a receive thread (core/netcheck_stats.h)
// until the server's `netcheck_end` and the end datagrams, then sends its
// `netcheck_report`. `fleetcast-client receive` runs it when the server it
// joins runs a netcheck.
#ifndef FLEETCAST_CLIENT_NETCHECK_PROBE_H_
#define FLEETCAST_CLIENT_NETCHECK_PROBE_H_

#include <netinet/in.h>

#include <string>

#include "core/control_message.h"
#include "core/status.h"
#include "platform/control_connection.h"
#include "platform/ip_address.h"

namespace fleetcast {

/// Joins on `join` (an interface address). An IOError if the connection
/// failed; Interrupted on a signal.
Status RunNetcheckProbe(ControlConnection* conn, const IpAddress& join,
                        const control::Netcheck& check, const std::string& node);

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_NETCHECK_PROBE_H_
