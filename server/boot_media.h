// BootMedia: what the server's HTTP port hands machines that boot from the
// network (serve --boot-dir): the kernel and initramfs that bootmedia/ built,
// held in memory so a room booting at once reads them once, and the iPXE
// scripts that send each machine to the installer or to its local disk.
#ifndef FLEETCAST_SERVER_BOOT_MEDIA_H_
#define FLEETCAST_SERVER_BOOT_MEDIA_H_

#include <map>
#include <memory>
#include <string>

#include "core/status.h"

namespace fleetcast {

struct BootMediaOptions {
  std::string dir;         // holds vmlinuz and initrd.img
  std::string http_base;   // "http://10.0.0.1:8080", as nodes reach it
  std::string server;      // control address "10.0.0.1:7010", for the kernel command line
  std::string extra_args;  // more kernel arguments (consoles)
};

class BootMedia {
 public:
  /// The files a network boot fetches.
  static constexpr const char* kFiles[] = {"vmlinuz", "initrd.img"};

  /// Reads the files; a missing one is an error naming the fix.
  static Result<std::unique_ptr<BootMedia>> Load(const BootMediaOptions& options);

  /// /boot.ipxe, which every machine fetches first.
  std::string ChainScript() const;
  /// The installer for `node`, writing `disk` (empty: the only disk).
  std::string InstallScript(const std::string& node, const std::string& disk,
                            const std::string& token = "") const;
  /// A file by name, or null.
  std::shared_ptr<const std::string> File(const std::string& name) const;

 private:
  explicit BootMedia(BootMediaOptions options) : options_(std::move(options)) {}

  BootMediaOptions options_;
  std::map<std::string, std::shared_ptr<const std::string>> files_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_BOOT_MEDIA_H_
