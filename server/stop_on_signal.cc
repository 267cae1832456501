#include "server/stop_on_signal.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace fleetcast {

void StopOnSignal(boost::asio::signal_set* signals, std::atomic<bool>* stop,
                  std::function<void()> wake) {
  signals->async_wait([stop, wake = std::move(wake)](boost::system::error_code ec, int) {
    if (ec) return;
    spdlog::warn("interrupted: stopping");
    *stop = true;
    wake();
  });
}

}  // namespace fleetcast
