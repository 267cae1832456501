// StatusHttpServer over real sockets on 127.0.0.1: a fake StatusSource
// records the actions; a client with its own io_context bounds every wait by
// a deadline and returns as soon as the awaited event comes.
#include "server/status_http.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/netcheck_report.h"
#include "server/current_status.h"

namespace fleetcast {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using nlohmann::json;

constexpr auto kDeadline = std::chrono::seconds(10);
constexpr char kOperatorToken[] = "op-secret-7f3a";
constexpr char kNodeToken[] = "node-token-SQL01";

// A deployment in miniature: a snapshot the test edits, and a record of the
// actions asked for.
class FakeSource : public StatusSource {
 public:
  json Snapshot() override {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::string Metrics() override { return "fleetcast_nodes_done 3\n"; }
  Status StartNow() override { return Record("start-now"); }
  Status Hold(const std::string& group, bool held) override {
    return Record(std::string(held ? "hold " : "unhold ") + group);
  }
  Status Release(const std::string& node) override { return Record("release " + node); }
  Status NodeUp(const std::string& node, const std::string& token) override {
    if (node != "SQL01" || token != kNodeToken) {
      return Status::InvalidArgument(node + ": wrong node token");
    }
    return Record("up " + node);
  }

  Result<std::string> BootScript(const std::string& mac) override {
    if (!boot_on_) return StatusSource::BootScript(mac);
    return mac.empty() ? std::string("#!ipxe\nchain /boot/${netX/mac}\n")
                       : "#!ipxe\n# " + mac + "\n";
  }
  std::shared_ptr<const std::string> BootFile(const std::string& name) override {
    return boot_on_ && name == "vmlinuz" ? kernel_ : nullptr;
  }
  Result<std::string> IssueToken(const std::string& node) override {
    if (!boot_on_) return StatusSource::IssueToken(node);
    Status s = Record("token " + node);
    if (!s.ok()) return s;
    return std::string("0123456789abcdef0123456789abcdef");
  }
  void TurnBootOn() { boot_on_ = true; }
  const std::string& kernel() const { return *kernel_; }

  void SetProgress(double progress) {
    std::lock_guard lock(mu_);
    state_["nodes"][0]["progress"] = progress;
  }
  /// The next action is refused with this message.
  void RefuseNext(const std::string& message) {
    std::lock_guard lock(mu_);
    refusal_ = message;
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

  static json InitialState() {
    return {{"session", {{"image", "win2022.fcimg"}}},
            {"nodes",
             {{{"node", "SQL01"},
               {"hostname", "sql01"},
               {"state", "receiving"},
               {"progress", 0.25},
               {"mbps", 95.5},
               {"loss", 0.01},
               {"seconds", 42},
               {"reason", ""},
               {"group", "db"},
               {"boot_order", 1}}}},
            {"groups", {{{"name", "db"}, {"waiting_for", json::array()}, {"held", false}}}},
            {"totals", {{"nodes", 1}, {"done", 0}}}};
  }

 private:
  Status Record(const std::string& call) {
    std::lock_guard lock(mu_);
    if (refusal_) {
      Status s = Status::InvalidArgument(*refusal_);
      refusal_.reset();
      return s;
    }
    calls_.push_back(call);
    return Status::OK();
  }

  std::mutex mu_;
  json state_ = InitialState();
  std::optional<std::string> refusal_;
  std::vector<std::string> calls_;
  std::atomic<bool> boot_on_{false};
  // Bigger than a socket buffer, with no repeating pattern a bug could hide in.
  std::shared_ptr<const std::string> kernel_ = [] {
    std::string data(3 << 20, '\0');
    uint32_t x = 1;
    for (char& c : data) c = static_cast<char>((x = x * 1664525 + 1013904223) >> 24);
    return std::make_shared<const std::string>(std::move(data));
  }();
};

using Response = http::response<http::string_body>;
using Headers = std::vector<std::pair<http::field, std::string>>;

// One connection to the server; every call returns when its operation
// completes or fails the test at the deadline.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    EXPECT_FALSE(Await([&](const Done& done) { socket_.async_connect(at, done); }));
  }

  Response Send(http::verb method, const std::string& target, const Headers& headers = {},
                std::string body = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [field, value] : headers) req.set(field, value);
    req.body() = std::move(body);
    req.prepare_payload();
    beast::error_code ec = Await([&](const Done& done) {
      http::async_write(socket_, req, [done](beast::error_code e, size_t) { done(e); });
    });
    EXPECT_FALSE(ec) << "write: " << ec.message();
    Response res;
    ec = Await([&](const Done& done) {
      http::async_read(socket_, buffer_, res, [done](beast::error_code e, size_t) { done(e); });
    });
    EXPECT_FALSE(ec) << "read: " << ec.message();
    return res;
  }
  Response Get(const std::string& target) { return Send(http::verb::get, target); }
  Response Post(const std::string& target, const std::string& token = kOperatorToken) {
    Headers headers;
    if (!token.empty()) headers.emplace_back(http::field::authorization, "Bearer " + token);
    return Send(http::verb::post, target, headers);
  }

  /// Sends `text` as is (for the event stream, read raw below).
  void WriteRaw(const std::string& text) {
    const beast::error_code ec = Await([&](const Done& done) {
      asio::async_write(socket_, asio::buffer(text),
                        [done](beast::error_code e, size_t) { done(e); });
    });
    EXPECT_FALSE(ec) << "write: " << ec.message();
  }
  /// Everything up to and including `delimiter`; an error at the end.
  beast::error_code ReadUntil(const std::string& delimiter, std::string* out) {
    size_t length = 0;
    const beast::error_code ec = Await([&](const Done& done) {
      asio::async_read_until(socket_, asio::dynamic_buffer(raw_), delimiter,
                             [done, &length](beast::error_code e, size_t n) {
                               length = n;
                               done(e);
                             });
    });
    if (!ec) {
      *out = raw_.substr(0, length);
      raw_.erase(0, length);
    }
    return ec;
  }
  /// The JSON of the next server-sent event.
  json NextEvent() {
    std::string event;
    const beast::error_code ec = ReadUntil("\n\n", &event);
    EXPECT_FALSE(ec) << "event: " << ec.message();
    if (ec || event.rfind("data: ", 0) != 0) return nullptr;
    return json::parse(event.substr(6));
  }

 private:
  using Done = std::function<void(beast::error_code)>;

  // Starts an operation and runs until it completes, or closes the socket at
  // the deadline (the aborted handler then runs too).
  beast::error_code Await(const std::function<void(const Done&)>& start) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec) { result = ec; });
    io_.restart();
    io_.run_for(kDeadline);
    if (result) return *result;
    beast::error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();
    return asio::error::timed_out;
  }

  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string raw_;
};

class StatusHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_logger_ = spdlog::default_logger();
    log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", log_));
    server_ = std::make_unique<StatusHttpServer>(
        io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), &current_, kOperatorToken);
    thread_ = std::thread([this] {
      io_.run();
      ran_out_.set_value();
    });
  }

  void TearDown() override {
    server_->Stop();
    if (ran_out_.get_future().wait_for(kDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "io_context still busy after Stop";
      io_.stop();
    }
    thread_.join();
    server_.reset();
    spdlog::set_default_logger(previous_logger_);
  }

  std::unique_ptr<Client> Connect() { return std::make_unique<Client>(server_->port()); }
  std::string Log() const {
    std::string all;
    for (const std::string& line : log_->last_formatted()) all += line;
    return all;
  }

  /// Connects to /api/events and reads the response header.
  std::unique_ptr<Client> Subscribe(std::string* header) {
    auto client = Connect();
    client->WriteRaw("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_FALSE(client->ReadUntil("\r\n\r\n", header));
    return client;
  }

  FakeSource source_;
  CurrentStatus current_{&source_};  // as serve has it: holds a netcheck's result
  asio::io_context io_;
  std::unique_ptr<StatusHttpServer> server_;
  std::thread thread_;
  std::promise<void> ran_out_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
};

// ---------------------------------------------------------------------------
// Reading.

TEST_F(StatusHttpTest, PageIsHtmlWithTheNodeTableAndButtons) {
  const Response res = Connect()->Get("/");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(res.body().find("<table id=\"nodes\">"), std::string::npos);
  EXPECT_NE(res.body().find("id=\"start-now\""), std::string::npos);
  EXPECT_NE(res.body().find("Reused / written</th>"), std::string::npos);
  EXPECT_NE(res.body().find("n.chunks_reused + ' / ' + n.chunks_written"), std::string::npos);
  EXPECT_NE(res.body().find("new EventSource('/api/events')"), std::string::npos);
  EXPECT_EQ(res.body().find("://"), std::string::npos) << "the page loads nothing external";
}

TEST_F(StatusHttpTest, StateIsTheSnapshotAsJson) {
  const Response res = Connect()->Get("/api/state");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(json::parse(res.body()), FakeSource::InitialState());
}

TEST_F(StatusHttpTest, MetricsArePrometheusText) {
  const Response res = Connect()->Get("/metrics");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), "fleetcast_nodes_done 3\n");
}

netcheck::Netcheck TwoReceiverCheck() {
  netcheck::Netcheck c;
  c.steps = {{10'000'000, 10'000'000, 1472, false}, {20'000'000, 19'000'000, 1472, false}};
  c.duration_s = 1;
  netcheck::StepStats clean;
  clean.sent = 1000;
  clean.received = 1000;
  netcheck::StepStats lossy = clean;
  lossy.received = 900;
  c.receivers = {{"rcv1", {clean, lossy}}, {"rcv2", {clean, clean}}};
  return c;
}

TEST_F(StatusHttpTest, NetcheckPlotIsNotFoundBeforeACheck) {
  auto client = Connect();
  const Response res = client->Get("/netcheck.svg");
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(json::parse(res.body())["error"], "no netcheck ran; start serve with --netcheck");
  EXPECT_FALSE(json::parse(client->Get("/api/state").body()).contains("netcheck"));
}

TEST_F(StatusHttpTest, NetcheckPlotTableAndJsonAfterTheCheck) {
  const netcheck::Netcheck check = TwoReceiverCheck();
  current_.SetNetcheck(check);
  auto client = Connect();
  const Response svg = client->Get("/netcheck.svg");
  EXPECT_EQ(svg.result(), http::status::ok);
  EXPECT_EQ(svg[http::field::content_type], "image/svg+xml");
  EXPECT_EQ(svg.body(), netcheck::SvgPlot(check));
  const json state = json::parse(client->Get("/api/state").body());
  EXPECT_EQ(state["netcheck"], json::parse(netcheck::JsonText(check)));
  EXPECT_EQ(state["netcheck_table"], netcheck::TableText(check));
  EXPECT_EQ(state["nodes"], FakeSource::InitialState()["nodes"]);  // the deployment's, as before
  const std::string page = client->Get("/").body();
  EXPECT_NE(page.find("<img id=\"netcheck-plot\""), std::string::npos);
  EXPECT_NE(page.find("$('#netcheck-plot').src = '/netcheck.svg'"), std::string::npos);
}

TEST_F(StatusHttpTest, ConnectionServesRequestsInTurn) {
  auto client = Connect();
  EXPECT_EQ(client->Get("/metrics").result(), http::status::ok);
  EXPECT_EQ(client->Get("/api/state").result(), http::status::ok);
}

// ---------------------------------------------------------------------------
// Live updates.

TEST_F(StatusHttpTest, EventsSendTheStateOnConnectAndOnNotify) {
  std::string header;
  auto client = Subscribe(&header);
  EXPECT_EQ(header.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << header;
  EXPECT_NE(header.find("Content-Type: text/event-stream\r\n"), std::string::npos) << header;
  EXPECT_EQ(client->NextEvent(), FakeSource::InitialState());

  source_.SetProgress(0.75);
  server_->Notify();
  const json second = client->NextEvent();
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(second["nodes"][0]["progress"], 0.75);
}

TEST_F(StatusHttpTest, NotifyBurstIsCoalescedAndEndsWithTheLatestState) {
  std::string header;
  auto client = Subscribe(&header);
  client->NextEvent();
  constexpr int kBurst = 200;
  for (int i = 1; i <= kBurst; ++i) {
    source_.SetProgress(i / double{kBurst});
    server_->Notify();
  }
  int events = 0;
  json last;
  while (!HasFailure() && last["nodes"][0]["progress"] != 1.0) {
    last = client->NextEvent();
    ++events;
  }
  EXPECT_LT(events, kBurst);
}

TEST_F(StatusHttpTest, EveryEventStreamGetsTheUpdate) {
  std::string header;
  auto a = Subscribe(&header);
  auto b = Subscribe(&header);
  a->NextEvent();
  b->NextEvent();
  source_.SetProgress(0.5);
  server_->Notify();
  EXPECT_EQ(a->NextEvent()["nodes"][0]["progress"], 0.5);
  EXPECT_EQ(b->NextEvent()["nodes"][0]["progress"], 0.5);
}

TEST_F(StatusHttpTest, ClosedEventStreamDoesNotStopTheOthers) {
  std::string header;
  auto gone = Subscribe(&header);
  auto stays = Subscribe(&header);
  gone->NextEvent();
  stays->NextEvent();
  gone.reset();
  for (const double progress : {0.5, 0.6}) {
    source_.SetProgress(progress);
    server_->Notify();
    EXPECT_EQ(stays->NextEvent()["nodes"][0]["progress"], progress);
  }
}

TEST_F(StatusHttpTest, StopEndsEventStreams) {
  std::string header;
  auto client = Subscribe(&header);
  client->NextEvent();
  server_->Stop();
  std::string rest;
  EXPECT_EQ(client->ReadUntil("\n\n", &rest), asio::error::eof);
}

// ---------------------------------------------------------------------------
// Operator actions.

TEST_F(StatusHttpTest, ActionWithoutTokenIsRefusedAndLogged) {
  const Response res = Connect()->Post("/api/start-now", "");
  EXPECT_EQ(res.result(), http::status::unauthorized);
  EXPECT_EQ(json::parse(res.body())["error"],
            "operator token missing or wrong; send Authorization: Bearer <operator token>");
  EXPECT_EQ(res[http::field::www_authenticate], "Bearer");
  EXPECT_TRUE(source_.calls().empty());
  EXPECT_NE(Log().find("POST /api/start-now from 127.0.0.1 refused: no operator token"),
            std::string::npos)
      << Log();
}

TEST_F(StatusHttpTest, ActionWithWrongTokenIsRefusedAndNoTokenIsLogged) {
  const std::string wrong = std::string(kOperatorToken) + "x";
  const Response res = Connect()->Post("/api/nodes/SQL01/release", wrong);
  EXPECT_EQ(res.result(), http::status::unauthorized);
  EXPECT_TRUE(source_.calls().empty());
  EXPECT_NE(Log().find("refused: wrong operator token"), std::string::npos) << Log();
  EXPECT_EQ(Log().find(kOperatorToken), std::string::npos) << Log();
}

TEST_F(StatusHttpTest, BearerSchemeIsCaseInsensitive) {
  const Response res =
      Connect()->Send(http::verb::post, "/api/start-now",
                      {{http::field::authorization, std::string("bearer ") + kOperatorToken}});
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(source_.calls(), std::vector<std::string>{"start-now"});
}

TEST_F(StatusHttpTest, NodeTokenIsNotAnOperatorToken) {
  EXPECT_EQ(Connect()->Post("/api/start-now", kNodeToken).result(), http::status::unauthorized);
  EXPECT_TRUE(source_.calls().empty());
}

TEST_F(StatusHttpTest, StartNowWithTokenCallsTheSource) {
  const Response res = Connect()->Post("/api/start-now");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(json::parse(res.body()), json({{"ok", true}}));
  EXPECT_EQ(source_.calls(), std::vector<std::string>{"start-now"});
}

TEST_F(StatusHttpTest, HoldAndReleaseHoldNameTheGroup) {
  auto client = Connect();
  EXPECT_EQ(client->Post("/api/groups/rack%202/hold").result(), http::status::ok);
  EXPECT_EQ(client->Post("/api/groups/db/release-hold").result(), http::status::ok);
  EXPECT_EQ(source_.calls(), (std::vector<std::string>{"hold rack 2", "unhold db"}));
}

TEST_F(StatusHttpTest, ReleaseNamesTheNode) {
  EXPECT_EQ(Connect()->Post("/api/nodes/SQL01/release").result(), http::status::ok);
  EXPECT_EQ(source_.calls(), std::vector<std::string>{"release SQL01"});
}

// An install token is an operator action: it lets a machine claim a node.
TEST_F(StatusHttpTest, InstallTokenNeedsTheOperatorAndServeTokens) {
  auto client = Connect();
  const Response off = client->Post("/api/nodes/SQL01/token");
  EXPECT_EQ(off.result(), http::status::not_found);
  EXPECT_EQ(json::parse(off.body())["error"],
            "this server hands out no install tokens; start serve with --tokens");
  source_.TurnBootOn();
  EXPECT_EQ(client->Post("/api/nodes/SQL01/token", kNodeToken).result(),
            http::status::unauthorized);
  const Response res = client->Post("/api/nodes/SQL01/token");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(json::parse(res.body()),
            (json{{"node", "SQL01"}, {"token", "0123456789abcdef0123456789abcdef"}}));
  EXPECT_EQ(source_.calls(), std::vector<std::string>{"token SQL01"});
}

TEST_F(StatusHttpTest, RefusedActionCarriesTheSourcesMessage) {
  source_.RefuseNext("db: no such group; see the inventory's groups");
  const Response res = Connect()->Post("/api/groups/db/hold");
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_EQ(json::parse(res.body())["error"], "db: no such group; see the inventory's groups");
}

// ---------------------------------------------------------------------------
// A node's call back.

TEST_F(StatusHttpTest, NodeUpWithItsTokenIsAccepted) {
  const Response res = Connect()->Post(std::string("/api/nodes/SQL01/up?token=") + kNodeToken, "");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(source_.calls(), std::vector<std::string>{"up SQL01"});
}

TEST_F(StatusHttpTest, NodeUpWithAWrongOrNoTokenIsForbidden) {
  auto client = Connect();
  const Response wrong = client->Post("/api/nodes/SQL01/up?token=guess", "");
  EXPECT_EQ(wrong.result(), http::status::forbidden);
  EXPECT_EQ(json::parse(wrong.body())["error"], "SQL01: wrong node token");
  EXPECT_EQ(client->Post("/api/nodes/SQL01/up", "").result(), http::status::forbidden);
  EXPECT_TRUE(source_.calls().empty());
}

// ---------------------------------------------------------------------------
// Network boot: scripts and files for firmware, which has no token.

TEST_F(StatusHttpTest, NetworkBootIsOffUnlessTheSourceServesIt) {
  const Response res = Connect()->Get("/boot.ipxe");
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(json::parse(res.body())["error"], "network boot is off; start serve with --boot-dir");
}

TEST_F(StatusHttpTest, BootScriptsAreTextForEveryMachine) {
  source_.TurnBootOn();
  auto client = Connect();
  const Response chain = client->Get("/boot.ipxe");
  EXPECT_EQ(chain.result(), http::status::ok);
  EXPECT_EQ(chain[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(chain.body(), "#!ipxe\nchain /boot/${netX/mac}\n");
  EXPECT_EQ(client->Get("/boot/52:54:00:00:00:01").body(), "#!ipxe\n# 52:54:00:00:00:01\n");
  EXPECT_EQ(client->Post("/boot.ipxe", "").result(), http::status::method_not_allowed);
}

TEST_F(StatusHttpTest, BootFilesAreServedWholeAndTheConnectionGoesOn) {
  source_.TurnBootOn();
  auto client = Connect();
  const Response kernel = client->Get("/boot/files/vmlinuz");
  EXPECT_EQ(kernel.result(), http::status::ok);
  EXPECT_EQ(kernel[http::field::content_type], "application/octet-stream");
  EXPECT_TRUE(kernel.body() == source_.kernel()) << kernel.body().size() << " bytes";
  EXPECT_EQ(client->Get("/boot/files/initrd.img").result(), http::status::not_found);
  EXPECT_EQ(client->Get("/api/state").result(), http::status::ok);
}

// Requests that are not understood.

TEST_F(StatusHttpTest, UnknownPathIsNotFound) {
  auto client = Connect();
  EXPECT_EQ(client->Get("/nope").result(), http::status::not_found);
  EXPECT_EQ(client->Get("/api/state/").result(), http::status::not_found);
  EXPECT_EQ(client->Post("/api/groups//hold").result(), http::status::not_found);
  EXPECT_EQ(client->Post("/api/nodes/SQL01/explode").result(), http::status::not_found);
  EXPECT_EQ(client->Get("/api/nodes/%zz/release").result(), http::status::not_found);
}

TEST_F(StatusHttpTest, WrongMethodIsNotAllowed) {
  auto client = Connect();
  const Response post = client->Post("/api/state");
  EXPECT_EQ(post.result(), http::status::method_not_allowed);
  EXPECT_EQ(post[http::field::allow], "GET");
  const Response get = client->Get("/api/start-now");
  EXPECT_EQ(get.result(), http::status::method_not_allowed);
  EXPECT_EQ(get[http::field::allow], "POST");
  EXPECT_TRUE(source_.calls().empty());
}

TEST_F(StatusHttpTest, OversizedBodyIsRefusedUnread) {
  const std::string body(StatusHttpServer::kMaxBodyBytes + 1, 'x');
  const Response res = Connect()->Send(
      http::verb::post, "/api/start-now",
      {{http::field::authorization, std::string("Bearer ") + kOperatorToken}}, body);
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_EQ(json::parse(res.body())["error"], "request body over 64 KiB");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(source_.calls().empty());
}

}  // namespace
}  // namespace fleetcast
