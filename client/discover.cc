#include "client/discover.h"

#include <net/if.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/host_port.h"
#include "platform/interrupt.h"
#include "platform/net.h"

namespace fleetcast {

namespace {

using std::chrono::milliseconds;

// How long one wait lasts at most, so Ctrl-C is noticed soon.
constexpr milliseconds kPollSlice(200);

// A socket on `group` joined on the first of `addresses` (not empty) that
// lets it (IPv6 on lo may not); *opened is that one's index.
Result<MulticastReceiver> OpenOnFirst(const std::vector<IpAddress>& addresses,
                                      const IpAddress& group, uint16_t port, size_t* opened) {
  for (size_t i = 0; i + 1 < addresses.size(); ++i) {
    Result<MulticastReceiver> socket = MulticastReceiver::Open(addresses[i], group, port);
    if (socket.ok()) {
      *opened = i;
      return socket;
    }
  }
  *opened = addresses.size() - 1;
  return MulticastReceiver::Open(addresses.back(), group, port);
}

// An IPv6 join names the interface by its index alone, so a NIC without an
// IPv6 address yet (a booting node's link-local address comes a moment after
// the link) hears the IPv6 announces all the same; `why` if there is no such
// interface.
Result<IpAddress> ByIndex(const std::string& interface, const Status& why) {
  const unsigned index = ::if_nametoindex(interface.c_str());
  if (index == 0) return why;
  IpAddress any = IpAddress::Any(AF_INET6);
  any.set_interface_index(index);
  return any;
}

// A socket on the announce group: on --interface, or on every interface
// that is up (a boot machine may have several NICs and only one on the
// imaging LAN), or, with none of those, on the one the kernel routes the
// group to. Interfaces are taken by their address of the group's IP version.
Result<MulticastReceiver> Listen(const std::string& interface, const announce::Endpoint& at) {
  const IpAddress group = IpAddress::Parse(at.group).value();  // ParseEndpoint checked it
  std::vector<IpAddress> addresses;
  if (!interface.empty()) {
    Result<IpAddress> a = InterfaceAddress(interface, group.family());
    if (!a.ok() && group.is_v6()) a = ByIndex(interface, a.status());
    if (!a.ok()) return a.status();
    addresses.push_back(*a);
  } else {
    addresses = MulticastInterfaceAddresses(group.family());
    if (addresses.empty()) addresses.push_back(IpAddress::Any(group.family()));
  }
  size_t opened = 0;
  Result<MulticastReceiver> socket = OpenOnFirst(addresses, group, at.port, &opened);
  if (!socket.ok()) {
    const char* fix = interface.empty() ? "bring the network up, or pass --interface"
                                        : "check --interface and --announce";
    return Status::IOError("--announce " + at.ToString() + ": cannot listen (" +
                           socket.status().message() + "); " + fix);
  }
  for (size_t i = opened + 1; i < addresses.size(); ++i) {
    // An interface that cannot join (gone since it was listed) is not needed
    // when another can.
    if (Status s = socket->Join(addresses[i]); !s.ok()) spdlog::debug("{}", s.message());
  }
  return socket;
}

// Counts and explains the datagrams on the group that are not announces.
class Ignored {
 public:
  void Add(const Status& why) {
    ++count_;
    spdlog::debug("announce group: ignored datagram {} ({})", count_, why.message());
    // A server newer or older than this client is the one case a user can fix.
    if (why.code() == Status::Code::kNotSupported && !warned_version_) {
      warned_version_ = true;
      spdlog::warn(
          "ignoring an announce of another protocol ({}); use a client of the "
          "server's release",
          why.message());
    }
  }

 private:
  uint64_t count_ = 0;
  bool warned_version_ = false;
};

}  // namespace

std::vector<announce::Endpoint> DefaultAnnounceEndpoints() {
  return {announce::Endpoint{},
          announce::Endpoint{announce::kDefaultGroup6, announce::kDefaultPort}};
}

namespace {

// One socket per endpoint to listen on. With --announce, that one must
// open; by default the IPv4 one must, and the IPv6 one is skipped (a debug
// line) on a host or interface without IPv6.
Result<std::vector<std::pair<announce::Endpoint, MulticastReceiver>>> ListenAll(
    const DiscoverOptions& options) {
  std::vector<announce::Endpoint> endpoints = DefaultAnnounceEndpoints();
  if (!options.announce.empty()) {
    Result<announce::Endpoint> at = announce::ParseEndpoint(options.announce);
    if (!at.ok()) return at.status();
    endpoints = {*at};
  }
  std::vector<std::pair<announce::Endpoint, MulticastReceiver>> sockets;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    Result<MulticastReceiver> socket = Listen(options.interface, endpoints[i]);
    if (socket.ok()) {
      sockets.emplace_back(endpoints[i], std::move(socket).value());
    } else if (i == 0) {
      return socket.status();
    } else {
      spdlog::debug("not listening on {}: {}", endpoints[i].ToString(), socket.status().message());
    }
  }
  return sockets;
}

std::string Names(const std::vector<std::pair<announce::Endpoint, MulticastReceiver>>& sockets) {
  std::string names;
  for (const auto& [at, socket] : sockets) {
    names += (names.empty() ? "" : " and ") + at.ToString();
  }
  return names;
}

}  // namespace

Result<announce::Announce> DiscoverServer(const DiscoverOptions& options) {
  Result<std::vector<std::pair<announce::Endpoint, MulticastReceiver>>> sockets =
      ListenAll(options);
  if (!sockets.ok()) return sockets.status();
  const std::string names = Names(*sockets);
  // A booted node says what it waits for (and a script can wait for this).
  spdlog::info("listening for announces on {} (up to {} s)", names, options.timeout.count());
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::vector<pollfd> fds;
  for (const auto& [at, socket] : *sockets) fds.push_back({socket.fd(), POLLIN, 0});
  Ignored ignored;
  while (!Interrupted()) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    // Short waits, so Ctrl-C is noticed soon.
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::min(left, kPollSlice).count())) < 0 &&
        errno != EINTR) {
      return Status::IOError(std::string("poll: ") + std::strerror(errno));
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      auto& [at, socket] = (*sockets)[i];
      Result<std::span<const ByteView>> got = socket.Receive(milliseconds(0));
      if (!got.ok()) return got.status().Prefixed("--announce " + at.ToString());
      for (const ByteView datagram : *got) {
        Result<announce::Announce> a = announce::Announce::DecodeFrom(datagram);
        if (!a.ok()) {
          ignored.Add(a.status());
          continue;
        }
        spdlog::info("found server {} (image {}) by announce", JoinHostPort(a->server, a->port),
                     a->image);
        return a;
      }
    }
  }
  if (Interrupted()) return Status::Interrupted("discover interrupted");
  return Status::NotFound("no fleetcast server announced itself on " + names + " within " +
                          std::to_string(options.timeout.count()) +
                          " s; is serve running on this LAN, or pass --server HOST");
}

Status RunDiscover(const DiscoverOptions& options) {
  Result<announce::Announce> found = DiscoverServer(options);
  if (!found.ok()) return found.status();
  std::printf("%s\n", JoinHostPort(found->server, found->port).c_str());
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace fleetcast
