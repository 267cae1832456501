#include "server/netcheck.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "core/host_port.h"
#include "core/netcheck_report.h"
#include "core/netcheck_stats.h"
#include "core/wire_format.h"
#include "platform/asio.h"
#include "platform/interface_mtu.h"
#include "platform/key_files.h"
#include "platform/net.h"
#include "server/announcer.h"
#include "server/control_server.h"
#include "server/netcheck_clients.h"
#include "server/probe_sender.h"
#include "server/serve.h"
#include "server/stop_on_signal.h"

namespace fleetcast {

namespace {

namespace asio = boost::asio;

// Rate steps use the datagrams a deployment sends at MTU 1500.
constexpr uint32_t kStandardMtu = 1500;
constexpr uint64_t kJumboDatagrams = 200;
constexpr auto kReadyTimeout = std::chrono::seconds(10);
constexpr auto kReportTimeout = std::chrono::seconds(10);
// Lets queues on the way drain, so a step does not start behind the last.
constexpr auto kStepGap = std::chrono::milliseconds(200);

Status CheckOptions(const NetcheckOptions& o, IpAddress* group) {
  Result<IpAddress> parsed = ParseMulticastGroup("--group", o.group);
  if (!parsed.ok()) return parsed.status();
  *group = *parsed;
  if (o.mtu < (group->is_v6() ? 1280 : 576) || o.mtu > 9216) {
    return Status::InvalidArgument("--mtu " + std::to_string(o.mtu) + ": use " +
                                   (group->is_v6() ? "1280" : "576") + "..9216");
  }
  if (!(o.duration_s >= 0.1 && o.duration_s <= 600)) {
    char duration[32];
    std::snprintf(duration, sizeof(duration), "%g", o.duration_s);
    return Status::InvalidArgument(std::string("--duration ") + duration +
                                   ": use 0.1..600 seconds per rate");
  }
  if (o.rates.empty()) return Status::InvalidArgument("--rates: give at least one rate");
  if (!o.announce.empty()) {
    Result<announce::Endpoint> at = announce::ParseEndpoint(o.announce);
    if (!at.ok()) return at.status();
  }
  // A jumbo datagram larger than the interface's MTU would be fragmented
  // here and prove nothing about the LAN.
  Result<uint32_t> mtu = InterfaceMtu(o.interface);
  if (o.mtu > kStandardMtu && mtu.ok() && *mtu < o.mtu) {
    return Status::InvalidArgument("--mtu " + std::to_string(o.mtu) + ": " + o.interface +
                                   " has MTU " + std::to_string(*mtu) + "; raise it (ip link set " +
                                   o.interface + " mtu " + std::to_string(o.mtu) +
                                   ") or check with a smaller --mtu");
  }
  return Status::OK();
}

// Announces the check as serve announces a deployment (serve.cc), on the
// IPv6 default group for an IPv6 check left at the default. A check has no
// image: it is named "netcheck", with a digest of zeros, and no status page.
Result<std::unique_ptr<Announcer>> AnnounceCheck(const NetcheckOptions& o, const IpAddress& group,
                                                 const IpAddress& address) {
  std::string endpoint = o.announce;
  if (group.is_v6() && endpoint == announce::Endpoint().ToString()) {
    endpoint = announce::Endpoint{announce::kDefaultGroup6, announce::kDefaultPort}.ToString();
  }
  const announce::Announce what{.server = address.ToString(false),
                                .port = o.port,
                                .image = "netcheck",
                                .digest = std::string(announce::kDigestDigits, '0'),
                                .group = o.group,
                                .http_port = 0};
  return Announcer::Start(endpoint, o.interface, o.ttl, what);
}

Result<sign::SecretKey> ServerKey(const std::string& path) {
  if (!path.empty()) return LoadSecretKey(path);
  if (sodium_init() < 0) return Status::IOError("libsodium: cannot initialise");
  sign::SecretKey key;
  sign::PublicKey unused;
  crypto_sign_keypair(unused.data(), key.data());
  return key;
}

// The steps to run: each rate at standard datagrams, then the jumbo step.
bool IsIpv6(const std::string& group) {
  const std::optional<IpAddress> a = IpAddress::Parse(group);
  return a && a->is_v6();
}

// IPv6's header is 20 bytes longer, so its datagrams are shorter.
std::vector<netcheck::Step> PlanSteps(const NetcheckOptions& o) {
  std::vector<netcheck::Step> steps;
  const uint32_t overhead = IsIpv6(o.group) ? wire::kIp6UdpOverhead : wire::kIpUdpOverhead;
  const uint32_t standard = std::min(o.mtu, kStandardMtu) - overhead;
  for (uint64_t rate : o.rates) steps.push_back({rate, 0, standard, false});
  if (o.mtu > kStandardMtu) steps.push_back({o.rates.front(), 0, o.mtu - overhead, true});
  return steps;
}

ProbeStep HowToSend(const NetcheckOptions& o, const netcheck::Step& step) {
  ProbeStep how;
  how.rate_bits = step.offered_bits;
  how.datagram_bytes = step.datagram_bytes;
  how.wire_overhead = netcheck::WireOverhead(IsIpv6(o.group));
  const double wire_bits = (step.datagram_bytes + how.wire_overhead) * 8.0;
  how.datagrams = step.jumbo ? kJumboDatagrams
                             : std::max<uint64_t>(
                                   1, static_cast<uint64_t>(static_cast<double>(step.offered_bits) *
                                                            o.duration_s / wire_bits));
  // A host too slow for the rate still ends the step, and says what it sent.
  how.time_limit = std::chrono::milliseconds(static_cast<int64_t>(o.duration_s * 2000) + 1000);
  return how;
}

control::Netcheck CheckMessage(const NetcheckOptions& o, const std::vector<netcheck::Step>& steps,
                               uint32_t session, const wire::DataKey& key) {
  control::Netcheck m{session, o.group, o.port, key, {}, {}};
  for (const netcheck::Step& s : steps) {
    m.rates.push_back(s.offered_bits);
    m.sizes.push_back(s.datagram_bytes);
  }
  return m;
}

// Sends every step to the ready clients and collects their reports.
Result<netcheck::Netcheck> SendAndCollect(const NetcheckOptions& o, ProbeSender* sender,
                                          NetcheckClients* clients,
                                          const std::vector<std::string>& ready,
                                          const std::atomic<bool>* stop) {
  netcheck::Netcheck check;
  check.steps = PlanSteps(o);
  check.duration_s = o.duration_s;
  check.mtu = o.mtu;
  check.group = o.group;
  check.port = o.port;
  control::NetcheckEnd end;
  for (uint32_t i = 0; i < check.steps.size() && !stop->load(); ++i) {
    netcheck::Step& step = check.steps[i];
    if (i > 0) std::this_thread::sleep_for(kStepGap);
    Result<ProbeStepSent> sent = sender->SendStep(i, HowToSend(o, step), stop);
    if (!sent.ok()) return sent.status();
    step.sent_bits = sent->rate_bits;
    end.sent.push_back(sent->datagrams);
    spdlog::info("step {} of {}: {}{} offered, {} sent ({} datagrams of {} bytes)", i + 1,
                 check.steps.size(), netcheck::RateWords(step.offered_bits),
                 step.jumbo ? " (jumbo)" : "", netcheck::RateWords(step.sent_bits), sent->datagrams,
                 step.datagram_bytes);
  }
  if (stop->load()) return Status::Interrupted("netcheck interrupted");
  if (Status s = sender->SendEnd(static_cast<uint32_t>(check.steps.size())); !s.ok()) return s;
  clients->Send(ready, end);
  const std::map<std::string, control::NetcheckReport> reports =
      clients->WaitForReports(ready, kReportTimeout, stop);
  for (const std::string& node : ready) {
    auto it = reports.find(node);
    if (it == reports.end()) {
      spdlog::warn("{}: no report (it left, or took longer than {} s)", node,
                   kReportTimeout.count());
      continue;
    }
    check.receivers.push_back({node, it->second.steps, it->second.health});
    check.receivers.back().steps.resize(check.steps.size());
  }
  if (check.receivers.empty()) {
    return Status::IOError("no receiver reported; check that the clients still run");
  }
  return check;
}

Status WriteText(const std::string& path, const std::string& text, const char* option) {
  if (path.empty()) return Status::OK();
  std::ofstream out(path);
  out << text;
  if (!out) {
    return Status::IOError(std::string(option) + " " + path +
                           ": cannot write; check the folder exists and is writable");
  }
  return Status::OK();
}

// Waits for the clients and runs the check; with `release`, releases them.
Result<netcheck::Netcheck> Run(const NetcheckOptions& o, MulticastSender* socket,
                               NetcheckClients* clients, uint32_t session, const wire::DataKey& key,
                               bool release, const std::atomic<bool>* stop) {
  clients->WaitForClients(o.min_clients, o.max_wait, stop);
  if (stop->load()) return Status::Interrupted("netcheck interrupted before it began");
  const std::vector<std::string> ready = clients->WaitForReady(kReadyTimeout, stop);
  if (stop->load()) return Status::Interrupted("netcheck interrupted before it began");
  if (ready.empty()) {
    return Status::IOError(
        "no client joined the test group; check the clients' --interface and their log");
  }
  spdlog::info("{} clients ready: sending the test traffic", ready.size());
  ProbeSender sender(socket, session, key);
  Result<netcheck::Netcheck> check = SendAndCollect(o, &sender, clients, ready, stop);
  if (release) {
    clients->Finish(ready);
    clients->WaitForHangUps(std::chrono::seconds(5));
  }
  return check;
}

Status Print(const NetcheckOptions& options, const netcheck::Netcheck& check) {
  std::fputs(netcheck::TableText(check).c_str(), stdout);
  std::fflush(stdout);
  if (Status s = WriteText(options.json, netcheck::JsonText(check), "--json"); !s.ok()) return s;
  return WriteText(options.svg, netcheck::SvgPlot(check), "--svg");
}

}  // namespace

Result<std::vector<uint64_t>> ParseRates(const std::string& text) {
  std::vector<uint64_t> rates;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string one = text.substr(start, comma - start);
    Result<uint64_t> bits = ParseRate(one);
    if (!bits.ok() || *bits == 0) {
      return Status::InvalidArgument("--rates " + text + ": " + (one.empty() ? "\"\"" : one) +
                                     " is not a rate; use e.g. 100m,500m,1g");
    }
    rates.push_back(*bits);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(rates.begin(), rates.end());
  rates.erase(std::unique(rates.begin(), rates.end()), rates.end());
  return rates;
}

Status RunNetcheck(const NetcheckOptions& options) {
  IpAddress group;
  if (Status s = CheckOptions(options, &group); !s.ok()) return s;
  Result<IpAddress> address = InterfaceAddress(options.interface, group.family());
  if (!address.ok()) return address.status();
  Result<MulticastSender> socket =
      MulticastSender::Open(*address, group, options.port, options.ttl);
  if (!socket.ok()) return socket.status();
  Result<sign::SecretKey> key = ServerKey(options.key);
  if (!key.ok()) return key.status();
  const uint32_t session = randombytes_random();
  const wire::DataKey data_key = wire::DatagramSeal::NewKey();
  NetcheckClients clients(CheckMessage(options, PlanSteps(options), session, data_key));
  asio::io_context io(1);
  std::unique_ptr<ControlServer> server;
  try {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address->ToString()),
                                           options.port);
    server = std::make_unique<ControlServer>(io, endpoint, *key, &clients);
  } catch (const boost::system::system_error& e) {
    return Status::IOError(JoinHostPort(address->ToString(), options.port) + ": " +
                           e.code().message() + "; choose another --port");
  }
  Result<std::unique_ptr<Announcer>> announcer = AnnounceCheck(options, group, *address);
  if (!announcer.ok()) return announcer.status();
  std::atomic<bool> stop{false};
  asio::signal_set signals(io, SIGINT, SIGTERM);
  StopOnSignal(&signals, &stop, [&clients] { clients.Wake(); });
  std::thread io_thread([&io] { io.run(); });
  spdlog::info(
      "netcheck on {} ({}), group {}:{}, control key {}: {} rates of {} s, waiting for {} "
      "clients",
      options.interface, AddressText(*address), options.group, options.port,
      sign::Fingerprint(sign::PublicKeyOf(*key)), options.rates.size(), options.duration_s,
      options.min_clients);
  Result<netcheck::Netcheck> check =
      Run(options, &*socket, &clients, session, data_key, /*release=*/true, &stop);
  asio::post(io, [&] {
    server->Stop();
    signals.cancel();
  });
  io.stop();
  io_thread.join();
  if (!check.ok()) return check.status();
  return Print(options, *check);
}

NetcheckFirst::NetcheckFirst(NetcheckOptions options)
    : options_(std::move(options)),
      session_(randombytes_random()),
      key_(wire::DatagramSeal::NewKey()),
      clients_(std::make_unique<NetcheckClients>(
          CheckMessage(options_, PlanSteps(options_), session_, key_), /*then_deploy=*/true)) {}

NetcheckFirst::~NetcheckFirst() = default;

Status NetcheckFirst::Run(MulticastSender* socket, const std::atomic<bool>* stop) {
  IpAddress group;
  if (Status s = CheckOptions(options_, &group); !s.ok()) return s;
  spdlog::info("netcheck first: {} rates of {} s, waiting for {} clients", options_.rates.size(),
               options_.duration_s, options_.min_clients);
  Result<netcheck::Netcheck> check =
      fleetcast::Run(options_, socket, clients_.get(), session_, key_, /*release=*/false, stop);
  if (!check.ok()) return check.status();
  result_ = *check;
  return Print(options_, *check);
}

}  // namespace fleetcast
