// Boost.Asio, included the one way that compiles here: Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility> (fixed in
// later Boost), which GCC 12 in C++20 mode does not forgive.
#ifndef FLEETCAST_PLATFORM_ASIO_H_
#define FLEETCAST_PLATFORM_ASIO_H_

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

#endif  // FLEETCAST_PLATFORM_ASIO_H_
