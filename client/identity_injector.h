// Writes a node's identity into its freshly written disk without mounting
// it: finds the partitions, picks the Windows (NTFS) and Linux (ext) volumes,
// writes the planned files there (libntfs-3g, libext2fs), and registers the
// matched storage drivers in the offline SYSTEM hive (hivex) so the clone
// boots on this machine's controller.
#ifndef FLEETCAST_CLIENT_IDENTITY_INJECTOR_H_
#define FLEETCAST_CLIENT_IDENTITY_INJECTOR_H_

#include <string>
#include <vector>

#include "core/control_message.h"
#include "core/status.h"

namespace fleetcast {

/// What was written, one line each, for the client's log and the demo.
struct InjectReport {
  std::vector<std::string> lines;
};

/// Injects `answers` into the disk or disk image at target. PCI devices are
/// read under sysfs_root (normally /sys) when the answers carry drivers.
Result<InjectReport> InjectIdentity(const std::string& target, const control::Identity& answers,
                                    const std::string& sysfs_root);

/// The inject subcommand: LoadAnswerDir, InjectIdentity, a line per write.
Status RunInject(const std::string& target, const std::string& answers_dir,
                 const std::string& sysfs_root);

/// Reads an answer set from a folder (as `fleetcast-server probe
/// --answers-out` writes it): every file, by its path relative to dir.
Result<control::Identity> LoadAnswerDir(const std::string& dir);

}  // namespace fleetcast

#endif  // FLEETCAST_CLIENT_IDENTITY_INJECTOR_H_
