#include "client/identity_injector.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>

#include "client/pci_devices.h"
#include "core/injection_plan.h"
#include "core/partition_table.h"
#include "platform/ext_volume.h"
#include "platform/file.h"
#include "platform/ntfs_volume.h"
#include "platform/system_hive.h"

namespace fleetcast {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSystemHive = "/Windows/System32/config/SYSTEM";
constexpr size_t kProbeBytes = 4096;

struct Volume {
  Partition partition;
  FsKind kind = FsKind::kUnknown;
};

std::string Where(const std::string& target, const Partition& p) {
  return p.number == 0 ? target : target + " partition " + std::to_string(p.number);
}

Result<std::vector<Volume>> FindVolumes(const std::string& target) {
  Result<File> file = File::OpenRead(target);
  if (!file.ok()) return file.status();
  const DiskReader read = [&](uint64_t offset, std::span<uint8_t> out) {
    return file->ReadAt(offset, out);
  };
  Result<std::vector<Partition>> partitions = ReadPartitionTable(read, file->size());
  if (!partitions.ok()) return partitions.status().Prefixed(target);
  std::vector<Volume> volumes;
  std::array<uint8_t, kProbeBytes> head{};
  for (const Partition& p : *partitions) {
    if (p.size < kProbeBytes || !read(p.offset, head).ok()) continue;
    volumes.push_back({p, DetectFilesystem(head)});
  }
  return volumes;
}

// The volume of `kind` that holds `marker` (the system's own folder), else
// the first of that kind: a disk may carry a recovery or data partition too.
template <typename VolumeType>
std::optional<Partition> PickVolume(const std::string& target, const std::vector<Volume>& volumes,
                                    FsKind kind, std::string_view marker) {
  std::optional<Partition> first;
  for (const Volume& v : volumes) {
    if (v.kind != kind) continue;
    if (!first) first = v.partition;
    auto opened = VolumeType::Open(target, v.partition.offset, v.partition.size, false);
    if (opened.ok() && (*opened)->Exists(marker)) return v.partition;
  }
  return first;
}

std::string Size(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, bytes < 10240 ? "%.0f B" : "%.0f KiB",
                bytes < 10240 ? static_cast<double>(bytes) : static_cast<double>(bytes) / 1024);
  return text;
}

Status RegisterDrivers(NtfsVolume& volume, const control::Identity& answers,
                       const InjectionPlan& plan, InjectReport* report) {
  Result<Bytes> hive_bytes = volume.ReadFile(kSystemHive);
  if (!hive_bytes.ok()) return hive_bytes.status();
  Result<std::unique_ptr<SystemHive>> hive = SystemHive::OpenBytes(*hive_bytes, true, kSystemHive);
  if (!hive.ok()) return hive.status();
  for (const DriverRegistration& d : plan.drivers) {
    const SystemHive::CriticalDevice device{d.hardware_id, d.class_guid,   d.service,
                                            d.image_path,  d.group,        d.start,
                                            d.type,        d.error_control};
    if (Status s = (*hive)->RegisterCriticalDevice(device); !s.ok()) return s;
    const auto binary = std::find_if(answers.files.begin(), answers.files.end(),
                                     [&](const auto& f) { return f.path == d.binary_path; });
    if (binary != answers.files.end()) {
      const std::string to =
          "/Windows/System32/drivers/" + fs::path(d.binary_path).filename().string();
      if (Status s = volume.WriteFile(to, binary->data); !s.ok()) return s;
    }
    report->lines.push_back("registered " + d.hardware_id + " -> service " + d.service + " (" +
                            d.image_path + ") in the SYSTEM hive");
  }
  Result<Bytes> committed = (*hive)->CommitToBytes();
  if (!committed.ok()) return committed.status();
  return volume.WriteFile(kSystemHive, *committed);
}

template <typename VolumeType>
Status WriteFiles(VolumeType& volume, const InjectionPlan& plan, TargetFs fs_kind,
                  const std::string& where, InjectReport* report) {
  for (const PlannedFile& file : plan.files) {
    if (file.fs != fs_kind) continue;
    Status s;
    if constexpr (std::is_same_v<VolumeType, ExtVolume>) {
      s = volume.WriteFile(file.path, file.data, file.mode);
    } else {
      s = volume.WriteFile(file.path, file.data);
    }
    if (!s.ok()) return s;
    report->lines.push_back("wrote " + file.path + " (" + Size(file.data.size()) + ") on " + where);
  }
  return Status::OK();
}

Status InjectWindows(const std::string& target, const std::vector<Volume>& volumes,
                     const control::Identity& answers, const InjectionPlan& plan,
                     InjectReport* report) {
  const auto partition = PickVolume<NtfsVolume>(target, volumes, FsKind::kNtfs, "/Windows");
  if (!partition) {
    return Status::NotFound(target + ": no NTFS partition for " + answers.hostname +
                            "'s Windows answer files; is this the Windows image?");
  }
  const std::string where = Where(target, *partition) + " (NTFS)";
  auto volume = NtfsVolume::Open(target, partition->offset, partition->size, true);
  if (!volume.ok()) return volume.status();
  if (Status s = WriteFiles(**volume, plan, TargetFs::kNtfs, where, report); !s.ok()) return s;
  if (!plan.drivers.empty()) {
    if ((*volume)->Exists(kSystemHive)) {
      if (Status s = RegisterDrivers(**volume, answers, plan, report); !s.ok()) return s;
    } else {
      report->lines.push_back("no SYSTEM hive on " + where +
                              ": drivers listed in [SysprepMassStorage] only");
    }
  }
  return (*volume)->Close();
}

Status InjectLinux(const std::string& target, const std::vector<Volume>& volumes,
                   const control::Identity& answers, const InjectionPlan& plan,
                   InjectReport* report) {
  const auto partition = PickVolume<ExtVolume>(target, volumes, FsKind::kExt, "/etc");
  if (!partition) {
    return Status::NotFound(target + ": no ext2/3/4 partition for " + answers.hostname +
                            "'s cloud-init seed; is this the Linux image?");
  }
  const std::string where = Where(target, *partition) + " (ext)";
  auto volume = ExtVolume::Open(target, partition->offset, partition->size, true);
  if (!volume.ok()) return volume.status();
  if (Status s = WriteFiles(**volume, plan, TargetFs::kExt, where, report); !s.ok()) return s;
  return (*volume)->Close();
}

bool HasDrivers(const control::Identity& answers) {
  return std::any_of(answers.files.begin(), answers.files.end(),
                     [](const auto& f) { return f.path.rfind("drivers/", 0) == 0; });
}

}  // namespace

Result<InjectReport> InjectIdentity(const std::string& target, const control::Identity& answers,
                                    const std::string& sysfs_root) {
  std::vector<PciDevice> devices;
  if (HasDrivers(answers)) {
    Result<std::vector<PciDevice>> found = ReadPciDevices(sysfs_root);
    if (!found.ok()) return found.status();
    devices = std::move(*found);
  }
  Result<InjectionPlan> plan = PlanInjection(answers, devices);
  if (!plan.ok()) return plan.status();
  Result<std::vector<Volume>> volumes = FindVolumes(target);
  if (!volumes.ok()) return volumes.status();
  InjectReport report;
  if (plan->NeedsFs(TargetFs::kNtfs)) {
    if (Status s = InjectWindows(target, *volumes, answers, *plan, &report); !s.ok()) return s;
  }
  if (plan->NeedsFs(TargetFs::kExt)) {
    if (Status s = InjectLinux(target, *volumes, answers, *plan, &report); !s.ok()) return s;
  }
  return report;
}

Status RunInject(const std::string& target, const std::string& answers_dir,
                 const std::string& sysfs_root) {
  Result<control::Identity> answers = LoadAnswerDir(answers_dir);
  if (!answers.ok()) return answers.status();
  Result<InjectReport> report = InjectIdentity(target, *answers, sysfs_root);
  if (!report.ok()) return report.status();
  for (const std::string& line : report->lines) std::printf("%s\n", line.c_str());
  std::printf("%s: identity of %s written\n", target.c_str(), answers->hostname.c_str());
  return Status::OK();
}

Result<control::Identity> LoadAnswerDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound(dir +
                            ": not a folder of answer files; give the node's folder from "
                            "fleetcast-server probe --answers-out");
  }
  control::Identity answers;
  answers.hostname = fs::path(dir).lexically_normal().filename().string();
  if (answers.hostname.empty()) answers.hostname = fs::path(dir).parent_path().filename().string();
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return Status::IOError(entry.path().string() + ": cannot read it");
    answers.files.push_back({fs::relative(entry.path(), dir).generic_string(),
                             Bytes{std::istreambuf_iterator<char>(in), {}}});
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(answers.files.begin(), answers.files.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return answers;
}

}  // namespace fleetcast
