// StopOnSignal: how a running serve or netcheck meets Ctrl-C and SIGTERM: the
// io thread logs it, raises the run's stop flag and wakes whoever waits, so
// every loop ends and cleans up on its own.
#ifndef FLEETCAST_SERVER_STOP_ON_SIGNAL_H_
#define FLEETCAST_SERVER_STOP_ON_SIGNAL_H_

#include <atomic>
#include <functional>

#include "platform/asio.h"

namespace fleetcast {

/// Waits on signals (SIGINT and SIGTERM) once: then sets *stop and calls
/// wake, on the signals' io thread. A cancelled wait does nothing.
void StopOnSignal(boost::asio::signal_set* signals, std::atomic<bool>* stop,
                  std::function<void()> wake);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_STOP_ON_SIGNAL_H_
