#include "tests/e2e/netns_lan.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "tests/test_util.h"

namespace fleetcast::testing {

namespace {

std::string Join(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

NamespaceLan::NamespaceLan(int receivers, const LanOptions& options)
    : prefix_(options.prefix + std::to_string(::getpid()) + "-"),
      ipv6_(options.ipv6),
      mtu_(options.mtu),
      receivers_(receivers) {
  const std::string br = prefix_ + "br";
  if (!Run({"ip", "netns", "add", br})) return;
  namespaces_.push_back(br);
  std::vector<std::string> bridge = {"ip",
                                     "-n",
                                     br,
                                     "link",
                                     "add",
                                     "br0",
                                     "type",
                                     "bridge",
                                     "stp_state",
                                     "0",
                                     "forward_delay",
                                     "0",
                                     "mcast_snooping",
                                     "1",
                                     "mcast_querier",
                                     options.querier ? "1" : "0",
                                     "mcast_igmp_version",
                                     "3"};
  // The bridge's MLD querier sends from br0's own link-local address.
  if (ipv6_) bridge.insert(bridge.end(), {"mcast_mld_version", "2"});
  if (options.query_interval_cs > 0) {
    // Startup queries too, or the first regular one comes a quarter of the
    // default interval (31 s) after the bridge came up.
    const std::string interval = std::to_string(options.query_interval_cs);
    const std::string response = std::to_string(std::max(10, options.query_interval_cs / 2));
    bridge.insert(bridge.end(), {"mcast_query_interval", interval, "mcast_startup_query_interval",
                                 interval, "mcast_query_response_interval", response});
  }
  if (!Run({"ip", "-n", br, "link", "set", "lo", "up"}) || (ipv6_ && !SetUpIpv6(br)) ||
      !Run(bridge) ||
      !Run({"ip", "-n", br, "link", "set", "br0", "mtu", std::to_string(mtu_), "up"}) ||
      !AddHost(prefix_ + "s", server_address(), server_address6(), "s0")) {
    return;
  }
  for (int i = 1; i <= receivers; ++i) {
    if (!AddHost(prefix_ + "r" + std::to_string(i), receiver_address(i), receiver_address6(i),
                 "r" + std::to_string(i))) {
      return;
    }
  }
}

NamespaceLan::~NamespaceLan() {
  for (const std::string& ns : namespaces_) {
    // Anything still running in a namespace goes with it.
    ProgramResult pids = RunProgram({"ip", "netns", "pids", ns}, 10);
    size_t start = 0;
    while (start < pids.out.size()) {
      const size_t end = pids.out.find('\n', start);
      const std::string pid = pids.out.substr(start, end - start);
      if (!pid.empty()) RunProgram({"kill", "-9", pid}, 10);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    RunProgram({"ip", "netns", "del", ns}, 10);
  }
}

bool NamespaceLan::Run(const std::vector<std::string>& argv) {
  ProgramResult r = RunProgram(argv, 30);
  if (r.exit_code != 0 && error_.empty()) error_ = Join(argv) + ": " + r.err;
  return r.exit_code == 0;
}

bool NamespaceLan::SetUpIpv6(const std::string& ns) {
  return Run({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
              "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.all.accept_dad=0",
              "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.force_mld_version=2",
              "net.ipv6.conf.default.force_mld_version=2"});
}

bool NamespaceLan::AddHost(const std::string& ns, const std::string& address,
                           const std::string& address6, const std::string& port) {
  const std::string br = prefix_ + "br";
  if (!Run({"ip", "netns", "add", ns})) return false;
  namespaces_.push_back(ns);
  const std::string ifc = kInterface;
  if (ipv6_ && !SetUpIpv6(ns)) return false;
  const std::string mtu = std::to_string(mtu_);
  return Run({"ip", "-n", ns, "link", "set", "lo", "up"}) &&
         Run({"ip", "link", "add", ifc, "netns", ns, "mtu", mtu, "type", "veth", "peer", "name",
              port, "netns", br, "mtu", mtu}) &&
         Run({"ip", "-n", ns, "addr", "add", address + "/24", "dev", ifc}) &&
         (!ipv6_ || Run({"ip", "-n", ns, "addr", "add", address6 + "/64", "dev", ifc, "nodad"})) &&
         Run({"ip", "-n", ns, "link", "set", ifc, "up"}) &&
         Run({"ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", ifc}) &&
         Run({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
              "net.ipv4.conf." + ifc + ".rp_filter=0", "net.ipv4.conf.all.force_igmp_version=3"}) &&
         Run({"ip", "-n", br, "link", "set", port, "master", "br0"}) &&
         Run({"ip", "-n", br, "link", "set", port, "up"});
}

std::vector<std::string> NamespaceLan::InBridge(std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", prefix_ + "br"});
  return argv;
}

std::vector<std::string> NamespaceLan::InServer(std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", prefix_ + "s"});
  return argv;
}

std::vector<std::string> NamespaceLan::InReceiver(int i, std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", prefix_ + "r" + std::to_string(i)});
  return argv;
}

bool NamespaceLan::Nft(const std::vector<std::string>& argv_prefix, const std::string& rules) {
  const std::string file = "/tmp/" + prefix_ + "rules.nft";
  FILE* f = std::fopen(file.c_str(), "w");
  if (f == nullptr) return false;
  std::fputs(rules.c_str(), f);
  std::fclose(f);
  std::vector<std::string> argv = argv_prefix;
  argv.insert(argv.end(), {"nft", "-f", file});
  const bool ok = Run(argv);
  ::unlink(file.c_str());
  return ok;
}

bool NamespaceLan::SetReceiverMtu(int i, int mtu) {
  return Run(InReceiver(i, {"ip", "link", "set", kInterface, "mtu", std::to_string(mtu)}));
}

bool NamespaceLan::SetLoss(int i, double fraction) {
  char rule[512];
  std::snprintf(rule, sizeof(rule),
                "add table inet fcloss\n"
                "add chain inet fcloss in { type filter hook input priority 0; policy accept; }\n"
                "add rule inet fcloss in meta l4proto udp numgen random mod 1000000 < %d drop\n",
                static_cast<int>(fraction * 1000000 + 0.5));
  return Nft(InReceiver(i, {}), rule);
}

bool NamespaceLan::Partition() {
  // Receivers' ports on the bridge are r1..rN: forwarded frames to and from
  // them, and the bridge's own (its IGMP querier) both ways.
  return Nft({"ip", "netns", "exec", prefix_ + "br"},
             "add table bridge fcpartition\n"
             "add chain bridge fcpartition cut_fwd { type filter hook forward priority 0; "
             "policy accept; }\n"
             "add chain bridge fcpartition cut_in { type filter hook input priority 0; "
             "policy accept; }\n"
             "add chain bridge fcpartition cut_out { type filter hook output priority 0; "
             "policy accept; }\n"
             "add rule bridge fcpartition cut_fwd iifname \"r*\" drop\n"
             "add rule bridge fcpartition cut_fwd oifname \"r*\" drop\n"
             "add rule bridge fcpartition cut_in iifname \"r*\" drop\n"
             "add rule bridge fcpartition cut_out oifname \"r*\" drop\n");
}

bool NamespaceLan::Heal() {
  return Run(
      {"ip", "netns", "exec", prefix_ + "br", "nft", "delete", "table", "bridge", "fcpartition"});
}

bool NamespaceLan::DropGroup(const std::string& group) {
  const char* family = group.find(':') == std::string::npos ? "ip" : "ip6";
  return Nft({"ip", "netns", "exec", prefix_ + "br"},
             "add table bridge fcgroup\n"
             "add chain bridge fcgroup cut { type filter hook forward priority 0; "
             "policy accept; }\n"
             "add rule bridge fcgroup cut " +
                 std::string(family) + " daddr " + group + " drop\n");
}

bool NamespaceLan::LimitReceiver(int i, const std::string& rate, const std::string& latency) {
  return Run({"ip", "netns", "exec", prefix_ + "br", "tc", "qdisc", "replace", "dev",
              "r" + std::to_string(i), "root", "tbf", "rate", rate, "burst", "32kb", "latency",
              latency});
}

}  // namespace fleetcast::testing
