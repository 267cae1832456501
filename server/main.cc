// fleetcast-server: makes signing keys (keygen), packs disk images and
// inspects them (pack, info, verify, unpack), checks an inventory (probe) and
// serves an image (serve), and checks a LAN before a deployment (netcheck). Flags are parsed here;
// the work is in the library.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/cli.h"
#include "platform/interrupt.h"
#include "server/ctl.h"
#include "server/image_commands.h"
#include "server/netcheck.h"
#include "server/packer.h"
#include "server/probe.h"
#include "server/serve.h"

namespace {

constexpr const char* kProgram = "fleetcast-server";
// "fleetcast-server 0.1.0": the GNU form help2man reads; the version is the
// project's (CMakeLists.txt), the one the .deb packages carry too.
constexpr const char* kVersion = FLEETCAST_VERSION;

// --announce GROUP:PORT, and --no-announce (it clears *announce after the
// parse) for what (a server, a check) boot media find.
void AddAnnounceOptions(CLI::App* cmd, std::string* announce, bool* no_announce,
                        const std::string& what) {
  CLI::Option* option = cmd->add_option("--announce", *announce,
                                        "GROUP:PORT ([GROUP]:PORT for IPv6) to announce this " +
                                            what + " on, once a second, for boot media")
                            ->capture_default_str();
  cmd->add_flag("--no-announce", *no_announce, "do not announce this " + what)->excludes(option);
}

int Body(int argc, char** argv) {
  using fleetcast::Status;
  CLI::App app{"fleetcast-server: multicast disk-image deployment, server side"};
  app.set_version_flag("--version", std::string(kProgram) + " " + kVersion);
  app.require_subcommand(1);

  fleetcast::PackOptions pack;
  uint64_t chunk_size = pack.chunk_size;
  CLI::App* pack_cmd = app.add_subcommand("pack", "pack a raw disk image or block device");
  pack_cmd->add_option("SRC", pack.source, "raw image file or block device")->required();
  pack_cmd->add_option("OUT", pack.output, "the .fcimg to write")->required();
  pack_cmd->add_option("--chunk-size", chunk_size, "bytes per chunk (4K..64M, power of two)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("1M");
  pack_cmd->add_option("--level", pack.level, "zstd level")->default_val(3);
  pack_cmd->add_option("--threads", pack.threads, "compression threads (0: one per core)");
  pack_cmd->add_option("--label", pack.label, "free text stored in the image");
  pack_cmd->add_flag("--force", pack.force, "pack a Windows that is already a clone (CloneTag)");
  pack_cmd->add_option("--sign", pack.sign_key, "sign the manifest with this NAME.key (keygen)");
  pack_cmd->add_flag("--keep-free", pack.keep_free,
                     "copy the free space of ext2/3/4 and NTFS partitions too");

  std::string key_name;
  bool key_force = false;
  CLI::App* keygen_cmd =
      app.add_subcommand("keygen", "write an Ed25519 key pair for signing images");
  keygen_cmd->add_option("--out", key_name, "writes NAME.key (secret) and NAME.pub")->required();
  keygen_cmd->add_flag("--force", key_force, "replace an existing key pair");

  std::string image, out;
  bool json = false;
  size_t threads = 0;
  CLI::App* info_cmd = app.add_subcommand("info", "print an image's header and sizes");
  info_cmd->add_option("IMG", image, "the .fcimg")->required();
  info_cmd->add_flag("--json", json, "print JSON");
  std::vector<std::string> trust;
  CLI::App* verify_cmd = app.add_subcommand("verify", "check every chunk and the image digest");
  verify_cmd->add_option("IMG", image, "the .fcimg")->required();
  verify_cmd->add_option("--trust", trust, "NAME.pub: the image must be signed by its key")
      ->allow_extra_args(false);
  verify_cmd->add_option("--threads", threads, "threads (0: one per core)");
  CLI::App* unpack_cmd = app.add_subcommand("unpack", "restore the raw image");
  unpack_cmd->add_option("IMG", image, "the .fcimg")->required();
  unpack_cmd->add_option("OUT", out, "raw image file or block device to write")->required();
  unpack_cmd->add_option("--threads", threads, "threads (0: one per core)");

  fleetcast::ServeOptions serve;
  std::string rate = "1g";
  unsigned max_wait = 60;
  CLI::App* serve_cmd = app.add_subcommand("serve", "multicast an image to every client");
  serve_cmd->add_option("IMG", serve.image, "the .fcimg")->required();
  serve_cmd->add_option("--interface", serve.interface, "interface to serve on")->required();
  serve_cmd->add_option("--group", serve.group, "multicast group (239.0.0.0/8, or IPv6 ff15::/16)")
      ->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "TCP control and UDP data port")
      ->capture_default_str();
  serve_cmd->add_option("--rate", rate, "wire rate: 1g, 500m, unlimited")->capture_default_str();
  serve_cmd
      ->add_option("--min-clients", serve.min_clients,
                   "start when this many joined (default: every inventory node, or 1)")
      ->capture_default_str();
  serve_cmd->add_option("--max-wait", max_wait, "or start this many seconds after the first")
      ->capture_default_str();
  serve_cmd->add_option("--mtu", serve.mtu, "datagram size on the wire")->capture_default_str();
  serve_cmd
      ->add_option("--fec-block", serve.max_data_shards,
                   "most data shards per FEC block (1..254; larger: less repair)")
      ->capture_default_str();
  serve_cmd->add_option("--ttl", serve.ttl, "multicast TTL")->capture_default_str();
  serve_cmd->add_flag("--encrypt", serve.encrypt,
                      "encrypt the multicast data too (it is always authenticated)");
  serve_cmd->add_option("--on-release", serve.on_release, "exit, reboot or poweroff")
      ->capture_default_str();
  serve_cmd
      ->add_option("--deployments", serve.deployments,
                   "deployments in a row, each waiting for --min-clients (0: until Ctrl-C)")
      ->capture_default_str();
  serve_cmd->add_option("--nodes", serve.nodes,
                        "nodes.toml: probe it first, then give each node its identity");
  serve_cmd->add_option("--secrets", serve.secrets, "secrets file (mode 0600) for nodes.toml");
  serve_cmd->add_option("--key", serve.key,
                        "NAME.key (keygen): the key clients pin with --trust NAME.pub");
  serve_cmd->add_flag("--tokens", serve.tokens,
                      "give a node its identity only with its one-time token (needs --nodes)");
  serve_cmd
      ->add_option("--http", serve.http,
                   "ADDR:PORT ([V6]:PORT) of the status page and API (nodes call back on its port)")
      ->capture_default_str();
  serve_cmd->add_option("--http-token", serve.http_token,
                        "operator token for actions (default: a random one, printed)");
  serve_cmd->add_option("--state", serve.state, "state file (default: nodes.toml's, as .state)");
  serve_cmd->add_flag("--fresh-state", serve.fresh_state, "forget a previous run's state");
  serve_cmd->add_option("--boot-dir", serve.boot_dir,
                        "network boot: serve this boot media folder (bootmedia/build.sh)");
  serve_cmd->add_option("--boot-args", serve.boot_args, "more kernel arguments for the installer")
      ->capture_default_str();
  serve_cmd->add_flag("--standalone-together", serve.standalone_together,
                      "release nodes outside groups together, once all are ready");
  std::string serve_netcheck_rates = "100m,250m,500m,1g";
  serve_cmd->add_flag("--netcheck", serve.netcheck,
                      "check the LAN with the clients first (netcheck), then deploy");
  serve_cmd->add_option("--netcheck-rates", serve_netcheck_rates, "rates the netcheck tries")
      ->capture_default_str();
  serve_cmd->add_option("--netcheck-duration", serve.netcheck_duration, "seconds per rate")
      ->capture_default_str();
  bool no_announce = false;
  AddAnnounceOptions(serve_cmd, &serve.announce, &no_announce, "server");

  fleetcast::NetcheckOptions netcheck;
  std::string rates = "100m,250m,500m,1g";
  unsigned netcheck_wait = 60;
  CLI::App* netcheck_cmd = app.add_subcommand(
      "netcheck", "check the LAN: loss, bursts and reordering per client at each rate, jumbo");
  netcheck_cmd->add_option("--interface", netcheck.interface, "interface to send on")->required();
  netcheck_cmd->add_option("--rates", rates, "wire rates to try, in turn")->capture_default_str();
  netcheck_cmd->add_option("--duration", netcheck.duration_s, "seconds per rate")
      ->capture_default_str();
  netcheck_cmd->add_option("--mtu", netcheck.mtu, "above 1500: check jumbo datagrams arrive")
      ->capture_default_str();
  netcheck_cmd->add_option("--min-clients", netcheck.min_clients, "start when this many joined")
      ->capture_default_str();
  netcheck_cmd->add_option("--max-wait", netcheck_wait, "or this many seconds after the first")
      ->capture_default_str();
  netcheck_cmd->add_option("--group", netcheck.group, "multicast group (239.0.0.0/8)")
      ->capture_default_str();
  netcheck_cmd->add_option("--port", netcheck.port, "TCP control and UDP data port")
      ->capture_default_str();
  netcheck_cmd->add_option("--ttl", netcheck.ttl, "multicast TTL")->capture_default_str();
  netcheck_cmd->add_option("--key", netcheck.key, "NAME.key (keygen) the clients pin");
  netcheck_cmd->add_option("--json", netcheck.json, "write the result as JSON to FILE");
  netcheck_cmd->add_option("--svg", netcheck.svg, "write a plot of loss against rate to FILE");
  bool netcheck_no_announce = false;
  AddAnnounceOptions(netcheck_cmd, &netcheck.announce, &netcheck_no_announce, "check");

  fleetcast::CtlOptions ctl;
  CLI::App* ctl_cmd =
      app.add_subcommand("ctl",
                         "operator actions on a running serve: start-now, hold, unhold, "
                         "release, token (a node's one-time install token)");
  ctl_cmd->add_option("ACTION", ctl.action, "start-now | hold | unhold | release | token")
      ->required();
  ctl_cmd->add_option("TARGET", ctl.target, "the group (hold, unhold) or node (release)");
  ctl_cmd->add_option("--http", ctl.http, "the serve's --http address")->capture_default_str();
  ctl_cmd->add_option("--token", ctl.token, "operator token (default: $FLEETCAST_HTTP_TOKEN)");

  fleetcast::ProbeOptions probe;
  CLI::App* probe_cmd =
      app.add_subcommand("probe", "check nodes.toml and render every answer file; no disk touched");
  probe_cmd->add_option("--nodes", probe.nodes, "nodes.toml")->required();
  probe_cmd->add_option("--secrets", probe.secrets, "secrets file (mode 0600)");
  probe_cmd->add_option("--image", probe.image, "the .fcimg the nodes will receive");
  probe_cmd->add_option("--answers-out", probe.answers_out,
                        "write each node's answer files to DIR/<hostname>/ (mode 0600)");
  probe_cmd->add_option("--callback-host", probe.callback_host,
                        "address nodes call back to (default: this host's name)");
  probe_cmd->add_option("--http-port", probe.http_port, "port nodes call back to")
      ->capture_default_str();

  if (auto code = fleetcast::ParseCommandLine(kProgram, app, argc, argv)) return *code;
  pack.chunk_size = chunk_size > UINT32_MAX ? 0 : static_cast<uint32_t>(chunk_size);

  fleetcast::InstallInterruptHandler();
  Status s;
  if (*pack_cmd) s = fleetcast::RunPack(pack);
  if (*info_cmd) s = fleetcast::RunInfo(image, json);
  if (*keygen_cmd) s = fleetcast::RunKeygen(key_name, key_force);
  if (*verify_cmd) s = fleetcast::RunVerify(image, threads, trust);
  if (*unpack_cmd) s = fleetcast::RunUnpack(image, out, threads);
  if (*probe_cmd) s = fleetcast::RunProbe(probe);
  if (*ctl_cmd) s = fleetcast::RunCtl(ctl);
  if (*netcheck_cmd) {
    netcheck.max_wait = std::chrono::seconds(netcheck_wait);
    if (netcheck_no_announce) netcheck.announce.clear();
    fleetcast::Result<std::vector<uint64_t>> parsed = fleetcast::ParseRates(rates);
    if (parsed.ok()) netcheck.rates = *parsed;
    s = parsed.ok() ? fleetcast::RunNetcheck(netcheck) : parsed.status();
  }
  if (*serve_cmd) {
    serve.max_wait = std::chrono::seconds(max_wait);
    if (no_announce) serve.announce.clear();
    fleetcast::Result<uint64_t> bits = fleetcast::ParseRate(rate);
    if (bits.ok()) serve.rate_bits = *bits;
    fleetcast::Result<std::vector<uint64_t>> netcheck_rates =
        fleetcast::ParseRates(serve_netcheck_rates);
    if (netcheck_rates.ok()) serve.netcheck_rates = *netcheck_rates;
    if (bits.ok() && !netcheck_rates.ok()) bits = netcheck_rates.status();
    s = bits.ok() ? fleetcast::RunServe(serve) : bits.status();
  }
  return s.ok() ? fleetcast::kExitOk : fleetcast::ReportError(kProgram, s);
}

}  // namespace

int main(int argc, char** argv) {
  return fleetcast::RunMain(kProgram, [&] { return Body(argc, argv); });
}
