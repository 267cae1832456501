#include "server/ctl.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/host_port.h"
#include "server/serve.h"

namespace fleetcast {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Result<std::string> Target(const CtlOptions& o) {
  if (o.action == "start-now") return std::string("/api/start-now");
  if (o.target.empty() && o.action != "start-now") {
    return Status::InvalidArgument("ctl " + o.action + ": name the group or node");
  }
  if (o.action == "hold") return "/api/groups/" + o.target + "/hold";
  if (o.action == "unhold") return "/api/groups/" + o.target + "/release-hold";
  if (o.action == "release") return "/api/nodes/" + o.target + "/release";
  if (o.action == "token") return "/api/nodes/" + o.target + "/token";
  return Status::InvalidArgument("ctl " + o.action +
                                 ": not an action; use start-now, hold, unhold, release or token");
}

// The server's one-line reason from a refused action's JSON body.
std::string Reason(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"];
  return body;
}

}  // namespace

Status RunCtl(const CtlOptions& options) {
  Result<std::string> target = Target(options);
  if (!target.ok()) return target.status();
  Result<std::pair<std::string, uint16_t>> at = ParseHttpAddress(options.http);
  if (!at.ok()) return at.status();
  std::string token = options.token;
  if (const char* env = std::getenv("FLEETCAST_HTTP_TOKEN"); token.empty() && env != nullptr) {
    token = env;
  }
  if (token.empty()) {
    return Status::InvalidArgument(
        "ctl: no operator token; pass --token or set "
        "FLEETCAST_HTTP_TOKEN (serve prints it at start)");
  }
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(tcp::endpoint(boost::asio::ip::make_address(at->first), at->second));
    http::request<http::string_body> request{http::verb::post, *target, 11};
    request.set(http::field::host, JoinHostPort(at->first, at->second));
    request.set(http::field::authorization, "Bearer " + token);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    if (response.result() != http::status::ok) {
      return Status::InvalidArgument("ctl " + options.action + ": " +
                                     std::to_string(response.result_int()) + " " +
                                     Reason(response.body()));
    }
    // `token` prints the node's new one-time token alone, for scripts.
    if (options.action == "token") {
      const nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, false);
      if (!body.is_object() || !body.value("token", nlohmann::json()).is_string()) {
        return Status::IOError("ctl token: the server's answer holds no token");
      }
      std::printf("%s\n", body["token"].get<std::string>().c_str());
      return Status::OK();
    }
  } catch (const boost::system::system_error& e) {
    return Status::IOError("ctl: " + options.http + ": " + e.code().message() +
                           "; is fleetcast-server serve running with this --http?");
  }
  std::printf("%s%s%s: done\n", options.action.c_str(), options.target.empty() ? "" : " ",
              options.target.c_str());
  return Status::OK();
}

}  // namespace fleetcast
