// The top of both programs: one place that turns a failure into the single
// line a user sees, "fleetcast-server: error: <thing>: <what>; <fix>", and
// the exit code.
#ifndef FLEETCAST_PLATFORM_CLI_H_
#define FLEETCAST_PLATFORM_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"

namespace fleetcast {

/// Exit codes of both programs.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the job failed: bad input, I/O error, corrupt image
constexpr int kExitUsage = 2;    // the command line is wrong
// Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report Ctrl-C): the
// work is not done, and running the same command again resumes it.
constexpr int kExitInterrupted = 130;

/// Prints "<program>: error: <message>" on stderr; returns kExitInterrupted
/// for an Interrupted status, else kExitFailure.
int ReportError(const std::string& program, const Status& status);

/// Parses argv into app. Returns an exit code when the program should stop
/// now: 0 after --help or --version, kExitUsage after printing one line
/// "<program>: error: <what>; see <program> --help".
std::optional<int> ParseCommandLine(const std::string& program, CLI::App& app, int argc,
                                    char** argv);

/// Runs a program's body with logging set up; an exception that escapes
/// (out of memory, a bug) becomes one error line instead of a stack trace.
int RunMain(const std::string& program, const std::function<int()>& body);

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_CLI_H_
