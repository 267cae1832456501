#include "server/status_http.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "server/status_page.h"

namespace fleetcast {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// A kernel or initramfs to a room of machines booting at once, on a slow link.
constexpr auto kFileWriteTimeout = std::chrono::minutes(10);
// How long a closing connection may keep sending what we will not read.
constexpr auto kLingerTimeout = std::chrono::seconds(5);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";
constexpr std::string_view kSvgType = "image/svg+xml";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
// The body of an event stream runs until the connection closes.
constexpr std::string_view kEventStreamHeader =
    "HTTP/1.1 200 OK\r\n"
    "Server: fleetcast\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-store\r\n"
    "Connection: close\r\n"
    "X-Accel-Buffering: no\r\n"
    "\r\n";
constexpr std::string_view kKeepAliveComment = ": keep-alive\n\n";

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Boost 1.74's Beast has its own string_view.
std::string_view ToStd(beast::string_view s) { return {s.data(), s.size()}; }

// ---------------------------------------------------------------------------
// Routes: what a request path names. Pure functions of the request.

enum class Endpoint {
  kNone,
  kPage,
  kState,
  kEvents,
  kMetrics,
  kNetcheckSvg,
  kStartNow,
  kHold,
  kUnhold,
  kReleaseNode,
  kIssueToken,
  kNodeUp,
  kBootChain,
  kBootScript,
  kBootFile,
};

struct Route {
  Endpoint endpoint = Endpoint::kNone;
  std::string name;  // the group or node named in the path
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// `s` with %XX decoded (and '+' as a space in a query); nullopt if malformed.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

/// The decoded segments of an absolute path: "/" is none, "/a/b%20c" is
/// {"a", "b c"}; nullopt if the path is not absolute or badly encoded.
std::optional<std::vector<std::string>> SplitPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::vector<std::string> parts;
  if (path.size() == 1) return parts;
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    std::optional<std::string> part = PercentDecode(path.substr(0, slash), false);
    if (!part) return std::nullopt;
    parts.push_back(std::move(*part));
    if (slash == std::string_view::npos) return parts;
    path.remove_prefix(slash + 1);
  }
}

/// /api/<kind>/<name>/<verb>: a group or node action.
Route MatchAction(const std::vector<std::string>& p) {
  if (p.size() != 4 || p[2].empty()) return {};
  const std::string& kind = p[1];
  const std::string& verb = p[3];
  Endpoint e = Endpoint::kNone;
  if (kind == "groups" && verb == "hold") e = Endpoint::kHold;
  if (kind == "groups" && verb == "release-hold") e = Endpoint::kUnhold;
  if (kind == "nodes" && verb == "release") e = Endpoint::kReleaseNode;
  if (kind == "nodes" && verb == "up") e = Endpoint::kNodeUp;
  if (kind == "nodes" && verb == "token") e = Endpoint::kIssueToken;
  if (e == Endpoint::kNone) return {};
  return {e, p[2]};
}

Route MatchRoute(std::string_view path) {
  const std::optional<std::vector<std::string>> parts = SplitPath(path);
  if (!parts) return {};
  const std::vector<std::string>& p = *parts;
  if (p.empty()) return {Endpoint::kPage, ""};
  if (p.size() == 1 && p[0] == "metrics") return {Endpoint::kMetrics, ""};
  if (p.size() == 1 && p[0] == "netcheck.svg") return {Endpoint::kNetcheckSvg, ""};
  if (p.size() == 1 && p[0] == "boot.ipxe") return {Endpoint::kBootChain, ""};
  if (p.size() == 2 && p[0] == "boot" && !p[1].empty()) return {Endpoint::kBootScript, p[1]};
  if (p.size() == 3 && p[0] == "boot" && p[1] == "files") return {Endpoint::kBootFile, p[2]};
  if (p.size() < 2 || p[0] != "api") return {};
  if (p.size() == 2 && p[1] == "state") return {Endpoint::kState, ""};
  if (p.size() == 2 && p[1] == "events") return {Endpoint::kEvents, ""};
  if (p.size() == 2 && p[1] == "start-now") return {Endpoint::kStartNow, ""};
  return MatchAction(p);
}

http::verb MethodFor(Endpoint e) {
  switch (e) {
    case Endpoint::kPage:
    case Endpoint::kState:
    case Endpoint::kEvents:
    case Endpoint::kMetrics:
    case Endpoint::kNetcheckSvg:
    case Endpoint::kBootChain:
    case Endpoint::kBootScript:
    case Endpoint::kBootFile:
      return http::verb::get;
    default:
      return http::verb::post;
  }
}

/// Operator actions; the node's own call back carries its own token instead.
bool NeedsOperator(Endpoint e) {
  return MethodFor(e) == http::verb::post && e != Endpoint::kNodeUp;
}

/// The decoded value of `key` in a query string ("a=1&token=x"), or "".
std::string QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) {
      return PercentDecode(pair.substr(eq + 1), true).value_or("");
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

/// Equal tokens, in time that depends on neither: both are hashed to a fixed
/// length first, so not even the length of the right one leaks.
bool TokensEqual(std::string_view a, std::string_view b) {
  std::array<unsigned char, crypto_generichash_BYTES> ha{};
  std::array<unsigned char, crypto_generichash_BYTES> hb{};
  crypto_generichash(ha.data(), ha.size(), reinterpret_cast<const unsigned char*>(a.data()),
                     a.size(), nullptr, 0);
  crypto_generichash(hb.data(), hb.size(), reinterpret_cast<const unsigned char*>(b.data()),
                     b.size(), nullptr, 0);
  return sodium_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

/// JSON text on one line; invalid UTF-8 from a hostname is replaced, not thrown.
std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------
// Responses.

Response MakeResponse(const Request& req, http::status status, std::string_view type,
                      std::string body) {
  Response res{status, req.version()};
  res.set(http::field::server, "fleetcast");
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response JsonResponse(const Request& req, http::status status, const nlohmann::json& j) {
  return MakeResponse(req, status, kJsonType, DumpJson(j) + "\n");
}

Response ErrorResponse(const Request& req, http::status status, const std::string& message) {
  return JsonResponse(req, status, {{"error", message}});
}

http::status HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return http::status::ok;
    case Status::Code::kNotFound:
      return http::status::not_found;
    case Status::Code::kInvalidArgument:
      return http::status::bad_request;
    default:
      return http::status::conflict;
  }
}

Response ActionResponse(const Request& req, const Status& s) {
  if (s.ok()) return JsonResponse(req, http::status::ok, {{"ok", true}});
  return ErrorResponse(req, HttpStatusFor(s), s.message());
}

Response NodeUpResponse(StatusSource* source, const Request& req, const std::string& node,
                        const std::string& token) {
  const Status s = token.empty()
                       ? Status::InvalidArgument("no token; call back with ?token=<node token>")
                       : source->NodeUp(node, token);
  if (s.ok()) return JsonResponse(req, http::status::ok, {{"ok", true}});
  spdlog::warn("status http: {}: up call back refused: {}", node, s.message());
  return ErrorResponse(req, http::status::forbidden, s.message());
}

Response IssueTokenResponse(StatusSource* source, const Request& req, const std::string& node) {
  Result<std::string> token = source->IssueToken(node);
  if (!token.ok()) {
    return ErrorResponse(req, HttpStatusFor(token.status()), token.status().message());
  }
  return JsonResponse(req, http::status::ok, {{"node", node}, {"token", *token}});
}

Response NetcheckSvgResponse(StatusSource* source, const Request& req) {
  const std::shared_ptr<const std::string> svg = source->NetcheckSvg();
  if (svg == nullptr) {
    return ErrorResponse(req, http::status::not_found,
                         "no netcheck ran; start serve with --netcheck");
  }
  return MakeResponse(req, http::status::ok, kSvgType, *svg);
}

Response BootScriptResponse(StatusSource* source, const Request& req, const std::string& mac) {
  Result<std::string> script = source->BootScript(mac);
  if (!script.ok())
    return ErrorResponse(req, HttpStatusFor(script.status()), script.status().message());
  return MakeResponse(req, http::status::ok, kTextType, std::move(*script));
}

/// The answer to an authorized request for any route but the event stream
/// and boot files.
Response Answer(StatusSource* source, const Request& req, const Route& route,
                std::string_view query) {
  switch (route.endpoint) {
    case Endpoint::kPage:
      return MakeResponse(req, http::status::ok, kHtmlType, std::string(kStatusPage));
    case Endpoint::kState:
      return JsonResponse(req, http::status::ok, source->Snapshot());
    case Endpoint::kMetrics:
      return MakeResponse(req, http::status::ok, kMetricsType, source->Metrics());
    case Endpoint::kNetcheckSvg:
      return NetcheckSvgResponse(source, req);
    case Endpoint::kStartNow:
      return ActionResponse(req, source->StartNow());
    case Endpoint::kHold:
      return ActionResponse(req, source->Hold(route.name, true));
    case Endpoint::kUnhold:
      return ActionResponse(req, source->Hold(route.name, false));
    case Endpoint::kReleaseNode:
      return ActionResponse(req, source->Release(route.name));
    case Endpoint::kIssueToken:
      return IssueTokenResponse(source, req, route.name);
    case Endpoint::kNodeUp:
      return NodeUpResponse(source, req, route.name, QueryParam(query, "token"));
    case Endpoint::kBootChain:
    case Endpoint::kBootScript:
      return BootScriptResponse(source, req, route.name);
    default:
      return ErrorResponse(req, http::status::not_found, "no such page");
  }
}

Response MethodNotAllowed(const Request& req, Endpoint e) {
  const std::string allowed(http::to_string(MethodFor(e)));
  Response res = ErrorResponse(req, http::status::method_not_allowed,
                               std::string(req.target()) + ": use " + allowed);
  res.set(http::field::allow, allowed);
  return res;
}

Response Unauthorized(const Request& req) {
  Response res =
      ErrorResponse(req, http::status::unauthorized,
                    "operator token missing or wrong; send Authorization: Bearer <operator token>");
  res.set(http::field::www_authenticate, "Bearer");
  return res;
}

/// A peer closing or timing out is normal; anything else is worth a line.
bool IsQuietError(beast::error_code ec) {
  return ec == asio::error::operation_aborted || ec == http::error::end_of_stream ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == beast::error::timeout;
}

}  // namespace

// ---------------------------------------------------------------------------

class StatusHttpServer::Connection {
 public:
  virtual ~Connection() = default;
  /// Closes the connection on its own strand. Any thread.
  virtual void Close() = 0;
};

// A live-update subscriber: the event-stream header, then one event per push.
// At most one event waits behind the one being written; a newer one replaces
// it, so a slow browser gets the latest state, never a backlog.
class StatusHttpServer::EventStream : public StatusHttpServer::Connection,
                                      public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(tcp::socket socket, StatusHttpServer* server, std::string peer)
      : stream_(std::move(socket)),
        keep_alive_(stream_.get_executor()),
        server_(server),
        pending_(server->pending_),
        peer_(std::move(peer)) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->stream_.expires_never();
      self->DoRead();
      self->Enqueue(std::make_shared<const std::string>(kEventStreamHeader));
      self->ArmKeepAlive();
      self->server_->Subscribe(self);
    });
  }

  /// Queues `event` (a whole "data: ...\n\n"), counted as pending until it
  /// is written or dropped. Any thread.
  void Deliver(std::shared_ptr<const std::string> event) {
    pending_->Add(+1);
    asio::post(stream_.get_executor(), [self = shared_from_this(), event = std::move(event)] {
      if (self->closed_) return self->pending_->Add(-1);
      self->Enqueue(event, true);
    });
  }

  void Close() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
  }

 private:
  // `counted`: a Deliver'ed event, which Flush waits for.
  void Enqueue(std::shared_ptr<const std::string> data, bool counted = false) {
    if (queue_.size() >= 2) {
      Drop(queue_.back());
      queue_.back() = {std::move(data), counted};
      return;
    }
    queue_.push_back({std::move(data), counted});
    if (queue_.size() == 1) DoWrite();
  }

  void Drop(const std::pair<std::shared_ptr<const std::string>, bool>& item) {
    if (item.second) pending_->Add(-1);
  }

  void DoWrite() {
    stream_.expires_after(kWriteTimeout);
    asio::async_write(stream_, asio::buffer(*queue_.front().first),
                      beast::bind_front_handler(&EventStream::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return OnError(ec, "write");
    Drop(queue_.front());
    queue_.pop_front();
    if (!queue_.empty()) DoWrite();
  }

  // A browser sends nothing more; reading only notices when it goes away.
  void DoRead() {
    stream_.async_read_some(asio::buffer(ignored_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->OnError(ec, "read");
                              self->DoRead();
                            });
  }

  void ArmKeepAlive() {
    keep_alive_.expires_after(kKeepAliveInterval);
    keep_alive_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (self->queue_.empty()) {
        self->Enqueue(std::make_shared<const std::string>(kKeepAliveComment));
      }
      self->ArmKeepAlive();
    });
  }

  void OnError(beast::error_code ec, const char* step) {
    if (!IsQuietError(ec))
      spdlog::warn("status http: {}: events {}: {}", peer_, step, ec.message());
    DoClose();
  }

  void DoClose() {
    closed_ = true;
    keep_alive_.cancel();
    stream_.close();
    // The front may still be on the wire: keep the buffers, stop counting them.
    for (auto& item : queue_) {
      Drop(item);
      item.second = false;
    }
  }

  beast::tcp_stream stream_;
  asio::steady_timer keep_alive_;
  StatusHttpServer* server_;
  std::shared_ptr<PendingEvents> pending_;
  std::string peer_;
  bool closed_ = false;
  // Front is being written; second: counted for Flush.
  std::deque<std::pair<std::shared_ptr<const std::string>, bool>> queue_;
  std::array<char, 512> ignored_{};
};

// One HTTP connection: read a request (deadline, capped body), answer, read
// the next while the client keeps it alive. GET /api/events hands the socket
// to an EventStream.
class StatusHttpServer::HttpSession : public StatusHttpServer::Connection,
                                      public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, StatusHttpServer* server)
      : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec).address().to_string();
  }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
  }

  void Close() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t /*bytes*/) {
    if (ec == http::error::body_limit) return RefuseLargeBody();
    if (ec) return OnError(ec, "read");
    Handle(parser_->release());
  }

  void Handle(const Request& req) {
    const std::string_view target = ToStd(req.target());
    const size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    const Route route = MatchRoute(path);
    if (route.endpoint == Endpoint::kNone) {
      return Send(ErrorResponse(req, http::status::not_found,
                                std::string(path) + ": no such page; see / for the status page"));
    }
    if (req.method() != MethodFor(route.endpoint))
      return Send(MethodNotAllowed(req, route.endpoint));
    if (route.endpoint == Endpoint::kEvents) return StartEventStream();
    if (route.endpoint == Endpoint::kBootFile) return SendBootFile(req, route.name);
    if (NeedsOperator(route.endpoint) && !Authorized(req, path)) return Send(Unauthorized(req));
    Send(Answer(server_->source_, req, route, query));
  }

  /// Whether `req` carries the operator token; logs a refusal (never a token).
  bool Authorized(const Request& req, std::string_view path) const {
    const std::string_view header = ToStd(req[http::field::authorization]);
    constexpr std::string_view kBearer = "Bearer ";
    const bool has_token =
        header.size() > kBearer.size() &&
        beast::iequals(beast::string_view(header.data(), kBearer.size()), "Bearer ");
    const std::string& want = server_->operator_token_;
    if (has_token && !want.empty() && TokensEqual(header.substr(kBearer.size()), want)) return true;
    spdlog::warn("status http: {} {} from {} refused: {} operator token",
                 ToStd(req.method_string()), path, peer_, has_token ? "wrong" : "no");
    return false;
  }

  void StartEventStream() {
    auto events = std::make_shared<EventStream>(stream_.release_socket(), server_, peer_);
    events->Start();
  }

  // The body was not read, so the connection cannot carry another request.
  void RefuseLargeBody() {
    Request head(parser_->get().base());
    head.keep_alive(false);
    Send(ErrorResponse(head, http::status::payload_too_large,
                       "request body over " + std::to_string(kMaxBodyBytes / 1024) + " KiB"));
  }

  void Send(Response res) {
    res_ = std::move(res);
    stream_.expires_after(kWriteTimeout);
    http::async_write(
        stream_, res_,
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), res_.need_eof()));
  }

  // Boot files are shared, in memory, by every machine that boots.
  void SendBootFile(const Request& req, const std::string& name) {
    file_ = server_->source_->BootFile(name);
    if (!file_) {
      return Send(ErrorResponse(req, http::status::not_found,
                                "/boot/files/" + name + ": no such boot file"));
    }
    file_res_ = {http::status::ok, req.version()};
    file_res_.set(http::field::server, "fleetcast");
    file_res_.set(http::field::content_type, "application/octet-stream");
    file_res_.keep_alive(req.keep_alive());
    file_res_.body() = {file_->data(), file_->size()};
    file_res_.prepare_payload();
    stream_.expires_after(kFileWriteTimeout);
    http::async_write(
        stream_, file_res_,
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), file_res_.need_eof()));
  }

  void OnWrite(bool close, beast::error_code ec, size_t /*bytes*/) {
    if (ec) return OnError(ec, "write");
    if (close) return DoLingeringClose();
    DoRead();
  }

  // Closing with unread bytes would reset the connection, and the client
  // could lose the response; so stop sending and read to its end first.
  void DoLingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    DoDrain();
  }

  void DoDrain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->DoClose();
                              self->DoDrain();
                            });
  }

  void OnError(beast::error_code ec, const char* step) {
    if (!IsQuietError(ec)) spdlog::warn("status http: {}: {}: {}", peer_, step, ec.message());
    DoClose();
  }

  void DoClose() { stream_.close(); }

  beast::tcp_stream stream_;
  StatusHttpServer* server_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  std::shared_ptr<const std::string> file_;  // the boot file file_res_ points into
  http::response<http::span_body<const char>> file_res_;
  std::array<char, 4096> drain_{};
};

// ---------------------------------------------------------------------------

StatusHttpServer::StatusHttpServer(asio::io_context& io, const tcp::endpoint& at,
                                   StatusSource* source, std::string operator_token)
    : io_(io),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      push_timer_(strand_),
      accept_timer_(strand_),
      source_(source),
      operator_token_(std::move(operator_token)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
  acceptor_.open(at.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  if (operator_token_.empty()) spdlog::warn("status http: no operator token; actions refused");
  asio::dispatch(strand_, [this] { DoAccept(); });
}

StatusHttpServer::~StatusHttpServer() = default;

void StatusHttpServer::Notify() {
  if (notify_posted_.exchange(true)) return;
  asio::post(strand_, [this] {
    notify_posted_ = false;
    OnNotify();
  });
}

void StatusHttpServer::PendingEvents::Add(int delta) {
  std::lock_guard<std::mutex> lock(mu);
  count += delta;
  if (count == 0) cv.notify_all();
}

void StatusHttpServer::Flush(std::chrono::milliseconds timeout) {
  const std::shared_ptr<PendingEvents> pending = pending_;
  {
    std::lock_guard<std::mutex> lock(pending->mu);
    pending->pushed = false;
  }
  asio::post(strand_, [this, pending] {
    if (!stopped_) Push();
    std::lock_guard<std::mutex> lock(pending->mu);
    pending->pushed = true;
    pending->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(pending->mu);
  pending->cv.wait_for(lock, timeout, [&] { return pending->pushed && pending->count == 0; });
}

void StatusHttpServer::Stop() {
  asio::dispatch(strand_, [this] { DoStop(); });
}

void StatusHttpServer::DoAccept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (ec) return RetryAccept(ec);
    auto session = std::make_shared<HttpSession>(std::move(socket), this);
    Track(session);
    session->Start();
    DoAccept();
  });
}

// Accepting again at once would spin while, say, no file descriptor is free.
void StatusHttpServer::RetryAccept(boost::system::error_code ec) {
  spdlog::warn("status http: accept: {}; retrying", ec.message());
  accept_timer_.expires_after(kAcceptRetryDelay);
  accept_timer_.async_wait([this](beast::error_code e) {
    if (!e && !stopped_) DoAccept();
  });
}

void StatusHttpServer::OnNotify() {
  if (stopped_) return;
  if (throttled_) {
    dirty_ = true;
    return;
  }
  Push();
  throttled_ = true;
  push_timer_.expires_after(kPushInterval);
  push_timer_.async_wait([this](beast::error_code ec) {
    throttled_ = false;
    if (ec || !dirty_) return;
    dirty_ = false;
    OnNotify();
  });
}

void StatusHttpServer::Push() {
  std::erase_if(subscribers_, [](const std::weak_ptr<EventStream>& s) { return s.expired(); });
  if (subscribers_.empty()) return;
  const std::shared_ptr<const std::string> event = SnapshotEvent();
  for (const std::weak_ptr<EventStream>& weak : subscribers_) {
    if (auto stream = weak.lock()) stream->Deliver(event);
  }
}

void StatusHttpServer::Subscribe(const std::shared_ptr<EventStream>& stream) {
  asio::post(strand_, [this, stream] {
    Track(stream);
    if (stopped_) return;
    subscribers_.push_back(stream);
    stream->Deliver(SnapshotEvent());
  });
}

void StatusHttpServer::Track(const std::weak_ptr<Connection>& connection) {
  if (stopped_) {
    if (auto c = connection.lock()) c->Close();
    return;
  }
  std::erase_if(connections_, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
  connections_.push_back(connection);
}

std::shared_ptr<const std::string> StatusHttpServer::SnapshotEvent() {
  return std::make_shared<const std::string>("data: " + DumpJson(source_->Snapshot()) + "\n\n");
}

void StatusHttpServer::DoStop() {
  if (stopped_) return;
  stopped_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  push_timer_.cancel();
  accept_timer_.cancel();
  for (const std::weak_ptr<Connection>& weak : connections_) {
    if (auto c = weak.lock()) c->Close();
  }
  connections_.clear();
  subscribers_.clear();
}

}  // namespace fleetcast
