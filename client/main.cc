// fleetcast-client: joins a deployment and writes the image to this node's
// disk. The receive path arrives with the multicast issue; until then the
// program answers --help and --version so boot media and packages can ship it.
#include <CLI/CLI.hpp>

#include "platform/cli.h"

namespace {

constexpr const char* kProgram = "fleetcast-client";
constexpr const char* kVersion = "0.1.0";

int Body(int argc, char** argv) {
  CLI::App app{"fleetcast-client: multicast disk-image deployment, node side"};
  app.set_version_flag("--version", kVersion);
  if (auto code = fleetcast::ParseCommandLine(kProgram, app, argc, argv)) return *code;
  std::fputs(app.help().c_str(), stdout);
  return fleetcast::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return fleetcast::RunMain(kProgram, [&] { return Body(argc, argv); });
}
