// SystemHive: a Windows SYSTEM registry hive (Windows\System32\config\SYSTEM)
// read and edited offline through libhivex, for two jobs:
//  - packing refuses a Windows that is itself a clone: Sysprep leaves the
//    value Setup\CloneTag in a clone's hive;
//  - a clone moved to another storage controller boots Windows XP/2003 only
//    if the controller's driver is registered in the CriticalDeviceDatabase
//    of ControlSet00N\Control and its service under ControlSet00N\Services
//    (N from Select\Current). Sysprep writes these at reseal from
//    [SysprepMassStorage]; for a clone never resealed we write them.
// The hive is a file on the local file system: the caller copies it out of and
// back into the NTFS volume (or uses the *Bytes forms). Strings are read as
// UTF-8 and written as UTF-16LE with a terminating NUL, as Windows does.
// Not thread-safe: one thread at a time per SystemHive.
#ifndef FLEETCAST_PLATFORM_SYSTEM_HIVE_H_
#define FLEETCAST_PLATFORM_SYSTEM_HIVE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/coding.h"
#include "core/status.h"

struct hive_h;

namespace fleetcast {

class SystemHive {
 public:
  /// A boot storage driver to register: what [SysprepMassStorage] names plus
  /// what the driver's INF says about its service.
  struct CriticalDevice {
    std::string hardware_id;  // as in the INF, e.g. PCI\VEN_1000&DEV_0030
    std::string class_guid;   // e.g. {4D36E97B-E325-11CE-BFC1-08002BE10318} (SCSI adapter)
    std::string service;      // key under Services, e.g. symmpi
    std::string image_path;   // e.g. system32\DRIVERS\symmpi.sys
    std::string group;        // e.g. SCSI miniport
    uint32_t start = 0;       // 0: boot
    uint32_t type = 1;        // 1: kernel driver
    uint32_t error_control = 1;
  };

  /// Opens the hive file at path, for writing if `writable`. A file that is
  /// not a registry hive gives kCorruption naming path.
  static Result<std::unique_ptr<SystemHive>> Open(const std::string& path, bool writable);
  /// The same over hive bytes (copied to a private temporary file, which
  /// hivex needs); `name` stands for the hive in messages.
  static Result<std::unique_ptr<SystemHive>> OpenBytes(ByteView hive, bool writable,
                                                       const std::string& name = "SYSTEM hive");

  ~SystemHive();
  SystemHive(const SystemHive&) = delete;
  SystemHive& operator=(const SystemHive&) = delete;

  /// The text of Setup\CloneTag (REG_SZ, or REG_MULTI_SZ with its strings
  /// joined by '\n'), or nullopt when the hive has none: not a clone.
  Result<std::optional<std::string>> CloneTag();
  /// N of the current control set ControlSet00N, from Select\Current; an error
  /// ("not a SYSTEM hive") when that value is missing or out of range.
  Result<int> CurrentControlSet();
  /// Creates or updates, in the current control set,
  /// Control\CriticalDeviceDatabase\<CriticalDeviceKey(hardware_id)> (ClassGUID,
  /// Service) and Services\<service> (Type, Start, ErrorControl, Group,
  /// ImagePath). Other values of existing keys are kept; calling it again
  /// with the same device changes nothing. Needs a writable hive; the change
  /// is in memory until Commit.
  Status RegisterCriticalDevice(const CriticalDevice& device);

  /// Writes the whole hive to path (which may be the file it was opened from).
  Status Commit(const std::string& path);
  /// The whole hive as bytes, as Commit would write it.
  Result<Bytes> CommitToBytes();

  /// The CriticalDeviceDatabase key name of a hardware id: lower case, '\'
  /// replaced by '#' ("PCI\VEN_1000&DEV_0030" -> "pci#ven_1000&dev_0030").
  static std::string CriticalDeviceKey(const std::string& hardware_id);

  /// The file or name given at open, used in messages.
  const std::string& name() const { return name_; }

 private:
  SystemHive(hive_h* hive, std::string name, bool writable)
      : hive_(hive), name_(std::move(name)), writable_(writable) {}

  /// The node of ControlSet00N for the current N; an error if it is missing.
  Result<size_t> CurrentControlSetKey();

  hive_h* hive_;  // owned; closed by the destructor
  std::string name_;
  bool writable_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_SYSTEM_HIVE_H_
