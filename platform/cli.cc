#include "platform/cli.h"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

namespace fleetcast {

int ReportError(const std::string& program, const Status& status) {
  std::fprintf(stderr, "%s: error: %s\n", program.c_str(), status.message().c_str());
  return status.code() == Status::Code::kInterrupted ? kExitInterrupted : kExitFailure;
}

std::optional<int> ParseCommandLine(const std::string& program, CLI::App& app, int argc,
                                    char** argv) {
  // Wide enough that every option's name, type and default stand apart from
  // its description (the man pages are generated from this text).
  app.get_formatter()->column_width(34);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "%s: error: %s; see %s --help\n", program.c_str(), e.what(),
                 program.c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

int RunMain(const std::string& program, const std::function<int()>& body) {
  try {
    auto logger = spdlog::stderr_color_mt(program);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n %^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug shows the debug lines
    return body();
  } catch (const std::exception& e) {
    return ReportError(program, Status::IOError(std::string("internal error: ") + e.what()));
  }
}

}  // namespace fleetcast
