#include "server/control_server.h"

#include <spdlog/spdlog.h>

#include <deque>

namespace fleetcast {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr auto kHelloTimeout = std::chrono::seconds(30);

}  // namespace

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(tcp::socket socket, const sign::SecretKey* key, Deployment* deployment,
                 const control::Session* session, const IdentityLookup* identity,
                 NetcheckClients* netcheck)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        handshake_(*key),
        deployment_(deployment),
        session_(session),
        identity_(identity),
        netcheck_(netcheck) {}

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

  /// Thread-safe: queues m for sending on the session's executor, where it
  /// is sealed (the channel's stream is ordered).
  void Deliver(const control::Message& m) {
    auto body = std::make_shared<Bytes>(control::EncodeBody(m));
    asio::post(socket_.get_executor(), [self = shared_from_this(), body] {
      if (!self->socket_.is_open()) return;  // closed since (a Restart): nobody to tell
      self->Queue(self->channel_->Seal(*body));
    });
  }

  /// Hangs up; a client that had said hello leaves its deployment.
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    if (!node_.empty() && netcheck_ != nullptr) netcheck_->Leave(node_);
    if (!node_.empty() && netcheck_ == nullptr) deployment_->Leave(node_);
    node_.clear();
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
    // Closed after this read completed (a Restart): its deployment may be gone.
    if (!socket_.is_open()) return;
    if (ec) return OnError(ec, "read");
    if (!channel_) return Handshake();
    Result<Bytes> body = channel_->Open(body_);
    if (!body.ok()) return Fail(body.status().message());
    Result<control::Message> m = control::DecodeBody(*body);
    if (!m.ok()) return Fail(m.status().message());
    std::visit([this](const auto& v) { Handle(v); }, *m);
    if (socket_.is_open()) DoReadHeader();
  }

  // The first frame is the client's handshake, the second its stream header
  // (core/secure_channel.h); every later one is sealed.
  void Handshake() {
    if (!responded_) {
      Result<Bytes> hello = handshake_.Respond(body_);
      if (!hello.ok()) return Fail(hello.status().message());
      responded_ = true;
      Queue(std::move(hello).value());
    } else {
      Result<secure::Channel> channel = handshake_.Finish(body_);
      if (!channel.ok()) return Fail(channel.status().message());
      channel_ = std::move(channel).value();
    }
    DoReadHeader();
  }

  // On the session's executor: frames body and sends it after what is queued.
  void Queue(const Bytes& body) {
    Bytes frame;
    PutFixed32(&frame, static_cast<uint32_t>(body.size()));
    PutBytes(&frame, body);
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) DoWrite();
  }

  void Handle(const control::Hello& hello) {
    if (!node_.empty() || hello.node.empty()) return Fail("unexpected hello");
    if (hello.version != control::kProtocolVersion) {
      return Fail("protocol version " + std::to_string(hello.version) + " (server speaks " +
                  std::to_string(control::kProtocolVersion) + "); use matching versions");
    }
    token_ = hello.token;
    if (netcheck_ != nullptr) return JoinNetcheck(hello.node);
    JoinDeployment(hello.node);
  }

 public:
  /// serve --netcheck: the check is over. A client that said hello goes on
  /// to the deployment as if it said it now; one yet to say it will.
  void EndNetcheck() {
    netcheck_ = nullptr;
    if (node_.empty() || !socket_.is_open()) return;
    const std::string node = node_;
    node_.clear();
    JoinDeployment(node);
  }

 private:
  void JoinDeployment(const std::string& node) {
    std::optional<control::Identity> identity;
    if (*identity_) {
      boost::system::error_code ec;
      Result<std::optional<control::Identity>> found =
          (*identity_)(node, token_, peer_, socket_.local_endpoint(ec).address().to_string());
      if (!found.ok()) return Refuse(node, found.status().message());
      identity = std::move(*found);
    }
    node_ = node;
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
  void JoinNetcheck(const std::string& node) {
    node_ = node;
    timer_.cancel();
    std::weak_ptr<ControlSession> weak = shared_from_this();
    netcheck_->Join(node_, [weak](const control::Message& m) {
      if (auto self = weak.lock()) self->Deliver(m);
    });
  }
  void Handle(const control::NetcheckReady&) {
    if (netcheck_ == nullptr) return Fail("unexpected netcheck_ready message");
    if (!node_.empty()) netcheck_->OnReady(node_);
  }
  void Handle(const control::NetcheckReport& report) {
    if (netcheck_ == nullptr) return Fail("unexpected netcheck_report message");
    if (!node_.empty()) netcheck_->OnReport(node_, report);
  }
  // A deployment's messages mean nothing to a netcheck.
  bool InNetcheck(const char* type) {
    if (netcheck_ == nullptr) return false;
    Fail(std::string("unexpected ") + type + " message in a netcheck");
    return true;
  }
  void Handle(const control::Progress& progress) {
    if (InNetcheck("progress")) return;
    if (!node_.empty()) deployment_->OnProgress(node_, progress);
  }
  void Handle(const control::Report& report) {
    if (InNetcheck("report")) return;
    if (!node_.empty()) deployment_->OnReport(node_, report);
  }
  void Handle(const control::Done& done) {
    if (InNetcheck("done") || node_.empty()) return;
    if (!deployment_->OnDone(node_, done)) {
      Deliver(control::Error{"digest " + done.digest + " does not match the image"});
    }
  }
  void Handle(const control::Have& have) {
    if (InNetcheck("have") || node_.empty()) return;
    if (Status s = deployment_->OnHave(node_, have); !s.ok()) Fail(s.message());
  }
  void Handle(const control::Error& error) {
    if (node_.empty()) return spdlog::error("{}: {}", peer_, error.message);
    if (netcheck_ != nullptr) return netcheck_->OnError(node_, error.message);
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

  tcp::socket socket_;
  asio::steady_timer timer_;
  secure::ServerHandshake handshake_;
  bool responded_ = false;
  std::optional<secure::Channel> channel_;
  Deployment* deployment_;
  const control::Session* session_;
  const IdentityLookup* identity_;
  NetcheckClients* netcheck_;  // set: a netcheck's client (deployment_ is null)
  bool close_when_sent_ = false;
  std::string node_;
  std::string token_;  // the hello's, for a deployment that follows a netcheck
  std::string peer_;
  std::array<uint8_t, control::kFrameHeaderLength> header_{};
  Bytes body_;
  std::deque<Bytes> queue_;
};

ControlServer::ControlServer(asio::io_context& io, const tcp::endpoint& endpoint,
                             const sign::SecretKey& key, Deployment* deployment,
                             control::Session session, IdentityLookup identity)
    : io_(io),
      acceptor_(io),
      key_(key),
      deployment_(deployment),
      session_(std::move(session)),
      identity_(std::move(identity)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  DoAccept();
}

ControlServer::ControlServer(asio::io_context& io, const tcp::endpoint& endpoint,
                             const sign::SecretKey& key, NetcheckClients* netcheck)
    : ControlServer(io, endpoint, key, nullptr, control::Session{}) {
  netcheck_ = netcheck;
}

uint16_t ControlServer::port() const { return acceptor_.local_endpoint().port(); }

void ControlServer::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void ControlServer::EndNetcheck() {
  netcheck_ = nullptr;
  for (const std::weak_ptr<ControlSession>& weak : sessions_) {
    if (auto session = weak.lock()) session->EndNetcheck();
  }
}

void ControlServer::Restart(Deployment* deployment, control::Session session) {
  CloseSessions();
  deployment_ = deployment;
  session_ = std::move(session);
}

// Sessions run on strands of the one io_context thread, the thread this runs
// on, so closing them here does not race their handlers.
void ControlServer::CloseSessions() {
  for (const std::weak_ptr<ControlSession>& weak : sessions_) {
    if (auto session = weak.lock()) session->Close();
  }
  sessions_.clear();
}

void ControlServer::DoAccept() {
  acceptor_.async_accept(
      asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          auto session = std::make_shared<ControlSession>(std::move(socket), &key_, deployment_,
                                                          &session_, &identity_, netcheck_);
          session->Start();
          std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
          sessions_.push_back(session);
        }
        DoAccept();
      });
}

}  // namespace fleetcast
