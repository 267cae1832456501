// Mass-storage drivers for a cloned Windows XP/2003 disk: which drivers of a
// catalog fit the PCI devices a machine has, and the sysprep.inf
// [SysprepMassStorage] section that registers them, so the clone boots on a
// storage controller other than the master's. Listing only matching drivers
// keeps the critical device database small and the first boot fast.
//
// Pure: INF text is parsed by the caller (core/inf_parser.h) and PCI devices
// are read by client/pci_devices.h.
#ifndef FLEETCAST_CORE_MASS_STORAGE_H_
#define FLEETCAST_CORE_MASS_STORAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/inf_parser.h"
#include "core/status.h"

namespace fleetcast {

/// One PCI function, as the PCI configuration space and sysfs describe it.
struct PciDevice {
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint16_t subsys_vendor = 0;
  uint16_t subsys_device = 0;
  uint32_t class_code = 0;  // 24 bits: base class, subclass, programming interface
  uint8_t revision = 0;
  std::string slot;  // "0000:00:1f.2"
};

/// The device's hardware IDs and then its compatible IDs, most specific first,
/// as Windows' PCI bus driver reports them (upper-case hex):
///   PCI\VEN_v&DEV_d&SUBSYS_ssssvvvv&REV_rr, PCI\VEN_v&DEV_d&SUBSYS_ssssvvvv,
///   PCI\VEN_v&DEV_d&REV_rr, PCI\VEN_v&DEV_d, then PCI\VEN_v&DEV_d&CC_ccsspp,
///   PCI\VEN_v&DEV_d&CC_ccss, PCI\VEN_v&CC_ccsspp, PCI\VEN_v&CC_ccss, PCI\VEN_v,
///   PCI\CC_ccsspp, PCI\CC_ccss. SUBSYS is the subsystem device, then vendor.
std::vector<std::string> HardwareIdsOf(const PciDevice& device);
/// How many of HardwareIdsOf's IDs are hardware IDs; the rest are compatible IDs.
inline constexpr size_t kPciHardwareIdCount = 4;

/// One device ID a models line of an INF lists, with what installing it takes.
struct DriverModel {
  std::string hardware_id;      // as the INF writes it, [Strings] substituted
  bool compatible = false;      // listed after the line's first ID (an INF compatible ID)
  std::string description;      // the device description of the models line
  std::string inf_path;         // path of the INF in the catalog, as given to ModelsOfInf
  std::string install_section;  // as the models line names it (undecorated)
  std::string class_guid;       // [Version] ClassGUID
  // From the install section's .Services AddService (the one flagged 0x2, the
  // function driver, else the first). service_binary is as written, e.g.
  // "%12%\symmpi.sys" (dirid 12 is system32\drivers). -1: not given.
  std::string service_name;
  std::string service_binary;
  std::string load_order_group;
  int64_t service_type = -1;
  int64_t start_type = -1;
  int64_t error_control = -1;
  // The driver disk, from [SourceDisksNames(.x86)]: the disk that holds the
  // service binary per [SourceDisksFiles(.x86)], else the first one listed.
  std::string disk_description;
  std::string disk_tag;  // "\" + tag file; "" if the INF names none
  std::string disk_dir;  // the disk's path, "\" if none

  bool operator==(const DriverModel&) const = default;
};

/// Every device ID of every models section [Manufacturer] names, decorated
/// ones included (`%Mfg% = Models, NTx86` reads [Models.NTx86] and [Models]).
/// Order: x86 decorations (NTx86*), then plain NT ones, the undecorated
/// section, other architectures; within a section, as written. An INF
/// without [Manufacturer] (not a device INF) has no models. Fails, naming
/// inf_path and the line, on a models line without an install section or a
/// service number that is not a number.
Result<std::vector<DriverModel>> ModelsOfInf(const InfFile& inf, std::string inf_path);

/// One line of [SysprepMassStorage].
struct MassStorageEntry {
  std::string hardware_id;  // the INF's own ID string
  std::string inf_path;     // as Windows will find it: install_root\relative\path.inf
  std::string disk_dir;
  std::string disk_description;
  std::string disk_tag;
  DriverModel model;

  bool operator==(const MassStorageEntry&) const = default;
};

/// For each device in order, the model Windows would rank best: a device
/// hardware ID matched by an INF hardware ID first, then device hardware ID
/// by INF compatible ID, device compatible ID by INF hardware ID, then
/// compatible by compatible; within that, the device's more specific ID, then
/// the earlier model. IDs compare ignoring case. Devices without a match add
/// nothing; an ID already listed is not listed again. install_root is where
/// the catalog sits on the clone, e.g. "C:\\Sysprep\\Drivers".
std::vector<MassStorageEntry> MatchMassStorage(const std::vector<DriverModel>& models,
                                               const std::vector<PciDevice>& devices,
                                               std::string_view install_root);

/// "[SysprepMassStorage]\r\n" and one line per entry:
///   ID = "inf path", "disk dir", "disk description", "disk tag"\r\n
/// (only ID = "inf path" when the entry has no disk description and no tag).
std::string RenderMassStorageSection(const std::vector<MassStorageEntry>& entries);

/// sysprep_inf with its [SysprepMassStorage] section (any case; duplicates
/// too) replaced by RenderMassStorageSection, or the section appended.
std::string AppendMassStorage(std::string_view sysprep_inf,
                              const std::vector<MassStorageEntry>& entries);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_MASS_STORAGE_H_
