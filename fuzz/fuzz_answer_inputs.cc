// libFuzzer target: the parsers that read what the lab and the disk hand us
// for identity injection: INF files of a driver catalog (and the driver
// models taken from them), nodes.toml with its checks, and partition tables
// of the disk a client has just written.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/inf_parser.h"
#include "core/inventory_check.h"
#include "core/inventory_parser.h"
#include "core/mass_storage.h"
#include "core/partition_table.h"

namespace {

void FuzzInf(std::string_view text) {
  fleetcast::Result<fleetcast::InfFile> inf = fleetcast::ParseInf(text);
  if (!inf.ok()) return;
  auto models = fleetcast::ModelsOfInf(*inf, "x/fuzz.inf");
  if (!models.ok()) return;
  const fleetcast::PciDevice device{0x1000, 0x0030, 0x1000, 0x1040, 0x010000, 8, "0"};
  const auto entries = fleetcast::MatchMassStorage(*models, {device}, "C:\\Sysprep\\Drivers");
  (void)fleetcast::AppendMassStorage(text, entries);
}

void FuzzInventory(std::string_view text) {
  auto parsed = fleetcast::ParseInventory(text, "nodes.toml");
  if (!parsed.ok()) return;
  fleetcast::CheckEnvironment env;
  env.secret_problem = [](const std::string&) { return std::nullopt; };
  env.catalog_problem = [](const std::string&) { return std::nullopt; };
  (void)fleetcast::CheckInventory(parsed->inventory, env);
}

void FuzzPartitionTable(const uint8_t* data, size_t size) {
  const fleetcast::DiskReader read = [&](uint64_t offset, std::span<uint8_t> out) {
    if (offset > size || out.size() > size - offset) {
      return fleetcast::Status::IOError("past the end");
    }
    std::memcpy(out.data(), data + offset, out.size());
    return fleetcast::Status::OK();
  };
  (void)fleetcast::ReadPartitionTable(read, size);
}

}  // namespace

// The first byte picks the parser, so one corpus reaches all three.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      FuzzInf(text);
      break;
    case 1:
      FuzzInventory(text);
      break;
    default:
      FuzzPartitionTable(data + 1, size - 1);
      break;
  }
  return 0;
}
