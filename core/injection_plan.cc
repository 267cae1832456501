#include "core/injection_plan.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "core/answer_set.h"
#include "core/inf_parser.h"
#include "core/inventory.h"

namespace fleetcast {

namespace {

constexpr std::string_view kScsiAdapterClass = "{4D36E97B-E325-11CE-BFC1-08002BE10318}";
constexpr std::string_view kNoCloudSeed = "/var/lib/cloud/seed/nocloud/";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool IsInf(std::string_view path) {
  return path.size() > 4 && LowerAscii(path.substr(path.size() - 4)) == ".inf";
}

std::string DirOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(path.substr(0, slash + 1));
}

std::string FileName(std::string_view path) {
  const size_t slash = path.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Every driver model of every INF under drivers/ in the answer set.
Result<std::vector<DriverModel>> CatalogModels(const control::Identity& answers) {
  std::vector<DriverModel> models;
  for (const control::AnswerFile& file : answers.files) {
    if (!StartsWith(file.path, kDriversDir) || !IsInf(file.path)) continue;
    const std::string relative = file.path.substr(kDriversDir.size());
    Result<InfFile> inf = ParseInf(
        std::string_view(reinterpret_cast<const char*>(file.data.data()), file.data.size()));
    if (!inf.ok()) return inf.status().Prefixed(file.path);
    Result<std::vector<DriverModel>> found = ModelsOfInf(*inf, relative);
    if (!found.ok()) return found.status();
    models.insert(models.end(), found->begin(), found->end());
  }
  return models;
}

// The answer-set path of a driver's service binary, found beside its INF.
std::string BinaryPath(const control::Identity& answers, const DriverModel& model) {
  const std::string dir = std::string(kDriversDir) + DirOf(model.inf_path);
  const std::string name = LowerAscii(FileName(model.service_binary));
  for (const control::AnswerFile& file : answers.files) {
    if (StartsWith(file.path, dir) && LowerAscii(FileName(file.path)) == name) return file.path;
  }
  return "";
}

DriverRegistration Registration(const control::Identity& answers, const DriverModel& model,
                                const std::string& hardware_id) {
  DriverRegistration r;
  r.hardware_id = hardware_id;
  r.class_guid = model.class_guid.empty() ? std::string(kScsiAdapterClass) : model.class_guid;
  r.service = model.service_name;
  r.image_path = "system32\\DRIVERS\\" + FileName(model.service_binary);
  r.group = model.load_order_group;
  if (model.start_type >= 0) r.start = static_cast<uint32_t>(model.start_type);
  if (model.service_type >= 0) r.type = static_cast<uint32_t>(model.service_type);
  if (model.error_control >= 0) r.error_control = static_cast<uint32_t>(model.error_control);
  r.binary_path = BinaryPath(answers, model);
  return r;
}

// Answer paths become paths on the new disk: none may climb out of its folder.
bool SafeRelative(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool IsSeedFile(std::string_view name) {
  return name == "meta-data" || name == "user-data" || name == "network-config" ||
         name == "vendor-data";
}

std::string Text(const Bytes& data) { return std::string(data.begin(), data.end()); }

// sysprep.inf with [SysprepMassStorage], and the matched drivers' folders
// copied to C:\Sysprep\Drivers, registered for the hive where possible.
Status PlanSysprep(const control::Identity& answers, const control::AnswerFile& inf,
                   const std::vector<PciDevice>& devices, InjectionPlan* plan) {
  Result<std::vector<DriverModel>> models = CatalogModels(answers);
  if (!models.ok()) return models.status();
  plan->mass_storage = MatchMassStorage(*models, devices, kSysprepDriversRoot);
  // With a catalog the section is written even when empty: nothing matched.
  const std::string text =
      models->empty() ? Text(inf.data) : AppendMassStorage(Text(inf.data), plan->mass_storage);
  plan->files.push_back({TargetFs::kNtfs, "/Sysprep/sysprep.inf", Bytes(text.begin(), text.end())});
  std::set<std::string> dirs;
  for (const MassStorageEntry& entry : plan->mass_storage) {
    dirs.insert(std::string(kDriversDir) + DirOf(entry.model.inf_path));
    if (!entry.model.service_name.empty() && !entry.model.service_binary.empty()) {
      plan->drivers.push_back(Registration(answers, entry.model, entry.hardware_id));
    }
  }
  for (const control::AnswerFile& file : answers.files) {
    const auto in_dir = [&](const std::string& dir) { return StartsWith(file.path, dir); };
    if (std::any_of(dirs.begin(), dirs.end(), in_dir)) {
      plan->files.push_back(
          {TargetFs::kNtfs, "/Sysprep/Drivers/" + file.path.substr(kDriversDir.size()), file.data});
    }
  }
  return Status::OK();
}

}  // namespace

bool InjectionPlan::NeedsFs(TargetFs fs) const {
  return std::any_of(files.begin(), files.end(), [fs](const PlannedFile& f) { return f.fs == fs; });
}

Result<InjectionPlan> PlanInjection(const control::Identity& answers,
                                    const std::vector<PciDevice>& devices) {
  InjectionPlan plan;
  plan.hostname = answers.hostname;
  for (const control::AnswerFile& file : answers.files) {
    const std::string_view path = file.path;
    if (!SafeRelative(path)) {
      return Status::InvalidArgument("answers: '" + file.path +
                                     "' is not a plain relative path; refusing to write it");
    }
    if (path == kSysprepInfPath) {
      if (Status s = PlanSysprep(answers, file, devices, &plan); !s.ok()) return s;
    } else if (path == kCmdlinesPath) {
      plan.files.push_back({TargetFs::kNtfs, "/Sysprep/i386/$OEM$/cmdlines.txt", file.data});
    } else if (path == kUnattendPath) {
      plan.files.push_back({TargetFs::kNtfs, "/Windows/Panther/unattend.xml", file.data});
    } else if (StartsWith(path, kNoCloudDir) && IsSeedFile(path.substr(kNoCloudDir.size()))) {
      // user-data may carry a password: root only.
      const std::string name(path.substr(kNoCloudDir.size()));
      plan.files.push_back({TargetFs::kExt, std::string(kNoCloudSeed) + name, file.data,
                            name == "user-data" ? 0600u : 0644u});
    } else if (!StartsWith(path, kDriversDir)) {
      return Status::InvalidArgument("answers: '" + file.path +
                                     "' is not an answer file fleetcast writes; remove it");
    }
  }
  if (plan.files.empty()) {
    return Status::InvalidArgument(
        "answers: no sysprep.inf, unattend.xml or nocloud/ seed; "
        "render them with fleetcast-server probe --answers-out");
  }
  return plan;
}

}  // namespace fleetcast
