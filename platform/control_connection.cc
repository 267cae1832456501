#include "platform/control_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/host_port.h"

namespace fleetcast {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// One connect to one resolved address, within `timeout`.
Result<int> ConnectOne(const addrinfo& address, const std::string& where, milliseconds timeout) {
  const int fd = ::socket(address.ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::IOError(where + ": " + std::strerror(errno));
  auto fail = [fd](Status s) {
    ::close(fd);
    return s;
  };
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0 && errno != EINPROGRESS) {
    return fail(Status::IOError(where + ": " + std::strerror(errno)));
  }
  pollfd p = {fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return fail(
        Status::IOError(where + ": no answer within " + std::to_string(timeout.count()) + " ms"));
  }
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return fail(Status::IOError(where + ": " + std::strerror(err)));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Tries every address `host` resolves to, IPv4 or IPv6, in the resolver's
// order (a name may resolve to ::1 first while the server listens on
// 127.0.0.1); the last failure is the error.
Result<int> ConnectTcp(const std::string& host, uint16_t port, milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string where = JoinHostPort(host, port);
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    return Status::NotFound("--server " + host + ": unknown host; check the name or address");
  }
  const auto deadline = steady_clock::now() + timeout;
  Result<int> fd = Status::IOError(where + ": no address");
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    fd = ConnectOne(*a, where, std::max(left, milliseconds(1)));
    if (fd.ok()) break;
  }
  ::freeaddrinfo(res);
  return fd;
}

}  // namespace

Result<ControlConnection> ControlConnection::Connect(const std::string& host, uint16_t port,
                                                     milliseconds timeout,
                                                     const std::vector<sign::PublicKey>& trusted) {
  const auto deadline = steady_clock::now() + timeout;
  Result<int> fd = ConnectTcp(host, port, timeout);
  if (!fd.ok()) return fd.status();
  ControlConnection c;
  c.fd_ = *fd;
  const std::string where = JoinHostPort(host, port);
  secure::ClientHandshake handshake;
  if (Status s = c.SendFrame(handshake.Hello()); !s.ok()) return s;
  Result<Bytes> hello = c.ReceiveFrame(deadline, nullptr);
  if (!hello.ok()) {
    return Status::IOError(where + ": no secure handshake (" + hello.status().message() +
                           "); is it a fleetcast server of this version?");
  }
  Result<secure::ClientHandshake::Finished> done = handshake.Finish(*hello, trusted);
  if (!done.ok() && done.status().code() == Status::Code::kInvalidArgument) {
    return Status::InvalidArgument(
        where + ": " + done.status().message() +
        "; pass the .pub of serve's --key to --trust, or check --server");
  }
  if (!done.ok()) return Status::IOError(where + ": " + done.status().message());
  if (Status s = c.SendFrame(done->header); !s.ok()) return s;
  c.channel_ = done->channel;
  c.server_key_ = done->server_key;
  return c;
}

ControlConnection::ControlConnection(ControlConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      channel_(other.channel_),
      server_key_(other.server_key_) {}

ControlConnection& ControlConnection::operator=(ControlConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    channel_ = other.channel_;
    server_key_ = other.server_key_;
  }
  return *this;
}

ControlConnection::~ControlConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Status ControlConnection::Send(const control::Message& m) {
  return SendFrame(channel_->Seal(control::EncodeBody(m)));
}

Result<control::Message> ControlConnection::Receive(milliseconds timeout, const WakeEvent* wake) {
  Result<Bytes> frame = ReceiveFrame(steady_clock::now() + timeout, wake);
  if (!frame.ok()) return frame.status();
  Result<Bytes> body = channel_->Open(*frame);
  if (!body.ok()) return Status::IOError("the server's " + body.status().message());
  return control::DecodeBody(*body);
}

Status ControlConnection::SendFrame(ByteView body) {
  Bytes frame;
  PutFixed32(&frame, static_cast<uint32_t>(body.size()));
  PutBytes(&frame, body);
  size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(std::string("control connection: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Result<Bytes> ControlConnection::ReceiveFrame(steady_clock::time_point deadline,
                                              const WakeEvent* wake) {
  for (;;) {
    if (buffer_.size() >= control::kFrameHeaderLength) {
      const uint32_t length = DecodeFixed32(buffer_.data());
      if (length > control::kMaxMessageLength) {
        return Status::Corruption("control message of " + std::to_string(length) + " bytes");
      }
      if (buffer_.size() >= control::kFrameHeaderLength + length) {
        Bytes body(buffer_.begin() + control::kFrameHeaderLength,
                   buffer_.begin() + control::kFrameHeaderLength + length);
        buffer_.erase(buffer_.begin(), buffer_.begin() + control::kFrameHeaderLength + length);
        return body;
      }
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake != nullptr ? wake->fd() : -1, POLLIN, 0}};
    if (left.count() <= 0 || ::poll(p, 2, static_cast<int>(left.count())) == 0) {
      return Status::NotFound("no control message");
    }
    if ((p[1].revents & POLLIN) != 0) {
      wake->Drain();
      return Status::NotFound("woken");
    }
    uint8_t chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError("the server closed the control connection");
    buffer_.insert(buffer_.end(), chunk, chunk + n);
  }
}

IpAddress ControlConnection::local_address() const {
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  return IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&local));
}

}  // namespace fleetcast
