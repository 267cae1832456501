// Test helper: Windows registry hives made in the test. hivex edits hives but
// cannot create one, so BlankHive emits the smallest valid regf file (base
// block, one hbin holding the root key and its security cell); HiveBuilder
// then adds keys and values to it through hivex, and WriteSystemHive makes the
// skeleton of a SYSTEM hive that client/system_hive.h expects.
//
// Layout (all integers little-endian; cell offsets count from the first hbin):
//   0x0000 base block, 4096 bytes: "regf", sequence 1 and 2 (equal), FILETIME,
//          version 1.3, type 0, format 1, root cell offset, hive bins size,
//          clustering 1, file name (UTF-16, 64 bytes), XOR checksum at 0x1fc
//   0x1000 hbin, 4096 bytes: "hbin", offset 0, size 4096, 20 reserved bytes,
//          then cells: root "nk", its "sk", one free cell for the rest.
#ifndef FLEETCAST_TESTS_CLIENT_HIVE_BUILDER_H_
#define FLEETCAST_TESTS_CLIENT_HIVE_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/coding.h"

struct hive_h;

namespace fleetcast::testing {

/// A valid hive with only the root key ("$$$PROTO.HIV", as in XP's hives).
Bytes BlankHive();

/// Keys and values added through hivex to a hive file. Paths are
/// backslash-separated from the root ("ControlSet001\Services"); missing keys
/// are created. Failures throw std::runtime_error (test code only).
class HiveBuilder {
 public:
  /// Writes BlankHive() to path and opens it for writing.
  explicit HiveBuilder(const std::string& path);
  ~HiveBuilder();
  HiveBuilder(const HiveBuilder&) = delete;
  HiveBuilder& operator=(const HiveBuilder&) = delete;

  HiveBuilder& Key(const std::string& path);
  HiveBuilder& SetString(const std::string& path, const std::string& name,
                         const std::string& ascii);
  HiveBuilder& SetMultiString(const std::string& path, const std::string& name,
                              const std::vector<std::string>& ascii);
  HiveBuilder& SetDword(const std::string& path, const std::string& name, uint32_t value);
  /// Any value: `type` is a hive_type (hivex.h), `data` the stored bytes.
  HiveBuilder& SetValue(const std::string& path, const std::string& name, int type,
                        const Bytes& data);
  /// Writes the hive back to its file.
  void Commit();

 private:
  size_t Node(const std::string& path);

  std::string path_;
  hive_h* hive_ = nullptr;
};

struct SystemHiveSpec {
  int current_control_set = 1;                          // Select\Current; ControlSet00N is made
  std::optional<std::string> clone_tag = std::nullopt;  // Setup\CloneTag as REG_MULTI_SZ
};

/// Adds a SYSTEM hive skeleton: Select (Current, Default, Failed,
/// LastKnownGood), ControlSet00N\Control\CriticalDeviceDatabase,
/// ControlSet00N\Services and Setup.
void AddSystemKeys(HiveBuilder* b, const SystemHiveSpec& spec);
/// A new hive file at path holding AddSystemKeys(spec).
void WriteSystemHive(const std::string& path, const SystemHiveSpec& spec);

}  // namespace fleetcast::testing

#endif  // FLEETCAST_TESTS_CLIENT_HIVE_BUILDER_H_
