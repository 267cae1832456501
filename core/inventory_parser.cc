#include "core/inventory_parser.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <string>

namespace fleetcast {

namespace {

constexpr std::array<std::string_view, 23> kNodeKeys = {
    "hostname",
    "mac",
    "ip",
    "prefix",
    "gateway",
    "dns",
    "domain",
    "workgroup",
    "domain_admin",
    "admin_password_secret",
    "domain_password_secret",
    "group",
    "boot_order",
    "flavour",
    "drivers",
    "setup_commands",
    "commands",
    "timezone",
    "full_name",
    "organization",
    "product_key",
    "license_mode",
    "auto_users",
};
constexpr std::array<std::string_view, 3> kPerNodeOnly = {"hostname", "mac", "ip"};
constexpr std::array<std::string_view, 4> kGroupKeys = {"up", "timeout", "wave", "commands"};

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

// Edit distance, for "did you mean" on a misspelt key.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

template <size_t N>
std::string UnknownKeyMessage(std::string_view key, const std::array<std::string_view, N>& known) {
  std::string_view best;
  size_t best_distance = 3;
  for (const std::string_view k : known) {
    const size_t d = Distance(key, k);
    if (d < best_distance) best = k, best_distance = d;
  }
  if (!best.empty()) return "unknown key; did you mean '" + std::string(best) + "'?";
  return "unknown key; see docs/inventory.md for the keys";
}

// Reads the keys of one table into a NodeSpec or GroupSpec, recording problems.
class TableReader {
 public:
  TableReader(std::vector<Problem>* problems, std::string subject)
      : problems_(problems), subject_(std::move(subject)) {}

  void Report(const toml::node& at, std::string_view key, std::string message) {
    problems_->push_back({LineOf(at), subject_, std::string(key), std::move(message)});
  }

  void String(const toml::node& value, std::string_view key, std::string* out) {
    if (const auto* s = value.as_string()) {
      *out = s->get();
    } else {
      Report(value, key, "expected a string in quotes");
    }
  }

  void Int(const toml::node& value, std::string_view key, int* out) {
    const auto* i = value.as_integer();
    if (i == nullptr || i->get() < INT32_MIN || i->get() > INT32_MAX) {
      Report(value, key, "expected a whole number");
      return;
    }
    *out = static_cast<int>(i->get());
  }

  void Strings(const toml::node& value, std::string_view key, std::vector<std::string>* out) {
    const auto* array = value.as_array();
    if (array == nullptr) {
      Report(value, key, "expected a list of strings, e.g. [\"a\", \"b\"]");
      return;
    }
    out->clear();
    for (const toml::node& element : *array) {
      if (const auto* s = element.as_string()) {
        out->push_back(s->get());
      } else {
        Report(element, key, "expected a list of strings, e.g. [\"a\", \"b\"]");
      }
    }
  }

 private:
  std::vector<Problem>* problems_;
  std::string subject_;
};

// The address may carry its prefix: ip = "10.0.0.5/24".
void SetIp(TableReader& reader, const toml::node& value, NodeSpec* node) {
  std::string text;
  reader.String(value, "ip", &text);
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    node->ip = text;
    return;
  }
  node->ip = text.substr(0, slash);
  const std::string prefix = text.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 2 ||
      !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    reader.Report(value, "ip", "'" + text + "' has a bad prefix; write it as 10.0.0.5/24");
    return;
  }
  node->prefix = std::stoi(prefix);
}

void SetTimezone(TableReader& reader, const toml::node& value, NodeSpec* node) {
  if (const auto* i = value.as_integer()) {
    node->timezone = std::to_string(i->get());
  } else {
    reader.String(value, "timezone", &node->timezone);
  }
}

void SetFlavour(TableReader& reader, const toml::node& value, NodeSpec* node) {
  std::string name;
  reader.String(value, "flavour", &name);
  if (const auto flavour = ParseFlavour(name)) {
    node->flavour = *flavour;
  } else if (value.is_string()) {
    reader.Report(value, "flavour",
                  "'" + name + "' is not one of sysprep-inf, unattend-xml, cloud-init");
  }
}

// One key of a node (or of [defaults]) into the spec.
bool SetNodeKey(TableReader& r, std::string_view key, const toml::node& v, NodeSpec* n) {
  if (key == "hostname")
    r.String(v, key, &n->hostname);
  else if (key == "mac")
    r.String(v, key, &n->mac);
  else if (key == "ip")
    SetIp(r, v, n);
  else if (key == "prefix")
    r.Int(v, key, &n->prefix);
  else if (key == "gateway")
    r.String(v, key, &n->gateway);
  else if (key == "dns")
    r.Strings(v, key, &n->dns);
  else if (key == "domain")
    r.String(v, key, &n->domain);
  else if (key == "workgroup")
    r.String(v, key, &n->workgroup);
  else if (key == "domain_admin")
    r.String(v, key, &n->domain_admin);
  else if (key == "admin_password_secret")
    r.String(v, key, &n->admin_password_secret);
  else if (key == "domain_password_secret")
    r.String(v, key, &n->domain_password_secret);
  else if (key == "group")
    r.String(v, key, &n->group);
  else if (key == "boot_order")
    r.Int(v, key, &n->boot_order);
  else if (key == "flavour")
    SetFlavour(r, v, n);
  else if (key == "drivers")
    r.String(v, key, &n->drivers);
  else if (key == "setup_commands")
    r.Strings(v, key, &n->setup_commands);
  else if (key == "commands")
    r.Strings(v, key, &n->commands);
  else if (key == "timezone")
    SetTimezone(r, v, n);
  else if (key == "full_name")
    r.String(v, key, &n->full_name);
  else if (key == "organization")
    r.String(v, key, &n->organization);
  else if (key == "product_key")
    r.String(v, key, &n->product_key);
  else if (key == "license_mode")
    r.String(v, key, &n->license_mode);
  else if (key == "auto_users")
    r.Int(v, key, &n->auto_users);
  else
    return false;
  return true;
}

void ReadNodeTable(const toml::table& table, TableReader& reader, NodeSpec* node,
                   bool is_defaults) {
  for (const auto& [key, value] : table) {
    const std::string_view k = key.str();
    if (is_defaults &&
        std::find(kPerNodeOnly.begin(), kPerNodeOnly.end(), k) != kPerNodeOnly.end()) {
      reader.Report(value, k, "differs per node; set it in each [[nodes]] table");
      continue;
    }
    if (!SetNodeKey(reader, k, value, node))
      reader.Report(value, k, UnknownKeyMessage(k, kNodeKeys));
  }
}

GroupSpec ReadGroup(std::string name, const toml::table& table, std::vector<Problem>* problems) {
  GroupSpec group;
  group.name = std::move(name);
  group.source_line = LineOf(table);
  TableReader reader(problems, "group " + group.name);
  for (const auto& [key, value] : table) {
    const std::string_view k = key.str();
    if (k == "up")
      reader.String(value, k, &group.up);
    else if (k == "timeout")
      reader.Int(value, k, &group.timeout_s);
    else if (k == "wave")
      reader.Int(value, k, &group.wave);
    else if (k == "commands")
      reader.Strings(value, k, &group.commands);
    else
      reader.Report(value, k, UnknownKeyMessage(k, kGroupKeys));
  }
  return group;
}

void ReadGroups(const toml::node& node, InventoryParse* out) {
  const auto* groups = node.as_table();
  if (groups == nullptr) {
    out->problems.push_back({LineOf(node), "groups", "", "expected tables, e.g. [groups.sql]"});
    return;
  }
  for (const auto& [key, value] : *groups) {
    const auto* table = value.as_table();
    if (table == nullptr) {
      out->problems.push_back({LineOf(value), "group " + std::string(key.str()), "",
                               "expected a table, e.g. [groups.sql]"});
      continue;
    }
    out->inventory.groups[std::string(key.str())] =
        ReadGroup(std::string(key.str()), *table, &out->problems);
  }
}

void ReadNodes(const toml::node& node, const NodeSpec& defaults, InventoryParse* out) {
  const auto* nodes = node.as_array();
  if (nodes == nullptr) {
    out->problems.push_back({LineOf(node), "nodes", "", "expected [[nodes]] tables"});
    return;
  }
  for (size_t i = 0; i < nodes->size(); ++i) {
    const auto* table = (*nodes)[i].as_table();
    const std::string index = "nodes[" + std::to_string(i + 1) + "]";
    if (table == nullptr) {
      out->problems.push_back({LineOf((*nodes)[i]), index, "", "expected a [[nodes]] table"});
      continue;
    }
    NodeSpec spec = defaults;
    spec.source_line = LineOf(*table);
    const auto* hostname = table->get_as<std::string>("hostname");
    TableReader reader(&out->problems,
                       hostname != nullptr ? "node " + hostname->get() : "node " + index);
    ReadNodeTable(*table, reader, &spec, false);
    if (const auto mac = NormalizeMac(spec.mac)) spec.mac = *mac;
    out->inventory.nodes.push_back(std::move(spec));
  }
}

}  // namespace

Result<InventoryParse> ParseInventory(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(where.line) + ":" +
                                   std::to_string(where.column) + ": " +
                                   std::string(e.description()) + "; fix the TOML syntax");
  }
  InventoryParse out;
  NodeSpec defaults;
  defaults.workgroup = "WORKGROUP";
  for (const auto& [key, value] : root) {
    const std::string_view k = key.str();
    if (k == "defaults" && value.is_table()) {
      TableReader reader(&out.problems, "defaults");
      ReadNodeTable(*value.as_table(), reader, &defaults, true);
    } else if (k != "defaults" && k != "groups" && k != "nodes") {
      out.problems.push_back({LineOf(value), std::string(k), "",
                              "unknown table; nodes.toml has [defaults], [groups.NAME] and "
                              "[[nodes]]"});
    }
  }
  if (const auto* groups = root.get("groups")) ReadGroups(*groups, &out);
  if (const auto* nodes = root.get("nodes")) ReadNodes(*nodes, defaults, &out);
  if (out.inventory.nodes.empty()) {
    out.problems.push_back({0, "nodes", "", "no [[nodes]] table; list the lab's machines"});
  }
  return out;
}

}  // namespace fleetcast
