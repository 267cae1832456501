#include "server/probe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/answer_set.h"
#include "core/inventory_check.h"
#include "server/identity_builder.h"
#include "server/image_reader.h"
#include "server/image_volumes.h"

namespace fleetcast {

namespace fs = std::filesystem;

namespace {

std::string ThisHost() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

std::string HumanBytes(uint64_t bytes) {
  char text[32];
  if (bytes < 1024) {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < (1u << 20)) {
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return text;
}

// Answer files hold passwords: only the owner may read what the probe writes.
Status WriteAnswers(const std::string& dir, const control::Identity& identity) {
  for (const control::AnswerFile& file : identity.files) {
    const fs::path path = fs::path(dir) / identity.hostname / file.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return Status::IOError(path.parent_path().string() + ": " + ec.message());
    ::chmod(path.parent_path().c_str(), 0700);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ::chmod(path.c_str(), 0600);
    out.write(reinterpret_cast<const char*>(file.data.data()),
              static_cast<std::streamsize>(file.data.size()));
    if (!out) return Status::IOError(path.string() + ": cannot write it");
  }
  return Status::OK();
}

std::string NodeLine(const NodeSpec& node, const control::Identity& identity) {
  std::string line = node.hostname + "  " + node.mac + "  " + node.ip + "/" +
                     std::to_string(node.prefix) + "  " + std::string(FlavourName(node.flavour));
  if (!node.group.empty()) line += "  " + node.group + "#" + std::to_string(node.boot_order);
  line += ":";
  size_t drivers = 0;
  uint64_t driver_bytes = 0;
  for (const control::AnswerFile& file : identity.files) {
    if (file.path.rfind(kDriversDir, 0) == 0) {
      ++drivers;
      driver_bytes += file.data.size();
    } else {
      line += " " + file.path + " (" + HumanBytes(file.data.size()) + ")";
    }
  }
  if (drivers > 0) {
    line += " drivers/ (" + std::to_string(drivers) + " files, " + HumanBytes(driver_bytes) + ")";
  }
  return line;
}

}  // namespace

Result<LoadedInventory> ProbeInventory(const ProbeOptions& options) {
  Result<LoadedInventory> loaded = LoadInventory(options.nodes, options.secrets);
  if (!loaded.ok()) return loaded.status();
  if (!options.image.empty()) {
    Result<ImageReader> image = ImageReader::Open(options.image);
    if (!image.ok()) return image.status();
    Result<std::vector<ImageVolume>> volumes = ImageVolumes(*image);
    if (!volumes.ok()) return volumes.status();
    std::vector<FsKind> kinds;
    for (const ImageVolume& v : *volumes) kinds.push_back(v.kind);
    for (Problem& p : CheckImageVolumes(loaded->inventory, kinds, options.image)) {
      loaded->problems.push_back(std::move(p));
    }
    std::stable_sort(loaded->problems.begin(), loaded->problems.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
  }
  for (const Problem& p : loaded->problems)
    std::fprintf(stderr, "%s\n", p.ToString(options.nodes).c_str());
  if (!loaded->problems.empty()) {
    const size_t n = loaded->problems.size();
    return Status::InvalidArgument(options.nodes + ": " + std::to_string(n) +
                                   (n == 1 ? " problem" : " problems") +
                                   " (above); fix nodes.toml and probe again; no disk was touched");
  }
  return loaded;
}

Status RunProbe(const ProbeOptions& options) {
  Result<LoadedInventory> loaded = ProbeInventory(options);
  if (!loaded.ok()) return loaded.status();
  const std::string host = options.callback_host.empty() ? ThisHost() : options.callback_host;
  size_t files = 0;
  for (const NodeSpec& node : loaded->inventory.nodes) {
    Result<control::Identity> identity =
        BuildIdentity(*loaded, node, CallbackUrl(host, options.http_port, node.mac));
    if (!identity.ok()) return identity.status().Prefixed("node " + node.hostname);
    std::printf("%s\n", NodeLine(node, *identity).c_str());
    files += identity->files.size();
    if (!options.answers_out.empty()) {
      if (Status s = WriteAnswers(options.answers_out, *identity); !s.ok()) return s;
    }
  }
  const size_t groups = loaded->inventory.groups.size();
  const std::string into = options.answers_out.empty() ? "" : " into " + options.answers_out;
  std::printf(
      "probe: %zu nodes, %zu group%s: all well; %zu answer files rendered%s; no disk "
      "was touched\n",
      loaded->inventory.nodes.size(), groups, groups == 1 ? "" : "s", files, into.c_str());
  return Status::OK();
}

}  // namespace fleetcast
