// The probe's checks: everything about an inventory that would make a node
// fail after its disk was written (a bad address, a join without
// credentials, two nodes booting first), found before any disk is touched.
#ifndef FLEETCAST_CORE_INVENTORY_CHECK_H_
#define FLEETCAST_CORE_INVENTORY_CHECK_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/inventory.h"
#include "core/partition_table.h"

namespace fleetcast {

/// What the checks need from outside: supplied by the server, faked in tests.
struct CheckEnvironment {
  /// Why a secret of this name cannot be found, or nullopt if it can.
  std::function<std::optional<std::string>(const std::string& name)> secret_problem;
  /// What is wrong with a driver catalog directory, or nullopt if it is usable.
  std::function<std::optional<std::string>(const std::string& path)> catalog_problem;
};

/// Every problem in the inventory, in file order; empty when all is well.
std::vector<Problem> CheckInventory(const Inventory& inventory, const CheckEnvironment& env);

/// Nodes whose flavour finds nowhere to land in an image whose partitions
/// hold `volumes`: Windows flavours need NTFS, cloud-init an ext filesystem.
std::vector<Problem> CheckImageVolumes(const Inventory& inventory,
                                       const std::vector<FsKind>& volumes,
                                       const std::string& image);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_INVENTORY_CHECK_H_
