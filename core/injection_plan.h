// InjectionPlan: what a client writes into the new system, decided from a
// node's answer set and the PCI devices the machine actually has, before any
// byte is written. Pure, so every decision (which drivers, which paths, what
// goes into the registry) is unit-tested; client/identity_injector carries it
// out on the real filesystems.
#ifndef FLEETCAST_CORE_INJECTION_PLAN_H_
#define FLEETCAST_CORE_INJECTION_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/control_message.h"
#include "core/mass_storage.h"
#include "core/status.h"

namespace fleetcast {

enum class TargetFs : unsigned char { kNtfs, kExt };

/// One file to write: on the Windows (NTFS) or Linux (ext) volume, at a path
/// with '/' separators from the volume's root.
struct PlannedFile {
  TargetFs fs = TargetFs::kNtfs;
  std::string path;
  Bytes data;
  uint32_t mode = 0644;  // ext only
};

/// A storage driver to register in the offline SYSTEM hive, so the clone
/// boots on this controller (Sysprep would do it only at reseal).
struct DriverRegistration {
  std::string hardware_id;
  std::string class_guid;
  std::string service;
  std::string image_path;  // "system32\DRIVERS\symmpi.sys"
  std::string group;
  uint32_t start = 0;
  uint32_t type = 1;
  uint32_t error_control = 1;
  std::string binary_path;  // the .sys in the answer set, copied to Windows\System32\drivers
};

struct InjectionPlan {
  std::string hostname;
  std::vector<PlannedFile> files;
  std::vector<MassStorageEntry> mass_storage;  // listed in sysprep.inf
  std::vector<DriverRegistration> drivers;     // for the SYSTEM hive, when there is one
  bool NeedsFs(TargetFs fs) const;
};

/// Where Windows finds the drivers [SysprepMassStorage] names.
inline constexpr const char* kSysprepDriversRoot = "C:\\Sysprep\\Drivers";

/// Plans the writes for `answers` (paths as in core/answer_set.h) on a machine
/// with `devices`. Fails on an answer file it does not know or a bad INF.
Result<InjectionPlan> PlanInjection(const control::Identity& answers,
                                    const std::vector<PciDevice>& devices);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_INJECTION_PLAN_H_
