#include "client/pci_devices.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "platform/file.h"

namespace fleetcast {
namespace {

// A sysfs attribute is a few bytes of text; the kernel serves it in one read.
Result<std::string> ReadAttribute(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  char buf[64];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  const int err = errno;
  ::close(fd);
  if (n < 0) return ErrnoStatus(path, err);
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// "0x8086" → 0x8086; max bounds the value to the field's width.
Result<uint32_t> ReadHex(const std::string& path, uint32_t max) {
  Result<std::string> text = ReadAttribute(path);
  if (!text.ok()) return text.status();
  const std::string& t = *text;
  char* end = nullptr;
  const bool prefixed = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
  const unsigned long value = prefixed ? std::strtoul(t.c_str() + 2, &end, 16) : 0;
  if (!prefixed || *end != '\0' || !std::isxdigit(static_cast<unsigned char>(t[2])) ||
      value > max) {
    return Status::Corruption(path + ": '" + t + "' is not a hex number up to 0x" +
                              (max == 0xFF     ? "FF"
                               : max == 0xFFFF ? "FFFF"
                                               : "FFFFFF") +
                              "; check that this is a sysfs tree");
  }
  return static_cast<uint32_t>(value);
}

Result<PciDevice> ReadDevice(const std::string& devices, const std::string& slot) {
  const std::string folder = devices + "/" + slot;
  struct Field {
    const char* name;
    uint32_t max;
    uint32_t value = 0;
  };
  Field fields[] = {{"vendor", 0xFFFF},           {"device", 0xFFFF},  {"subsystem_vendor", 0xFFFF},
                    {"subsystem_device", 0xFFFF}, {"class", 0xFFFFFF}, {"revision", 0xFF}};
  for (Field& f : fields) {
    Result<uint32_t> v = ReadHex(folder + "/" + f.name, f.max);
    if (!v.ok()) return v.status();
    f.value = *v;
  }
  PciDevice d;
  d.vendor = static_cast<uint16_t>(fields[0].value);
  d.device = static_cast<uint16_t>(fields[1].value);
  d.subsys_vendor = static_cast<uint16_t>(fields[2].value);
  d.subsys_device = static_cast<uint16_t>(fields[3].value);
  d.class_code = fields[4].value;
  d.revision = static_cast<uint8_t>(fields[5].value);
  d.slot = slot;
  return d;
}

}  // namespace

Result<std::vector<PciDevice>> ReadPciDevices(const std::string& sysfs_root) {
  const std::string folder = sysfs_root + "/bus/pci/devices";
  std::error_code ec;
  std::vector<std::string> slots;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    slots.push_back(it->path().filename().string());
  }
  if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
    return Status::NotFound(folder +
                            ": no such folder; pass the sysfs root (normally /sys) and check "
                            "that sysfs is mounted");
  }
  if (ec) return ErrnoStatus(folder, ec.value());
  std::sort(slots.begin(), slots.end());
  std::vector<PciDevice> devices;
  for (const std::string& slot : slots) {
    Result<PciDevice> d = ReadDevice(folder, slot);
    if (!d.ok()) return d.status();
    devices.push_back(std::move(*d));
  }
  return devices;
}

}  // namespace fleetcast
