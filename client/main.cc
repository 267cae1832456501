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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "%s: error: %s; see %s --help\n", kProgram, e.what(), kProgram);
    return fleetcast::kExitUsage;
  }
  std::fputs(app.help().c_str(), stdout);
  return fleetcast::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return fleetcast::RunMain(kProgram, [&] { return Body(argc, argv); });
}
