// `fleetcast-server ctl`: the operator's actions from a shell, the same as
// the status page's buttons: start-now, hold GROUP, unhold GROUP, release
// NODE. Sent to a running serve's HTTP API with the operator token.
#ifndef FLEETCAST_SERVER_CTL_H_
#define FLEETCAST_SERVER_CTL_H_

#include <string>

#include "core/status.h"

namespace fleetcast {

struct CtlOptions {
  std::string http = "127.0.0.1:8080";  // the serve's --http
  std::string token;                    // "" : FLEETCAST_HTTP_TOKEN
  std::string action;                   // start-now | hold | unhold | release
  std::string target;                   // the group or node
};

Status RunCtl(const CtlOptions& options);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_CTL_H_
