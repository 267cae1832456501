// forger: the attacker of tests/e2e/forged_datagram_test.cc, a test-only
// program run on a host of the namespace LAN. It joins the data group,
// captures real datagrams of the live session, then floods the group until
// SIGTERM or --seconds, alternating
//   (a) well-formed headers of the live session (session, chunk, block, k
//       and pass taken from captured datagrams) with random payload and tag;
//   (b) replays of captured datagrams with their chunk (or block) changed
//       to another captured one.
// Neither can open without the session's data key, so every one must be
// counted as forged and none may reach a disk.
//
//   forger --address A --group G --port P [--rate PPS] [--seconds S]
//
// stderr: "forger: flooding session XXXXXXXX" once it starts, and at the end
// "forger: sent N forged datagrams".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/coding.h"
#include "core/wire_format.h"

namespace {

using fleetcast::Bytes;
using fleetcast::wire::DatagramHeader;
using fleetcast::wire::DatagramType;

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Options {
  std::string address;
  std::string group = "239.77.0.1";
  uint16_t port = 7010;
  long rate = 20000;  // datagrams per second
  long seconds = 300;
};

bool ParseFlags(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--address") {
      o->address = value;
    } else if (flag == "--group") {
      o->group = value;
    } else if (flag == "--port") {
      o->port = static_cast<uint16_t>(std::stoul(value));
    } else if (flag == "--rate") {
      o->rate = std::stol(value);
    } else if (flag == "--seconds") {
      o->seconds = std::stol(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !o->address.empty() && o->rate > 0;
}

// False on an unknown flag or a number that does not parse.
bool Parse(int argc, char** argv, Options* o) {
  try {
    return ParseFlags(argc, argv, o);
  } catch (const std::exception&) {
    return false;
  }
}

// A socket that receives the group on `address` and sends to it from there.
int OpenSocket(const Options& o, sockaddr_in* group) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  *group = {};
  group->sin_family = AF_INET;
  group->sin_port = htons(o.port);
  ::inet_pton(AF_INET, o.group.c_str(), &group->sin_addr);
  sockaddr_in bind_to = *group;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)) != 0) return -1;
  ip_mreq join{};
  join.imr_multiaddr = group->sin_addr;
  ::inet_pton(AF_INET, o.address.c_str(), &join.imr_interface);
  if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof(join)) != 0) return -1;
  ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &join.imr_interface, sizeof(in_addr));
  const unsigned char off = 0;  // our own forgeries are not captures
  ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off));
  return fd;
}

// Takes what the socket holds now (or waits up to wait_ms for one) into the
// capture: real shard datagrams of the newest session seen.
void Capture(int fd, int wait_ms, std::vector<Bytes>* captured) {
  constexpr size_t kKeep = 256;
  uint8_t buf[65536];
  pollfd p = {fd, POLLIN, 0};
  while (::poll(&p, 1, wait_ms) == 1) {
    wait_ms = 0;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) return;
    const Bytes d(buf, buf + n);
    auto h = DatagramHeader::DecodeFrom(d);
    if (!h.ok() || h->type != DatagramType::kShard) continue;
    if (!captured->empty() && DatagramHeader::DecodeFrom(captured->back())->session != h->session) {
      captured->clear();  // a new session: its datagrams only
    }
    if (captured->size() == kKeep) captured->erase(captured->begin());
    captured->push_back(d);
  }
}

// (a): a captured datagram's header, random payload and tag.
Bytes RandomPayload(const Bytes& real, std::mt19937* rng) {
  Bytes d = real;
  for (size_t i = DatagramHeader::kEncodedLength; i < d.size(); ++i) {
    d[i] = static_cast<uint8_t>((*rng)());
  }
  return d;
}

// (b): a captured datagram moved to another captured chunk, or block.
Bytes MovedReplay(const Bytes& real, const Bytes& other, std::mt19937* rng) {
  Bytes d = real;
  uint32_t chunk = fleetcast::DecodeFixed32(other.data() + 8);
  uint16_t block = fleetcast::DecodeFixed16(other.data() + 12);
  if (chunk == fleetcast::DecodeFixed32(real.data() + 8)) {
    chunk += 1 + (*rng)() % 3;
    block = fleetcast::DecodeFixed16(real.data() + 12);
  }
  fleetcast::EncodeFixed32(d.data() + 8, chunk);
  fleetcast::EncodeFixed16(d.data() + 12, block);
  return d;
}

long Flood(int fd, const sockaddr_in& group, const Options& o) {
  constexpr int kBatch = 32;
  std::mt19937 rng(301);
  std::vector<Bytes> captured;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(o.seconds);
  while (captured.empty() && !g_stop && std::chrono::steady_clock::now() < end) {
    Capture(fd, 100, &captured);
  }
  if (captured.empty()) return 0;
  std::fprintf(stderr, "forger: flooding session %08x\n",
               DatagramHeader::DecodeFrom(captured.back())->session);
  long sent = 0;
  auto next = std::chrono::steady_clock::now();
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL * kBatch / o.rate);
  while (!g_stop && std::chrono::steady_clock::now() < end) {
    Capture(fd, 0, &captured);
    for (int i = 0; i < kBatch; ++i) {
      const Bytes& real = captured[rng() % captured.size()];
      const Bytes d = sent % 2 == 0 ? RandomPayload(real, &rng)
                                    : MovedReplay(real, captured[rng() % captured.size()], &rng);
      if (::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&group),
                   sizeof(group)) == static_cast<ssize_t>(d.size())) {
        ++sent;
      }
    }
    next += interval;
    std::this_thread::sleep_until(next);
  }
  return sent;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fprintf(stderr,
                 "forger: error: usage: forger --address A [--group G] [--port P] [--rate PPS] "
                 "[--seconds S]\n");
    return 2;
  }
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGINT, OnSignal);
  sockaddr_in group{};
  const int fd = OpenSocket(o, &group);
  if (fd < 0) {
    std::fprintf(stderr, "forger: error: cannot join %s:%u on %s: %s\n", o.group.c_str(), o.port,
                 o.address.c_str(), std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "forger: joined %s:%u\n", o.group.c_str(), o.port);
  const long sent = Flood(fd, group, o);
  ::close(fd);
  std::fprintf(stderr, "forger: sent %ld forged datagrams\n", sent);
  return sent > 0 ? 0 : 1;
}
