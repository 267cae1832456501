#include "server/inventory_loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/inf_parser.h"
#include "core/inventory_check.h"
#include "core/inventory_parser.h"
#include "core/mass_storage.h"

namespace fleetcast {

namespace fs = std::filesystem;

namespace {

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot read it; give the path of nodes.toml");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// An INF the client could not read would fail that node after its disk was
// written: every INF is parsed here, the way the client will.
std::optional<std::string> InfProblem(const std::string& shown, const fs::path& inf,
                                      const fs::path& root, size_t* models) {
  Result<std::string> text = ReadText(inf.string());
  const std::string name = "'" + shown + "/" + fs::relative(inf, root).generic_string() + "'";
  if (!text.ok()) return name + ": cannot read it";
  Result<InfFile> parsed = ParseInf(*text);
  if (!parsed.ok()) return name + ": " + parsed.status().message();
  Result<std::vector<DriverModel>> found =
      ModelsOfInf(*parsed, fs::relative(inf, root).generic_string());
  if (!found.ok()) return name + ": " + found.status().message();
  *models += found->size();
  return std::nullopt;
}

std::optional<std::string> CatalogProblem(const std::string& shown, const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "'" + shown + "' does not exist (" + path.string() + ")";
  if (!fs::is_directory(path, ec)) return "'" + shown + "' is not a directory of drivers";
  size_t infs = 0, models = 0;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    if (!entry.is_regular_file() || LowerAscii(entry.path().extension().string()) != ".inf") {
      continue;
    }
    ++infs;
    if (auto problem = InfProblem(shown, entry.path(), path, &models)) return problem;
  }
  if (ec) return "'" + shown + "': " + ec.message();
  if (infs == 0) {
    return "'" + shown + "' holds no .inf file; a catalog is folders of drivers with their INFs";
  }
  if (models == 0) return "'" + shown + "': no INF there lists a device (PCI hardware ID)";
  return std::nullopt;
}

}  // namespace

std::string LoadedInventory::CatalogPath(const NodeSpec& node) const {
  if (node.drivers.empty()) return "";
  const fs::path catalog(node.drivers);
  return catalog.is_absolute() ? catalog.string() : (fs::path(base_dir) / catalog).string();
}

Result<LoadedInventory> LoadInventory(const std::string& nodes_path,
                                      const std::string& secrets_path) {
  Result<std::string> text = ReadText(nodes_path);
  if (!text.ok()) return text.status();
  Result<InventoryParse> parsed = ParseInventory(*text, nodes_path);
  if (!parsed.ok()) return parsed.status();
  Result<SecretStore> secrets = SecretStore::Load(secrets_path);
  if (!secrets.ok()) return secrets.status();

  LoadedInventory out;
  out.path = nodes_path;
  out.base_dir = fs::absolute(nodes_path).parent_path().string();
  out.inventory = std::move(parsed->inventory);
  out.secrets = std::move(*secrets);
  out.problems = std::move(parsed->problems);

  CheckEnvironment env;
  env.secret_problem = [&out](const std::string& name) -> std::optional<std::string> {
    if (const auto value = out.secrets.Get(name)) {
      if (value->find_first_of("\r\n") == std::string::npos) return std::nullopt;
      return "secret '" + name + "' spans lines; answer files take a password on one line";
    }
    return "secret '" + name + "' is not set; export " + SecretStore::EnvironmentName(name) +
           " or add " + name + " = \"...\" to the --secrets file";
  };
  env.catalog_problem = [&out](const std::string& path) {
    NodeSpec probe;
    probe.drivers = path;
    return CatalogProblem(path, out.CatalogPath(probe));
  };
  for (Problem& p : CheckInventory(out.inventory, env)) out.problems.push_back(std::move(p));
  std::stable_sort(out.problems.begin(), out.problems.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  return out;
}

}  // namespace fleetcast
