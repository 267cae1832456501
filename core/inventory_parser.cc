#include "core/inventory_parser.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <string>

namespace fleetcast {

namespace {

constexpr std::array<std::string_view, 3> kPerNodeOnly = {"hostname", "mac", "ip"};
const std::map<std::string_view, int> kGroupKeys = {
    {"up", 0}, {"timeout", 0}, {"wave", 0}, {"commands", 0}};

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

template <typename Known>
std::string UnknownKeyMessage(std::string_view key, const Known& known) {
  std::string_view best;
  size_t best_distance = 3;
  for (const auto& [k, unused] : known) {
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

// How each node key is read into the spec; the keys double as the list for
// "did you mean".
using NodeSetter =
    std::function<void(TableReader&, std::string_view, const toml::node&, NodeSpec*)>;

NodeSetter StringField(std::string NodeSpec::*field) {
  return [field](TableReader& r, std::string_view k, const toml::node& v, NodeSpec* n) {
    r.String(v, k, &(n->*field));
  };
}
NodeSetter IntField(int NodeSpec::*field) {
  return [field](TableReader& r, std::string_view k, const toml::node& v, NodeSpec* n) {
    r.Int(v, k, &(n->*field));
  };
}
NodeSetter ListField(std::vector<std::string> NodeSpec::*field) {
  return [field](TableReader& r, std::string_view k, const toml::node& v, NodeSpec* n) {
    r.Strings(v, k, &(n->*field));
  };
}
NodeSetter Special(void (*set)(TableReader&, const toml::node&, NodeSpec*)) {
  return
      [set](TableReader& r, std::string_view, const toml::node& v, NodeSpec* n) { set(r, v, n); };
}

const std::map<std::string_view, NodeSetter>& NodeSetters() {
  static const std::map<std::string_view, NodeSetter> setters = {
      {"hostname", StringField(&NodeSpec::hostname)},
      {"mac", StringField(&NodeSpec::mac)},
      {"ip", Special(SetIp)},
      {"prefix", IntField(&NodeSpec::prefix)},
      {"gateway", StringField(&NodeSpec::gateway)},
      {"dns", ListField(&NodeSpec::dns)},
      {"domain", StringField(&NodeSpec::domain)},
      {"workgroup", StringField(&NodeSpec::workgroup)},
      {"domain_admin", StringField(&NodeSpec::domain_admin)},
      {"admin_password_secret", StringField(&NodeSpec::admin_password_secret)},
      {"domain_password_secret", StringField(&NodeSpec::domain_password_secret)},
      {"group", StringField(&NodeSpec::group)},
      {"boot_order", IntField(&NodeSpec::boot_order)},
      {"flavour", Special(SetFlavour)},
      {"drivers", StringField(&NodeSpec::drivers)},
      {"disk", StringField(&NodeSpec::disk)},
      {"setup_commands", ListField(&NodeSpec::setup_commands)},
      {"commands", ListField(&NodeSpec::commands)},
      {"timezone", Special(SetTimezone)},
      {"full_name", StringField(&NodeSpec::full_name)},
      {"organization", StringField(&NodeSpec::organization)},
      {"product_key", StringField(&NodeSpec::product_key)},
      {"license_mode", StringField(&NodeSpec::license_mode)},
      {"auto_users", IntField(&NodeSpec::auto_users)},
  };
  return setters;
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
    const auto setter = NodeSetters().find(k);
    if (setter != NodeSetters().end()) {
      setter->second(reader, k, value, node);
    } else {
      reader.Report(value, k, UnknownKeyMessage(k, NodeSetters()));
    }
  }
}

GroupSpec ReadGroup(std::string name, const toml::table& table, std::vector<Problem>* problems) {
  GroupSpec group;
  group.name = std::move(name);
  group.source_line = LineOf(table);
  TableReader reader(problems, "group " + group.name);
  for (const auto& [key, value] : table) {
    const std::string_view k = key.str();
    if (k == "up") {
      reader.String(value, k, &group.up);
    } else if (k == "timeout") {
      reader.Int(value, k, &group.timeout_s);
    } else if (k == "wave") {
      reader.Int(value, k, &group.wave);
    } else if (k == "commands") {
      reader.Strings(value, k, &group.commands);
    } else {
      reader.Report(value, k, UnknownKeyMessage(k, kGroupKeys));
    }
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
