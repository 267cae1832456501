// Loads nodes.toml with its secrets and checks it against the real world:
// secrets that must resolve, driver catalogs that must exist and hold INFs.
// The probe prints what it finds; serve refuses to start on any problem.
#ifndef FLEETCAST_SERVER_INVENTORY_LOADER_H_
#define FLEETCAST_SERVER_INVENTORY_LOADER_H_

#include <string>
#include <vector>

#include "core/inventory.h"
#include "core/status.h"
#include "server/secret_store.h"

namespace fleetcast {

struct LoadedInventory {
  std::string path;      // nodes.toml as given
  std::string base_dir;  // relative driver catalogs are found from here
  Inventory inventory;
  SecretStore secrets;
  std::vector<Problem> problems;  // parse and check problems, in file order

  /// A node's driver catalog as a path the server can open ("" for none).
  std::string CatalogPath(const NodeSpec& node) const;
};

/// Reads and checks nodes.toml; fails only if the file or the secrets file
/// cannot be read at all (syntax errors included). Everything else is a Problem.
Result<LoadedInventory> LoadInventory(const std::string& nodes_path,
                                      const std::string& secrets_path);

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_INVENTORY_LOADER_H_
