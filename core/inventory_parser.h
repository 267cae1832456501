// Reads nodes.toml (docs/inventory.md) into an Inventory.
//
// Syntax errors stop the read; everything else (an unknown key, a value of
// the wrong type, a per-node key in [defaults]) is collected as a Problem so
// that one probe lists every mistake in the file at once.
#ifndef FLEETCAST_CORE_INVENTORY_PARSER_H_
#define FLEETCAST_CORE_INVENTORY_PARSER_H_

#include <string_view>
#include <vector>

#include "core/inventory.h"
#include "core/status.h"

namespace fleetcast {

struct InventoryParse {
  Inventory inventory;
  std::vector<Problem> problems;
};

/// Parses the text of nodes.toml; `source` names it in messages. Fails only
/// when the text is not TOML.
Result<InventoryParse> ParseInventory(std::string_view text, std::string_view source);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_INVENTORY_PARSER_H_
