#include "server/identity_builder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/answer_set.h"

namespace fleetcast {

namespace fs = std::filesystem;

namespace {

// A catalog larger than this is a mistake (a whole driver DVD): every node
// would receive it over its control connection.
constexpr uintmax_t kMaxCatalogBytes = 256u << 20;

Status AddCatalog(const std::string& root, std::vector<control::AnswerFile>* files) {
  std::error_code ec;
  std::vector<fs::path> paths;
  uintmax_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (!entry.is_regular_file()) continue;
    paths.push_back(entry.path());
    total += entry.file_size();
  }
  if (ec) return Status::IOError(root + ": " + ec.message());
  if (total > kMaxCatalogBytes) {
    return Status::InvalidArgument(root + ": driver catalog of " + std::to_string(total >> 20) +
                                   " MiB; keep only the storage drivers the lab needs");
  }
  std::sort(paths.begin(), paths.end());
  for (const fs::path& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError(path.string() + ": cannot read it");
    Bytes data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    files->push_back(
        {std::string(kDriversDir) + fs::relative(path, root).generic_string(), std::move(data)});
  }
  return Status::OK();
}

}  // namespace

Result<control::Identity> BuildIdentity(const LoadedInventory& loaded, const NodeSpec& node,
                                        const std::string& callback_url) {
  control::Identity identity;
  identity.hostname = node.hostname;
  identity.files =
      RenderAnswers(node, loaded.inventory.GroupOf(node), loaded.secrets.For(node), callback_url);
  if (!node.drivers.empty()) {
    if (Status s = AddCatalog(loaded.CatalogPath(node), &identity.files); !s.ok()) return s;
  }
  return identity;
}

uint64_t IdentityBytes(const control::Identity& identity) {
  uint64_t total = 0;
  for (const auto& file : identity.files) total += file.data.size();
  return total;
}

}  // namespace fleetcast
