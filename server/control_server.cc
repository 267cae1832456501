#include "server/control_server.h"

#include <spdlog/spdlog.h>

#include <deque>

namespace fleetcast {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr auto kHelloTimeout = std::chrono::seconds(30);

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(tcp::socket socket, Deployment* deployment, const control::Session* session,
                 const IdentityLookup* identity)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        deployment_(deployment),
        session_(session),
        identity_(identity) {}

  void Start() {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    peer_ = socket_.remote_endpoint(ec).address().to_string();
    // A connection that never says hello is closed.
    timer_.expires_after(kHelloTimeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code e) {
      if (!e && self->node_.empty()) self->Close();
    });
    DoReadHeader();
  }

  /// Thread-safe: queues m for sending on the session's executor.
  void Deliver(const control::Message& m) {
    auto frame = std::make_shared<Bytes>();
    control::AppendFrame(m, frame.get());
    asio::post(socket_.get_executor(), [self = shared_from_this(), frame] {
      self->queue_.push_back(std::move(*frame));
      if (self->queue_.size() == 1) self->DoWrite();
    });
  }

 private:
  void DoReadHeader() {
    asio::async_read(
        socket_, asio::buffer(header_),
        [self = shared_from_this()](boost::system::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(boost::system::error_code ec) {
    if (ec) return OnError(ec, "read");
    const uint32_t length = DecodeFixed32(header_.data());
    if (length > control::kMaxMessageLength) return Fail("message too large");
    body_.resize(length);
    asio::async_read(
        socket_, asio::buffer(body_),
        [self = shared_from_this()](boost::system::error_code e, size_t) { self->OnBody(e); });
  }

  void OnBody(boost::system::error_code ec) {
    if (ec) return OnError(ec, "read");
    Result<control::Message> m = control::DecodeBody(body_);
    if (!m.ok()) return Fail(m.status().message());
    std::visit([this](const auto& v) { Handle(v); }, *m);
    if (socket_.is_open()) DoReadHeader();
  }

  void Handle(const control::Hello& hello) {
    if (!node_.empty() || hello.node.empty()) return Fail("unexpected hello");
    if (hello.version != control::kProtocolVersion) {
      return Fail("protocol version " + std::to_string(hello.version) + " (server speaks " +
                  std::to_string(control::kProtocolVersion) + "); use matching versions");
    }
    std::optional<control::Identity> identity;
    if (*identity_) {
      boost::system::error_code ec;
      Result<std::optional<control::Identity>> found =
          (*identity_)(hello.node, socket_.local_endpoint(ec).address().to_string());
      if (!found.ok()) return Refuse(hello.node, found.status().message());
      identity = std::move(*found);
    }
    node_ = hello.node;
    timer_.cancel();
    // The identity goes first: the client holds it before it can finish.
    if (identity) {
      spdlog::info("{}: identity {} sent ({} answer files)", node_, identity->hostname,
                   identity->files.size());
      Deliver(*identity);
    }
    Deliver(*session_);
    std::weak_ptr<ControlSession> weak = shared_from_this();
    deployment_->Join(node_, [weak](const control::Message& m) {
      if (auto self = weak.lock()) self->Deliver(m);
    });
  }
  void Handle(const control::Progress& progress) {
    if (!node_.empty()) deployment_->OnProgress(node_, progress);
  }
  void Handle(const control::Report& report) {
    if (!node_.empty()) deployment_->OnReport(node_, report);
  }
  void Handle(const control::Done& done) {
    if (node_.empty()) return;
    if (!deployment_->OnDone(node_, done.digest)) {
      Deliver(control::Error{"digest " + done.digest + " does not match the image"});
    }
  }
  void Handle(const control::Error& error) {
    if (node_.empty()) return spdlog::error("{}: {}", peer_, error.message);
    deployment_->OnFailed(node_, error.message);
  }
  template <typename T>
  void Handle(const T&) {
    Fail("unexpected " + control::TypeName(T{}) + " message");
  }

  void DoWrite() {
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        if (ec) return self->OnError(ec, "write");
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) return self->DoWrite();
                        if (self->close_when_sent_) self->Close();
                      });
  }

  void OnError(boost::system::error_code ec, const char* step) {
    if (ec == asio::error::operation_aborted) return;
    if (ec != asio::error::eof && ec != asio::error::connection_reset) {
      spdlog::warn("{}: control {}: {}", node_.empty() ? peer_ : node_, step, ec.message());
    }
    Close();
  }

  // Tells the client why it is turned away, then hangs up once that is sent.
  void Refuse(const std::string& node, const std::string& why) {
    spdlog::warn("{} ({}): refused: {}", node, peer_, why);
    timer_.cancel();
    close_when_sent_ = true;
    Deliver(control::Error{why});
  }

  void Fail(const std::string& why) {
    spdlog::warn("{}: {}", node_.empty() ? peer_ : node_, why);
    Close();
  }

  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    if (!node_.empty()) deployment_->Leave(node_);
    node_.clear();
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Deployment* deployment_;
  const control::Session* session_;
  const IdentityLookup* identity_;
  bool close_when_sent_ = false;
  std::string node_;
  std::string peer_;
  std::array<uint8_t, control::kFrameHeaderLength> header_{};
  Bytes body_;
  std::deque<Bytes> queue_;
};

}  // namespace

ControlServer::ControlServer(asio::io_context& io, const tcp::endpoint& endpoint,
                             Deployment* deployment, control::Session session,
                             IdentityLookup identity)
    : io_(io),
      acceptor_(io),
      deployment_(deployment),
      session_(std::move(session)),
      identity_(std::move(identity)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  DoAccept();
}

uint16_t ControlServer::port() const { return acceptor_.local_endpoint().port(); }

void ControlServer::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void ControlServer::DoAccept() {
  acceptor_.async_accept(
      asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          std::make_shared<ControlSession>(std::move(socket), deployment_, &session_, &identity_)
              ->Start();
        }
        DoAccept();
      });
}

}  // namespace fleetcast
