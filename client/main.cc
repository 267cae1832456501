// fleetcast-client: joins a deployment and writes the image to this node's
// disk (receive), writes a node's identity into a disk (inject), or finds a
// server by its announce (discover). Flags are parsed here; the work is in
// client/receiver.cc, identity_injector.cc and discover.cc.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>

#include "client/discover.h"
#include "client/identity_injector.h"
#include "client/receiver.h"
#include "platform/cli.h"
#include "platform/interrupt.h"

namespace {

constexpr const char* kProgram = "fleetcast-client";
// "fleetcast-client 0.1.0": the GNU form help2man reads; the version is the
// project's (CMakeLists.txt), the one the .deb packages carry too.
constexpr const char* kVersion = FLEETCAST_VERSION;

int Body(int argc, char** argv) {
  CLI::App app{"fleetcast-client: multicast disk-image deployment, node side"};
  app.set_version_flag("--version", std::string(kProgram) + " " + kVersion);
  app.require_subcommand(1);

  fleetcast::ReceiveOptions receive;
  bool zero = false, discard = false;
  uint64_t window = receive.window_bytes;
  CLI::App* receive_cmd = app.add_subcommand("receive", "receive an image onto a disk");
  receive_cmd
      ->add_option("--server", receive.server,
                   "HOST[:PORT] or [IPV6]:PORT of fleetcast-server serve, or auto: find it by "
                   "its announce")
      ->required();
  receive_cmd->add_option("--target", receive.target, "disk or image file to write")->required();
  receive_cmd->add_option("--interface", receive.interface,
                          "interface to receive on (default: the one that reaches the server)");
  receive_cmd->add_option("--node-id", receive.node_id, "name of this node (default: its MAC)");
  receive_cmd->add_flag("--zero", zero,
                        "make the disk read zero where the image's chunks are zero (writing "
                        "only where it does not already)");
  receive_cmd->add_flag("--full", receive.full,
                        "write the whole image, even chunks the disk already holds");
  receive_cmd->add_flag("--discard", discard, "discard (TRIM) where the image's chunks are zero");
  receive_cmd->add_option("--threads", receive.threads, "decompression threads (0: per core)");
  receive_cmd->add_option("--window", window, "memory for chunks being assembled")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("256M");
  receive_cmd->add_option("--retries", receive.retries, "reconnects before giving up")
      ->capture_default_str();
  receive_cmd->add_option("--sysfs", receive.sysfs_root, "sysfs root to read PCI devices from")
      ->capture_default_str();
  receive_cmd
      ->add_option("--trust", receive.trust,
                   "NAME.pub: accept only an image signed by its key, and only a server "
                   "holding one (repeatable)")
      ->allow_extra_args(false);
  receive_cmd->add_option("--token", receive.token,
                          "this node's one-time token (serve --tokens; default: $FLEETCAST_TOKEN)");
  unsigned discover_timeout = 60;
  receive_cmd->add_option(
      "--announce", receive.announce,
      "with --server auto: GROUP:PORT to listen on (default: 239.77.0.254:7009 and "
      "[ff15::fc:7009]:7009)");
  receive_cmd
      ->add_option("--discover-timeout", discover_timeout,
                   "with --server auto: seconds to wait for an announce")
      ->capture_default_str();

  fleetcast::DiscoverOptions discover;
  unsigned timeout = 60;
  CLI::App* discover_cmd = app.add_subcommand(
      "discover", "wait for a server's announce and print its HOST:PORT (for boot media)");
  discover_cmd->add_option("--interface", discover.interface,
                           "interface to listen on (default: every one that is up)");
  discover_cmd->add_option("--announce", discover.announce,
                           "GROUP:PORT the server announces on (default: 239.77.0.254:7009 and "
                           "[ff15::fc:7009]:7009)");
  discover_cmd->add_option("--timeout", timeout, "seconds to wait")->capture_default_str();

  std::string inject_target, answers_dir, sysfs_root = "/sys";
  CLI::App* inject_cmd =
      app.add_subcommand("inject", "write a node's answer files into a disk, without mounting it");
  inject_cmd->add_option("--target", inject_target, "disk or disk image holding the new system")
      ->required();
  inject_cmd->add_option("--answers", answers_dir, "the node's folder from probe --answers-out")
      ->required();
  inject_cmd->add_option("--sysfs", sysfs_root, "sysfs root to read PCI devices from")
      ->capture_default_str();

  if (auto code = fleetcast::ParseCommandLine(kProgram, app, argc, argv)) return *code;
  if (zero && discard) {
    return fleetcast::ReportError(
        kProgram, fleetcast::Status::InvalidArgument("--zero and --discard: choose one"));
  }
  receive.zero = zero      ? fleetcast::ZeroPolicy::kWrite
                 : discard ? fleetcast::ZeroPolicy::kDiscard
                           : fleetcast::ZeroPolicy::kLeave;
  receive.window_bytes = window;
  // From the environment, a token stays out of `ps` and shell history.
  if (const char* token = std::getenv("FLEETCAST_TOKEN"); receive.token.empty() && token) {
    receive.token = token;
  }
  receive.discover_timeout = std::chrono::seconds(discover_timeout);
  discover.timeout = std::chrono::seconds(timeout);
  fleetcast::InstallInterruptHandler();
  fleetcast::Status s = *inject_cmd ? fleetcast::RunInject(inject_target, answers_dir, sysfs_root)
                        : *discover_cmd ? fleetcast::RunDiscover(discover)
                                        : fleetcast::RunReceive(receive);
  return s.ok() ? fleetcast::kExitOk : fleetcast::ReportError(kProgram, s);
}

}  // namespace

int main(int argc, char** argv) {
  return fleetcast::RunMain(kProgram, [&] { return Body(argc, argv); });
}
