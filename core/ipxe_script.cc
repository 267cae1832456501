#include "core/ipxe_script.h"

namespace fleetcast {

namespace {

// iPXE expands ${...} in every command: text from elsewhere must not.
std::string Literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '$' || c == '\r' || c == '\n') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string IpxeChainScript(std::string_view http_base) {
  std::string script = "#!ipxe\n";
  script += "chain " + Literal(http_base) + "/boot/${netX/mac}\n";
  return script;
}

std::string IpxeInstallScript(const InstallerBoot& boot) {
  const std::string files = Literal(boot.http_base) + "/boot/files/";
  std::string args = "initrd=initrd.img fleetcast.server=" + Literal(boot.server);
  args += " BOOTIF=01-${netX/mac:hexhyp}";
  if (!boot.disk.empty()) args += " fleetcast.disk=" + Literal(boot.disk);
  if (!boot.token.empty()) args += " fleetcast.token=" + Literal(boot.token);
  if (!boot.extra_args.empty()) args += " " + Literal(boot.extra_args);
  std::string script = "#!ipxe\n";
  script += "echo fleetcast: installing " + Literal(boot.node) + " from " + Literal(boot.server);
  script += "\nkernel " + files + "vmlinuz " + args;
  script += "\ninitrd " + files + "initrd.img\nboot\n";
  return script;
}

std::string IpxeLocalScript(std::string_view why) {
  std::string script = "#!ipxe\n";
  script += "echo fleetcast: " + Literal(why) + "; booting from the local disk\nexit\n";
  return script;
}

}  // namespace fleetcast
