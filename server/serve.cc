#include "server/serve.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "core/answer_set.h"
#include "core/digest.h"
#include "core/fec_layout.h"
#include "core/host_port.h"
#include "core/mtu_check.h"
#include "core/signing.h"
#include "core/wire_format.h"
#include "platform/asio.h"
#include "platform/interface_mtu.h"
#include "platform/key_files.h"
#include "platform/net.h"
#include "platform/progress_line.h"
#include "server/announcer.h"
#include "server/boot_media.h"
#include "server/control_server.h"
#include "server/current_status.h"
#include "server/deployment.h"
#include "server/deployment_status.h"
#include "server/identity_builder.h"
#include "server/image_reader.h"
#include "server/netcheck.h"
#include "server/orchestrator.h"
#include "server/probe.h"
#include "server/status_http.h"
#include "server/stop_on_signal.h"
#include "server/stream_sender.h"

namespace fleetcast {

namespace {

namespace asio = boost::asio;

Status CheckOptions(const ServeOptions& o, IpAddress* group) {
  if (o.tokens && o.nodes.empty()) {
    return Status::InvalidArgument(
        "--tokens: tokens are per inventory node; add --nodes nodes.toml");
  }
  Result<IpAddress> parsed = ParseMulticastGroup("--group", o.group);
  if (!parsed.ok()) return parsed.status();
  *group = *parsed;
  if (!o.announce.empty()) {
    Result<announce::Endpoint> at = announce::ParseEndpoint(o.announce);
    if (!at.ok()) return at.status();
  }
  if (group->is_v6() && o.mtu < 1280) {
    return Status::InvalidArgument("--mtu " + std::to_string(o.mtu) +
                                   ": IPv6 links carry at least 1280; use 1280..9216");
  }
  if (o.max_data_shards < 1 || o.max_data_shards >= fec::kMaxShardsPerBlock) {
    return Status::InvalidArgument("--fec-block " + std::to_string(o.max_data_shards) +
                                   ": use 1..254");
  }
  if (o.mtu < 576 || o.mtu > 9216) {
    return Status::InvalidArgument("--mtu " + std::to_string(o.mtu) + ": use 576..9216");
  }
  if (o.deployments != 1 && !o.nodes.empty()) {
    return Status::InvalidArgument("--deployments " + std::to_string(o.deployments) +
                                   ": not with --nodes (its state deploys each node once); "
                                   "use --deployments 1, or leave out --nodes");
  }
  if (o.on_release != "exit" && o.on_release != "reboot" && o.on_release != "poweroff") {
    return Status::InvalidArgument("--on-release " + o.on_release +
                                   ": use exit, reboot or poweroff");
  }
  return Status::OK();
}

// `label` ("deployment 2 of 10", or "") leads the first line.
void PrintSummary(const Deployment& deployment, const ImageReader& image, double seconds,
                  const std::string& label) {
  const double mb = static_cast<double>(image.table().raw_size()) / 1e6;
  const std::vector<Deployment::ClientView> clients = deployment.Clients();
  const auto verified = static_cast<size_t>(std::count_if(
      clients.begin(), clients.end(), [](const Deployment::ClientView& c) { return c.done; }));
  // "3 nodes", or "2 of 3 nodes" when one failed or left.
  std::string count = std::to_string(verified);
  if (verified != clients.size()) count += " of " + std::to_string(clients.size());
  std::printf("%sdeployed %s to %s nodes in %.2f s (%.1f MB/s of raw image per node)\n",
              label.empty() ? "" : (label + ": ").c_str(), image.path().c_str(), count.c_str(),
              seconds, mb / seconds);
  for (const Deployment::ClientView& c : clients) {
    const std::string state = c.done              ? "verified"
                              : !c.failed.empty() ? "failed: " + c.failed
                              : c.connected       ? "incomplete"
                                                  : "gone";
    std::printf("  %-20s %s  xxh3-128:%s  reused %llu  written %llu  forged %llu\n", c.node.c_str(),
                state.c_str(), c.digest.empty() ? "-" : c.digest.c_str(),
                static_cast<unsigned long long>(c.reused),
                static_cast<unsigned long long>(c.written),
                static_cast<unsigned long long>(c.forged));
  }
}

}  // namespace

Result<uint64_t> ParseRate(const std::string& text) {
  if (text == "unlimited" || text == "0") return uint64_t{0};
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit == "g" || unit == "G") scale = 1e9;
  if (unit == "m" || unit == "M") scale = 1e6;
  if (unit == "k" || unit == "K") scale = 1e3;
  if (used == 0 || scale == 0 || v <= 0) {
    return Status::InvalidArgument("--rate " + text + ": use e.g. 1g, 500m or unlimited");
  }
  return static_cast<uint64_t>(v * scale);
}

namespace {

// Every node's identity, built before serving so a bad catalog fails up front;
// found by MAC, or by hostname for clients started with --node NAME.
using Identities = std::map<std::string, control::Identity>;

// Each node's call back carries its own token, so no node can report
// another up.
Result<Identities> BuildIdentities(const LoadedInventory& loaded, uint16_t http_port,
                                   const std::string& address, const Orchestrator& orchestrator) {
  Identities out;
  for (const NodeSpec& node : loaded.inventory.nodes) {
    const std::string url =
        CallbackUrl(address, http_port, node.mac) + "?token=" + orchestrator.NodeToken(node);
    Result<control::Identity> identity = BuildIdentity(loaded, node, url);
    if (!identity.ok()) return identity.status().Prefixed("node " + node.hostname);
    out[node.mac] = *identity;
    out[LowerAscii(node.hostname)] = std::move(*identity);
  }
  return out;
}

// The state file sits beside the inventory: nodes.toml -> nodes.state.
std::string StatePath(const ServeOptions& options) {
  if (!options.state.empty()) return options.state;
  std::filesystem::path path(options.nodes);
  return path.replace_extension(".state").string();
}

std::string FileDigest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const Bytes bytes{std::istreambuf_iterator<char>(in), {}};
  return Xxh3_128(bytes).ToHex();
}

// With `tokens`, a node's identity (and the next token) goes only to the
// connection whose token redeems.
IdentityLookup LookupIn(const Identities* identities, const std::string& nodes_path,
                        Orchestrator* tokens) {
  if (identities->empty()) return {};
  return [identities, nodes_path, tokens](
             const std::string& node, const std::string& token, const std::string& peer,
             const std::string&) -> Result<std::optional<control::Identity>> {
    auto it = identities->find(NormalizeMac(node).value_or(LowerAscii(node)));
    if (it == identities->end()) {
      return Status::NotFound("node " + node + " is not in " + nodes_path +
                              "; add it there, or start the client with --node <its MAC>");
    }
    control::Identity identity = it->second;
    if (tokens != nullptr) {
      Result<std::string> next = tokens->RedeemInstallToken(node, token, peer);
      if (!next.ok()) return next.status();
      identity.next_token = std::move(next).value();
    }
    return std::optional<control::Identity>(std::move(identity));
  };
}

// The key the control plane proves: --key's, or a new one for this run.
Result<sign::SecretKey> ServerKey(const ServeOptions& options) {
  if (!options.key.empty()) return LoadSecretKey(options.key);
  if (sodium_init() < 0) return Status::IOError("libsodium: cannot initialise");
  sign::SecretKey key;
  sign::PublicKey unused;
  crypto_sign_keypair(unused.data(), key.data());
  return key;
}

// The inventory side of serve: the probed nodes, their orchestrator, and the
// identities they are given.
struct InventoryRun {
  std::unique_ptr<LoadedInventory> loaded;  // on the heap: the orchestrator points into it
  std::unique_ptr<Orchestrator> orchestrator;
  Identities identities;
};

Result<InventoryRun> StartInventory(const ServeOptions& options, const ImageReader& image,
                                    Deployment* deployment, const std::string& address) {
  InventoryRun run;
  if (options.nodes.empty()) return run;
  ProbeOptions probe;
  probe.nodes = options.nodes;
  probe.secrets = options.secrets;
  probe.image = options.image;
  Result<LoadedInventory> loaded = ProbeInventory(probe);
  if (!loaded.ok()) return loaded.status();
  run.loaded = std::make_unique<LoadedInventory>(std::move(*loaded));
  OrchestratorOptions o;
  o.state_path = StatePath(options);
  o.fresh_state = options.fresh_state;
  o.on_release = options.on_release;
  o.standalone_together = options.standalone_together;
  o.image_digest = image.manifest().image_digest.ToHex();
  o.inventory_digest = FileDigest(options.nodes);
  o.image_bytes = image.table().raw_size();
  o.stored_chunks = image.table().stored_count();
  Result<std::unique_ptr<Orchestrator>> orchestrator =
      Orchestrator::Create(run.loaded.get(), deployment, o);
  if (!orchestrator.ok()) return orchestrator.status();
  run.orchestrator = std::move(*orchestrator);
  Result<std::pair<std::string, uint16_t>> http = ParseHttpAddress(options.http);
  if (!http.ok()) return http.status();
  if (http->second == 0) {
    return Status::InvalidArgument("--http " + options.http +
                                   ": nodes call back on this port; give a fixed one");
  }
  Result<Identities> identities =
      BuildIdentities(*run.loaded, http->second, address, *run.orchestrator);
  if (!identities.ok()) return identities.status();
  run.identities = std::move(*identities);
  spdlog::info("{}: {} nodes probed, all well; state in {}", options.nodes,
               run.loaded->inventory.nodes.size(), o.state_path);
  return run;
}

// Runs `tick` a few times a second until stopped: the orchestrator's step
// and the status page's live update.
class Ticker {
 public:
  explicit Ticker(std::function<void()> tick) : tick_(std::move(tick)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Ticker() { Stop(); }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  /// Waits at most `timeout` or until stopped.
  void Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return stopped_; });
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopped_) {
      lock.unlock();
      tick_();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopped_; });
    }
  }

  std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

// After the copy: with an inventory, until nothing more happens without an
// operator (or Ctrl-C); without one, every client is released at once.
void FinishReleases(const ServeOptions& options, Deployment& deployment, Orchestrator* orchestrator,
                    Ticker& ticker, const std::atomic<bool>& stop) {
  if (orchestrator == nullptr) {
    deployment.ReleaseAll(options.on_release);
  } else {
    while (!stop && !orchestrator->Settled()) ticker.Wait(std::chrono::milliseconds(250));
  }
  // Let the releases go out and the clients hang up, boundedly.
  deployment.WaitForHangUps(std::chrono::seconds(2));
}

struct HttpServers {
  std::vector<std::unique_ptr<StatusHttpServer>> servers;
};

std::string RandomToken() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string out;
  char hex[3];
  for (const unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

// The status page and API on --http; nodes that call back reach the server
// on its serving interface, so with an inventory and a loopback --http the
// same port is opened there too (actions still need the operator token).
Result<HttpServers> StartHttp(asio::io_context& io, const ServeOptions& options,
                              StatusSource* status, const std::string& interface_address,
                              bool nodes_connect) {
  Result<std::pair<std::string, uint16_t>> at = ParseHttpAddress(options.http);
  if (!at.ok()) return at.status();
  if (sodium_init() < 0) return Status::IOError("libsodium: cannot initialise");
  const std::string token = options.http_token.empty() ? RandomToken() : options.http_token;
  std::vector<std::string> addresses = {at->first};
  const auto host = asio::ip::make_address(at->first);
  if (nodes_connect && host.is_loopback() && interface_address != at->first) {
    addresses.push_back(interface_address);
  }
  HttpServers out;
  for (const std::string& a : addresses) {
    try {
      out.servers.push_back(std::make_unique<StatusHttpServer>(
          io, asio::ip::tcp::endpoint(asio::ip::make_address(a), at->second), status, token));
    } catch (const boost::system::system_error& e) {
      return Status::IOError("--http " + JoinHostPort(a, at->second) + ": " + e.code().message() +
                             "; choose another --http address or port");
    }
  }
  spdlog::info("status page: http://{}/ (operator token {})",
               JoinHostPort(at->first, out.servers.front()->port()), token);
  return out;
}

// Network boot: the kernel and initramfs, and scripts that point at this
// server as the nodes reach it (the interface address, the HTTP port).
Result<std::unique_ptr<BootMedia>> LoadBootMedia(const ServeOptions& options,
                                                 const std::string& address) {
  if (options.boot_dir.empty()) return std::unique_ptr<BootMedia>();
  Result<std::pair<std::string, uint16_t>> http = ParseHttpAddress(options.http);
  if (!http.ok()) return http.status();
  if (http->second == 0) {
    return Status::InvalidArgument("--http " + options.http +
                                   ": machines boot from this port; give a fixed one");
  }
  BootMediaOptions o{.dir = options.boot_dir,
                     .http_base = "http://" + address + ":" + std::to_string(http->second),
                     .server = address + ":" + std::to_string(options.port),
                     .extra_args = options.boot_args};
  Result<std::unique_ptr<BootMedia>> media = BootMedia::Load(o);
  if (media.ok()) spdlog::info("network boot: {}/boot.ipxe", o.http_base);
  return media;
}

Status WriteReport(const ServeOptions& options, const Orchestrator& orchestrator) {
  std::printf("%s", orchestrator.ReportText().c_str());
  std::filesystem::path path(StatePath(options));
  path.replace_extension(".report.json");
  std::ofstream out(path);
  out << orchestrator.ReportJson().dump(2) << "\n";
  if (!out) return Status::IOError(path.string() + ": cannot write the report");
  std::printf("report: %s\n", path.c_str());
  return Status::OK();
}

// One deployment's own state: its session, its clients, its stream and what
// the status page shows of them. serve --deployments makes one after another
// on the same sockets; everything here is freed when the next one starts.
struct DeploymentRun {
  uint32_t number = 1;  // 1-based, of ServeOptions::deployments
  control::Session session;
  std::unique_ptr<Deployment> deployment;
  std::unique_ptr<StreamSender> sender;
  std::unique_ptr<DeploymentStatus> status;
};

// "deployment 2 of 10" ("deployment 2" until interrupted); "" for a serve of
// one deployment, whose lines stay as they always were.
std::string DeploymentLabel(const ServeOptions& options, uint32_t number) {
  if (options.deployments == 1) return "";
  std::string label = "deployment " + std::to_string(number);
  if (options.deployments == 0) return label;
  return label + " of " + std::to_string(options.deployments);
}

// The IP and UDP headers of each datagram: an IPv6 one's are 20 bytes more,
// which a shard gives up to fit the same MTU.
uint32_t IpUdpOverhead(const ServeOptions& options) {
  const std::optional<IpAddress> group = IpAddress::Parse(options.group);  // checked at start
  return group && group->is_v6() ? wire::kIp6UdpOverhead : wire::kIpUdpOverhead;
}

// The serving interface's address of the group's IP version.
Result<IpAddress> ServingAddress(const ServeOptions& options, const IpAddress& group) {
  Result<IpAddress> address = InterfaceAddress(options.interface, group.family());
  if (address.ok() || !group.is_v6() || address.status().code() != Status::Code::kNotFound) {
    return address;
  }
  return Status::NotFound("--interface " + options.interface + ": no IPv6 address for --group " +
                          options.group +
                          "; give the interface one (ip -6 addr add), or use an IPv4 --group");
}

// Where to announce: --announce, but a serve of an IPv6 group left at the
// default announces on the IPv6 default group, which its clients can join.
std::string AnnounceEndpoint(const ServeOptions& options, const IpAddress& group) {
  if (!group.is_v6() || options.announce != announce::Endpoint().ToString()) {
    return options.announce;
  }
  return announce::Endpoint{announce::kDefaultGroup6, announce::kDefaultPort}.ToString();
}

// A session and its deployment; the session id differs from the last one's,
// so that a straggling datagram of the last deployment is rejected.
std::unique_ptr<DeploymentRun> NewDeployment(const ServeOptions& options, const ImageReader& image,
                                             uint32_t number, uint32_t last_session) {
  auto run = std::make_unique<DeploymentRun>();
  run->number = number;
  control::Session& session = run->session;
  do {
    session.session = std::random_device{}();
  } while (session.session == last_session);
  session.group = options.group;
  session.port = options.port;
  session.shard_size = wire::ShardSizeForMtu(options.mtu, IpUdpOverhead(options));
  session.max_data_shards = options.max_data_shards;
  image.manifest().EncodeTo(&session.manifest);
  session.data_key = wire::DatagramSeal::NewKey();  // new each deployment
  session.encrypt = options.encrypt;
  run->deployment =
      std::make_unique<Deployment>(image.manifest(), session.shard_size, session.max_data_shards);
  return run;
}

// The stream sender and status source of `run`, once the start policy is known.
void AddStream(DeploymentRun* run, const ServeOptions& options, const ImageReader& image,
               MulticastSender* socket, size_t min_clients, Orchestrator* orchestrator,
               const BootMedia* boot) {
  const std::string label = DeploymentLabel(options, run->number);
  StreamOptions stream;
  stream.session = run->session.session;
  stream.rate_bits = options.rate_bits;
  stream.shard_size = run->session.shard_size;
  stream.ip_udp_overhead = IpUdpOverhead(options);
  stream.data_key = run->session.data_key;
  stream.seal_mode = options.encrypt ? wire::SealMode::kEncrypted : wire::SealMode::kAuthenticated;
  stream.min_clients = min_clients;
  stream.max_wait = options.max_wait;
  stream.label = label.empty() ? "" : label + ", ";
  run->sender = std::make_unique<StreamSender>(image, run->deployment.get(), socket, stream);
  run->status = std::make_unique<DeploymentStatus>(
      run->deployment.get(), orchestrator, run->sender.get(), image.table().raw_size(),
      image.table().stored_count(), image.table().stored_bytes());
  run->status->set_boot_media(boot);
  run->status->set_tokens(options.tokens);
}

// How serve ends. Success: its last deployment finished, or (with
// --deployments 0) an interrupt came between deployments, before any client
// joined the next. Any other interrupt is an error saying how far it got.
Status EndStatus(const ServeOptions& options, const DeploymentRun& run, bool finished,
                 Orchestrator* orchestrator) {
  const bool begun = finished || !run.deployment->Clients().empty();
  if (!finished && (begun || run.number == 1)) {
    return Status::Interrupted(
        "serve interrupted before every node was done; run it again to resume");
  }
  const uint32_t done = finished ? run.number : run.number - 1;
  if (options.deployments != 0 && done < options.deployments) {
    return Status::Interrupted("serve interrupted after " + std::to_string(done) + " of " +
                               std::to_string(options.deployments) + " deployments");
  }
  if (options.deployments != 1) spdlog::info("{} deployments done", done);
  return orchestrator == nullptr ? run.deployment->Failures() : orchestrator->Outcome();
}

// Runs `f` on the io_context's thread and waits for it.
void RunOnIo(asio::io_context& io, const std::function<void()>& f) {
  std::promise<void> done;
  asio::post(io, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace

Result<std::pair<std::string, uint16_t>> ParseHttpAddress(const std::string& text) {
  // Port 0 (any free one) is allowed here, though SplitHostPort refuses
  // it; callers that need a fixed port say so.
  const bool any_port = text.ends_with(":0");
  const std::optional<HostPort> at =
      SplitHostPort(any_port ? text.substr(0, text.size() - 1) + "1" : text);
  if (at && IsIpAddress(at->host)) {
    return std::make_pair(at->host, any_port ? uint16_t{0} : at->port);
  }
  return Status::InvalidArgument("--http " + text +
                                 ": not ADDR:PORT; e.g. 127.0.0.1:8080 or [::1]:8080");
}

Status RunServe(const ServeOptions& options) {
  IpAddress group;
  if (Status s = CheckOptions(options, &group); !s.ok()) return s;
  Result<ImageReader> image = ImageReader::Open(options.image);
  if (!image.ok()) return image.status();
  Result<IpAddress> address = ServingAddress(options, group);
  if (!address.ok()) return address.status();
  // As nodes write it in a URL or HOST:PORT: an IPv6 one bracketed.
  const std::string url_host = UrlHost(address->ToString(false));
  // Jumbo frames end to end: a datagram of --mtu must fit the interface.
  if (Result<uint32_t> mtu = InterfaceMtu(options.interface); mtu.ok()) {
    if (Status s = mtu::CheckServe(options.mtu, options.interface, *mtu); !s.ok()) return s;
  }
  Result<MulticastSender> socket =
      MulticastSender::Open(*address, group, options.port, options.ttl);
  if (!socket.ok()) return socket.status();

  std::unique_ptr<DeploymentRun> run = NewDeployment(options, *image, 1, 0);
  Result<InventoryRun> inventory = StartInventory(options, *image, run->deployment.get(), url_host);
  if (!inventory.ok()) return inventory.status();
  Orchestrator* orchestrator = inventory->orchestrator.get();
  size_t min_clients = options.min_clients;
  // With an inventory: every node still to be released (a restarted server
  // does not wait for nodes it already released).
  if (min_clients == 0) {
    min_clients = orchestrator != nullptr ? std::max<size_t>(orchestrator->PendingNodes(), 1) : 1;
  }
  Result<sign::SecretKey> key = ServerKey(options);
  if (!key.ok()) return key.status();
  const std::string fingerprint = sign::Fingerprint(sign::PublicKeyOf(*key));
  if (options.key.empty()) {
    spdlog::warn(
        "control plane key {} is new for this run, so clients cannot pin it; "
        "pass --key NAME.key (keygen) and give clients NAME.pub with --trust",
        fingerprint);
  } else {
    spdlog::info("control plane key {} ({})", fingerprint, options.key);
  }
  if (orchestrator != nullptr && !options.tokens) {
    spdlog::warn(
        "{}: a node's identity goes to whichever client says its MAC; "
        "pass --tokens to bind it to one-time tokens",
        options.nodes);
  }
  asio::io_context io(1);
  std::unique_ptr<ControlServer> server;
  try {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address->ToString()),
                                           options.port);
    server = std::make_unique<ControlServer>(
        io, endpoint, *key, run->deployment.get(), run->session,
        LookupIn(&inventory->identities, options.nodes, options.tokens ? orchestrator : nullptr));
  } catch (const boost::system::system_error& e) {
    return Status::IOError(JoinHostPort(address->ToString(), options.port) + ": " +
                           e.code().message() + "; choose another --port");
  }
  std::unique_ptr<NetcheckFirst> netcheck;
  if (options.netcheck) {
    NetcheckOptions check;
    check.interface = options.interface;
    check.group = options.group;
    check.port = options.port;
    check.rates = options.netcheck_rates;
    check.duration_s = options.netcheck_duration;
    check.mtu = options.mtu;
    check.min_clients = min_clients;
    check.max_wait = options.max_wait;
    check.ttl = options.ttl;
    netcheck = std::make_unique<NetcheckFirst>(std::move(check));
    server->set_netcheck(netcheck->clients());
  }
  Result<std::unique_ptr<BootMedia>> boot = LoadBootMedia(options, url_host);
  if (!boot.ok()) return boot.status();
  AddStream(run.get(), options, *image, &*socket, min_clients, orchestrator, boot->get());
  CurrentStatus status(run->status.get());
  Result<HttpServers> http = StartHttp(io, options, &status, address->ToString(),
                                       orchestrator != nullptr || *boot != nullptr);
  if (!http.ok()) return http.status();
  const announce::Announce what{
      .server = address->ToString(false),
      .port = options.port,
      .image = announce::ShortImageName(options.image),
      .digest = announce::ShortDigest(image->manifest().image_digest.ToHex()),
      .group = options.group,
      .http_port = http->servers.front()->port()};
  Result<std::unique_ptr<Announcer>> announcer =
      Announcer::Start(AnnounceEndpoint(options, group), options.interface, options.ttl, what);
  if (!announcer.ok()) return announcer.status();
  std::atomic<bool> stop{false};
  asio::signal_set signals(io, SIGINT, SIGTERM);
  // On the io thread, like the swap of `run` between deployments.
  StopOnSignal(&signals, &stop, [&run] { run->deployment->Wake(); });
  std::thread io_thread([&io] { io.run(); });

  Ticker ticker([&] {
    if (orchestrator != nullptr) orchestrator->Tick();
    for (auto& h : http->servers) h->Notify();
  });
  if (netcheck) {
    // The clients it measured stay connected and go on to the deployment.
    Status c = netcheck->Run(&*socket, &stop);
    if (!c.ok() && !stop) spdlog::error("netcheck: {}; deploying anyway", c.message());
    if (netcheck->result() != nullptr) status.SetNetcheck(*netcheck->result());
    for (auto& h : http->servers) h->Notify();
    RunOnIo(io, [&] { server->EndNetcheck(); });
  }
  Status s;
  bool finished = false;
  for (;;) {
    const std::string label = DeploymentLabel(options, run->number);
    spdlog::info(
        "{}serving {} on {} ({}), group {}, session {:08x}, datagrams {} ({} bytes), waiting "
        "for {} clients",
        label.empty() ? "" : label + ": ", options.image, options.interface, address->ToString(),
        JoinHostPort(options.group, options.port), run->session.session,
        options.encrypt ? "encrypted" : "authenticated",
        mtu::DatagramBytes(run->session.shard_size, IpUdpOverhead(options)), min_clients);
    s = run->sender->Run(&stop);
    // The stream cannot go on (a chunk of the image is corrupt): every client
    // hears why and stops, rather than waiting for chunks that never come.
    if (!s.ok()) {
      run->deployment->FailAll(s.message());
      run->deployment->WaitForHangUps(std::chrono::seconds(5));
    }
    // From the first datagram to the last node's verified digest.
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run->sender->started())
            .count();
    finished = run->deployment->Finished();
    if (finished) FinishReleases(options, *run->deployment, orchestrator, ticker, stop);
    if (!s.ok() || !finished) break;
    spdlog::info("sent {} datagrams, {} payload bytes", run->sender->datagrams_sent(),
                 run->sender->bytes_sent());
    PrintSummary(*run->deployment, *image, seconds, label);
    const size_t nodes = run->deployment->Clients().size();
    const bool last = options.deployments != 0 && run->number == options.deployments;
    if (!last && !stop) {
      // The next deployment takes over the sockets; this one's sessions are
      // closed and everything else it held is freed before it is reported.
      std::unique_ptr<DeploymentRun> next =
          NewDeployment(options, *image, run->number + 1, run->session.session);
      AddStream(next.get(), options, *image, &*socket, min_clients, orchestrator, boot->get());
      status.Set(next->status.get());
      RunOnIo(io, [&] {
        server->Restart(next->deployment.get(), next->session);
        run.swap(next);
      });
      next.reset();
      finished = false;  // `run` is the next one now
    }
    if (!label.empty()) {
      spdlog::info("{} finished: {} nodes in {:.2f} s", label, nodes, seconds);
    }
    if (last || stop) break;
  }
  ticker.Stop();
  // The last state reaches open status pages before they are closed.
  for (auto& h : http->servers) h->Flush(std::chrono::seconds(1));
  asio::post(io, [&] {
    server->Stop();
    for (auto& h : http->servers) h->Stop();
    signals.cancel();
  });
  io.stop();
  io_thread.join();
  if (orchestrator != nullptr) {
    if (Status r = WriteReport(options, *orchestrator); !r.ok()) return r;
  }
  if (!s.ok()) return s;
  return EndStatus(options, *run, finished, orchestrator);
}

}  // namespace fleetcast
