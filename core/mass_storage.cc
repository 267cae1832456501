#include "core/mass_storage.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

namespace fleetcast {
namespace {

std::string Hex(uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, value);
  return buf;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Where(const std::string& inf_path, const InfLine& line) {
  return inf_path + ":" + std::to_string(line.line_number);
}

// A number as INFs write them: decimal or 0x hex.
Result<int64_t> ParseNumber(const std::string& inf_path, const InfLine& line) {
  const std::string& text = line.Value(0);
  char* end = nullptr;
  const long long value = text.empty() ? 0 : std::strtoll(text.c_str(), &end, 0);
  if (text.empty() || *end != '\0') {
    return Status::Corruption(Where(inf_path, line) + ": " + line.key + " '" + text +
                              "' is not a number; fix the INF or leave the driver out");
  }
  return static_cast<int64_t>(value);
}

// Which decorated sections Windows XP/2003 on x86 would prefer come first.
int DecorationRank(std::string_view decoration) {
  const std::string d = Upper(decoration);
  if (d.starts_with("NTX86")) return 0;
  if (d == "NT" || d.starts_with("NT.")) return 1;
  if (d.empty()) return 2;
  return 3;
}

struct ModelsSection {
  const InfSection* section;
  std::string decoration;  // "" for the undecorated section
};

// The models sections one [Manufacturer] line names that exist. The bare form
// `manufacturer-name` names its models section by itself.
std::vector<ModelsSection> ModelsSectionsOf(const InfFile& inf, const InfLine& line) {
  const std::string& base = line.Value(0);
  std::vector<ModelsSection> found;
  if (const InfSection* s = inf.Section(base)) found.push_back({s, ""});
  for (size_t i = 1; i < line.values.size() && !line.key.empty(); ++i) {
    const std::string decoration(Trim(line.values[i]));
    const std::string suffix = "." + decoration;
    if (const InfSection* s = inf.Section(base + suffix)) found.push_back({s, decoration});
  }
  std::stable_sort(found.begin(), found.end(), [](const ModelsSection& a, const ModelsSection& b) {
    return DecorationRank(a.decoration) < DecorationRank(b.decoration);
  });
  return found;
}

// The install section's .Services section, decorated as Windows would look for it.
const InfSection* ServicesSectionOf(const InfFile& inf, const std::string& install,
                                    const std::string& decoration) {
  std::vector<std::string> suffixes = {".NTx86", ".NT", ""};
  if (!decoration.empty()) suffixes.insert(suffixes.begin(), "." + decoration);
  for (const std::string& suffix : suffixes) {
    if (const InfSection* s = inf.Section(install + suffix + ".Services")) return s;
  }
  return nullptr;
}

// The AddService line of the function driver (flag 0x2), else the first one.
const InfLine* MainAddService(const InfSection& services) {
  const InfLine* first = nullptr;
  for (const InfLine& line : services.lines) {
    if (!InfEqual(line.key, "AddService")) continue;
    if (first == nullptr) first = &line;
    if ((std::strtol(line.Value(1).c_str(), nullptr, 0) & 0x2) != 0) return &line;
  }
  return first;
}

Status ReadServiceInstall(const InfSection& section, DriverModel* model) {
  model->service_binary = section.ValueOf("ServiceBinary");
  model->load_order_group = section.ValueOf("LoadOrderGroup");
  const std::pair<const char*, int64_t*> numbers[] = {{"ServiceType", &model->service_type},
                                                      {"StartType", &model->start_type},
                                                      {"ErrorControl", &model->error_control}};
  for (const auto& [key, field] : numbers) {
    const InfLine* line = section.Find(key);
    if (line == nullptr) continue;
    Result<int64_t> n = ParseNumber(model->inf_path, *line);
    if (!n.ok()) return n.status();
    *field = *n;
  }
  return Status::OK();
}

Status ReadService(const InfFile& inf, const std::string& decoration, DriverModel* model) {
  const InfSection* services = ServicesSectionOf(inf, model->install_section, decoration);
  const InfLine* add = services == nullptr ? nullptr : MainAddService(*services);
  if (add == nullptr) return Status::OK();
  model->service_name = add->Value(0);
  const InfSection* install = inf.Section(add->Value(2));
  return install == nullptr ? Status::OK() : ReadServiceInstall(*install, model);
}

// The first line of the .x86 section with that key, else of the plain one;
// with an empty key, the first line of either.
const InfLine* FindDecorated(const InfFile& inf, const std::string& section,
                             const std::string& key) {
  for (const std::string& name : {section + ".x86", section}) {
    const InfSection* s = inf.Section(name);
    if (s == nullptr || s->lines.empty()) continue;
    if (key.empty()) return &s->lines.front();
    if (const InfLine* line = s->Find(key)) return line;
  }
  return nullptr;
}

void ReadDisk(const InfFile& inf, DriverModel* model) {
  const std::string& binary = model->service_binary;
  const std::string file = binary.substr(binary.find_last_of('\\') + 1);
  const InfLine* source = file.empty() ? nullptr : FindDecorated(inf, "SourceDisksFiles", file);
  const InfLine* disk =
      source == nullptr ? nullptr : FindDecorated(inf, "SourceDisksNames", source->Value(0));
  if (disk == nullptr) disk = FindDecorated(inf, "SourceDisksNames", "");
  model->disk_dir = "\\";
  if (disk == nullptr) return;
  model->disk_description = disk->Value(0);
  const std::string& tag = disk->Value(1);
  if (!tag.empty()) model->disk_tag = tag.starts_with('\\') ? tag : "\\" + tag;
  const std::string& path = disk->Value(3);
  if (!path.empty()) model->disk_dir = path.starts_with('\\') ? path : "\\" + path;
}

// One DriverModel per device ID of a models line.
Status AddModelLine(const InfFile& inf, const InfLine& line, const ModelsSection& from,
                    DriverModel common, std::vector<DriverModel>* models) {
  common.description = line.key;
  common.install_section = line.Value(0);
  if (common.install_section.empty()) {
    return Status::Corruption(Where(common.inf_path, line) + ": models line '" + line.key +
                              "' names no install section; fix the INF or leave it out");
  }
  if (Status s = ReadService(inf, from.decoration, &common); !s.ok()) return s;
  ReadDisk(inf, &common);
  for (size_t i = 1; i < line.values.size(); ++i) {
    if (line.values[i].empty()) continue;
    DriverModel model = common;
    model.hardware_id = line.values[i];
    model.compatible = i > 1;
    models->push_back(std::move(model));
  }
  return Status::OK();
}

std::string InstallPath(std::string_view root, std::string_view relative) {
  while (root.ends_with('\\')) root.remove_suffix(1);
  std::string rel(relative);
  std::replace(rel.begin(), rel.end(), '/', '\\');
  while (rel.starts_with(".\\")) rel.erase(0, 2);
  while (rel.starts_with('\\')) rel.erase(0, 1);
  return std::string(root) + "\\" + rel;
}

// Windows' driver rank, lower is better: which kinds of ID matched, then how
// specific the device's ID is.
int MatchRank(size_t device_id_index, bool inf_compatible) {
  const int group = (device_id_index >= kPciHardwareIdCount ? 2 : 0) + (inf_compatible ? 1 : 0);
  return group * 0x1000 + static_cast<int>(device_id_index);
}

const DriverModel* BestModel(const std::vector<DriverModel>& models, const PciDevice& device) {
  const std::vector<std::string> ids = HardwareIdsOf(device);
  const DriverModel* best = nullptr;
  int best_rank = 0;
  for (const DriverModel& model : models) {
    for (size_t k = 0; k < ids.size(); ++k) {
      if (!InfEqual(model.hardware_id, ids[k])) continue;
      const int rank = MatchRank(k, model.compatible);
      if (best == nullptr || rank < best_rank) {
        best = &model;
        best_rank = rank;
      }
    }
  }
  return best;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool IsMassStorageHeader(std::string_view line) {
  line = Trim(line);
  const size_t close = line.find(']');
  return line.starts_with('[') && close != std::string_view::npos &&
         InfEqual(Trim(line.substr(1, close - 1)), "SysprepMassStorage");
}

}  // namespace

std::vector<std::string> HardwareIdsOf(const PciDevice& d) {
  const std::string ven = "PCI\\VEN_" + Hex(d.vendor, 4);
  const std::string dev = ven + "&DEV_" + Hex(d.device, 4);
  const std::string subsys = dev + "&SUBSYS_" + Hex(d.subsys_device, 4) + Hex(d.subsys_vendor, 4);
  const std::string rev = "&REV_" + Hex(d.revision, 2);
  const std::string cc_full = "CC_" + Hex(d.class_code & 0xFFFFFF, 6);
  const std::string cc_class = "CC_" + Hex((d.class_code >> 8) & 0xFFFF, 4);
  return {subsys + rev,
          subsys,
          dev + rev,
          dev,
          dev + "&" + cc_full,
          dev + "&" + cc_class,
          ven + "&" + cc_full,
          ven + "&" + cc_class,
          ven,
          "PCI\\" + cc_full,
          "PCI\\" + cc_class};
}

Result<std::vector<DriverModel>> ModelsOfInf(const InfFile& inf, std::string inf_path) {
  std::vector<DriverModel> models;
  const InfSection* manufacturer = inf.Section("Manufacturer");
  if (manufacturer == nullptr) return models;
  DriverModel common;
  common.inf_path = std::move(inf_path);
  if (const InfSection* version = inf.Section("Version")) {
    common.class_guid = version->ValueOf("ClassGUID");
  }
  for (const InfLine& mfg : manufacturer->lines) {
    for (const ModelsSection& from : ModelsSectionsOf(inf, mfg)) {
      for (const InfLine& line : from.section->lines) {
        if (Status s = AddModelLine(inf, line, from, common, &models); !s.ok()) return s;
      }
    }
  }
  return models;
}

std::vector<MassStorageEntry> MatchMassStorage(const std::vector<DriverModel>& models,
                                               const std::vector<PciDevice>& devices,
                                               std::string_view install_root) {
  std::vector<MassStorageEntry> entries;
  std::set<std::string> listed;  // upper-case hardware IDs
  for (const PciDevice& device : devices) {
    const DriverModel* model = BestModel(models, device);
    if (model == nullptr || !listed.insert(Upper(model->hardware_id)).second) continue;
    entries.push_back({model->hardware_id, InstallPath(install_root, model->inf_path),
                       model->disk_dir, model->disk_description, model->disk_tag, *model});
  }
  return entries;
}

std::string RenderMassStorageSection(const std::vector<MassStorageEntry>& entries) {
  std::string out = "[SysprepMassStorage]\r\n";
  for (const MassStorageEntry& e : entries) {
    out += e.hardware_id + " = " + Quote(e.inf_path);
    if (!e.disk_description.empty() || !e.disk_tag.empty()) {
      out += ", " + Quote(e.disk_dir) + ", " + Quote(e.disk_description) + ", " + Quote(e.disk_tag);
    }
    out += "\r\n";
  }
  return out;
}

std::string AppendMassStorage(std::string_view sysprep_inf,
                              const std::vector<MassStorageEntry>& entries) {
  std::string out;
  std::string blanks;  // blank lines at the end of a replaced section, kept as spacing
  bool placed = false;
  bool replacing = false;
  while (!sysprep_inf.empty()) {
    const size_t end = std::min(sysprep_inf.find('\n'), sysprep_inf.size() - 1) + 1;
    const std::string_view line = sysprep_inf.substr(0, end);
    sysprep_inf.remove_prefix(end);
    const bool header = Trim(line).starts_with('[');
    if (header) replacing = IsMassStorageHeader(line);
    if (header && replacing) {
      if (!placed) out += RenderMassStorageSection(entries);
      placed = true;
    } else if (replacing) {
      if (Trim(line).empty()) {
        blanks += line;
      } else {
        blanks.clear();
      }
    } else {
      out += std::exchange(blanks, {}) + std::string(line);
    }
  }
  out += blanks;
  if (placed) return out;
  if (!out.empty() && !out.ends_with('\n')) out += "\r\n";
  return out + RenderMassStorageSection(entries);
}

}  // namespace fleetcast
