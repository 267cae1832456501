// SecretStore: the passwords that answer files carry, looked up by name.
//
// A secret NAME comes from the environment (FLEETCAST_SECRET_NAME, upper
// case, other characters as '_') or from a TOML file of `name = "value"` that
// only its owner may read (mode 0600 or 0400); the environment wins. Values
// are never logged: they leave the server only inside a node's answer files,
// over that node's own control connection.
#ifndef FLEETCAST_SERVER_SECRET_STORE_H_
#define FLEETCAST_SERVER_SECRET_STORE_H_

#include <map>
#include <optional>
#include <string>

#include "core/inventory.h"
#include "core/status.h"

namespace fleetcast {

class SecretStore {
 public:
  /// Reads the secrets file; an empty path means the environment only.
  static Result<SecretStore> Load(const std::string& file);

  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const { return Get(name).has_value(); }

  /// The passwords a node names; missing ones are empty (the probe reports them).
  NodeSecrets For(const NodeSpec& node) const;

  /// "FLEETCAST_SECRET_JOIN" for "join".
  static std::string EnvironmentName(const std::string& name);

 private:
  std::map<std::string, std::string> file_values_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_SECRET_STORE_H_
