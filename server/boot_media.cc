#include "server/boot_media.h"

#include <cerrno>
#include <fstream>
#include <iterator>

#include "core/ipxe_script.h"
#include "platform/file.h"

namespace fleetcast {

Result<std::unique_ptr<BootMedia>> BootMedia::Load(const BootMediaOptions& options) {
  if (options.extra_args.find_first_of("\r\n$") != std::string::npos) {
    return Status::InvalidArgument("--boot-args: one line of kernel arguments, without '$'");
  }
  std::unique_ptr<BootMedia> media(new BootMedia(options));
  for (const char* name : kFiles) {
    const std::string path = options.dir + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Status::NotFound("--boot-dir " + options.dir + ": no " + name +
                              "; build the boot media with bootmedia/build.sh");
    }
    auto data = std::make_shared<std::string>(std::istreambuf_iterator<char>(in),
                                              std::istreambuf_iterator<char>());
    if (in.bad()) return ErrnoStatus(path, errno);
    media->files_[name] = std::move(data);
  }
  return media;
}

std::string BootMedia::ChainScript() const { return IpxeChainScript(options_.http_base); }

std::string BootMedia::InstallScript(const std::string& node, const std::string& disk,
                                     const std::string& token) const {
  return IpxeInstallScript({.http_base = options_.http_base,
                            .server = options_.server,
                            .node = node,
                            .disk = disk,
                            .extra_args = options_.extra_args,
                            .token = token});
}

std::shared_ptr<const std::string> BootMedia::File(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : it->second;
}

}  // namespace fleetcast
