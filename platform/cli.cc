#include "platform/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

namespace fleetcast {

int ReportError(const std::string& program, const Status& status) {
  std::fprintf(stderr, "%s: error: %s\n", program.c_str(), status.message().c_str());
  return kExitFailure;
}

int RunMain(const std::string& program, const std::function<int()>& body) {
  try {
    auto logger = spdlog::stderr_color_mt(program);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n %^%l%$: %v");
    spdlog::set_default_logger(logger);
    return body();
  } catch (const std::exception& e) {
    return ReportError(program, Status::IOError(std::string("internal error: ") + e.what()));
  }
}

}  // namespace fleetcast
