#include "platform/system_hive.h"

#include <hivex.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "platform/file.h"

namespace fleetcast {
namespace {

constexpr char kGiveSystemHive[] = "give the SYSTEM file from Windows\\System32\\config";

struct FreeDeleter {
  void operator()(void* p) const { free(p); }
};
// Memory hivex allocated with malloc and hands to us.
template <typename T>
using Malloced = std::unique_ptr<T, FreeDeleter>;

// A registry value as stored: its name, type and data bytes.
struct RawValue {
  std::string name;
  hive_type type = hive_t_REG_NONE;
  Bytes data;
};

// Windows compares key and value names without regard to (ASCII) case.
bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

Status ReadError(const std::string& hive, const std::string& what, int err) {
  return Status::Corruption(hive + ": cannot read " + what + " (" + std::strerror(err) +
                            "); the hive may be damaged, check it with hivexsh");
}

Status WriteError(const std::string& hive, const std::string& what, int err) {
  return Status::IOError(hive + ": cannot write " + what + " (" + std::strerror(err) + ")");
}

// Appends code point cp as UTF-16LE.
void PutUtf16(Bytes* out, uint32_t cp) {
  if (cp < 0x10000) {
    PutFixed16(out, static_cast<uint16_t>(cp));
    return;
  }
  cp -= 0x10000;
  PutFixed16(out, static_cast<uint16_t>(0xd800 | (cp >> 10)));
  PutFixed16(out, static_cast<uint16_t>(0xdc00 | (cp & 0x3ff)));
}

// The code point starting at s[*i], advancing *i; U+FFFD for a malformed sequence.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto lead = static_cast<uint8_t>(s[(*i)++]);
  const int extra = lead < 0x80 ? 0 : lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : -1;
  if (extra < 0) return 0xfffd;
  uint32_t cp = extra == 0 ? lead : lead & (0x3f >> extra);
  for (int k = 0; k < extra; ++k, ++*i) {
    if (*i >= s.size() || (static_cast<uint8_t>(s[*i]) & 0xc0) != 0x80) return 0xfffd;
    cp = (cp << 6) | (static_cast<uint8_t>(s[*i]) & 0x3f);
  }
  return cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ? 0xfffd : cp;
}

// A REG_SZ / REG_EXPAND_SZ payload: UTF-16LE with the terminating NUL Windows stores.
Bytes Utf16z(std::string_view utf8) {
  Bytes out;
  for (size_t i = 0; i < utf8.size();) PutUtf16(&out, NextCodePoint(utf8, &i));
  PutFixed16(&out, 0);
  return out;
}

Bytes Dword(uint32_t v) {
  Bytes out;
  PutFixed32(&out, v);
  return out;
}

// Appends code point cp as UTF-8.
void PutUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
    return;
  }
  const int extra = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
  // The lead byte has extra + 1 high bits set: 110xxxxx, 1110xxxx, 11110xxx.
  const auto lead_bits = static_cast<uint8_t>(0xff00 >> (extra + 1));
  out->push_back(static_cast<char>(lead_bits | (cp >> (6 * extra))));
  for (int k = extra - 1; k >= 0; --k) {
    out->push_back(static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3f)));
  }
}

// UTF-16LE code units as UTF-8; an unpaired surrogate becomes U+FFFD.
std::string Utf8FromUtf16(const std::vector<uint16_t>& units) {
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t cp = units[i];
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < units.size() && units[i + 1] >= 0xdc00 &&
        units[i + 1] < 0xe000) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (units[++i] - 0xdc00);
    } else if (cp >= 0xd800 && cp < 0xe000) {
      cp = 0xfffd;
    }
    PutUtf8(&out, cp);
  }
  return out;
}

// The NUL-terminated strings of a UTF-16LE payload; a last one missing its NUL
// counts too.
std::vector<std::string> SplitUtf16z(const Bytes& data) {
  std::vector<std::string> strings;
  std::vector<uint16_t> units;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    const uint16_t unit = DecodeFixed16(data.data() + i);
    if (unit != 0) {
      units.push_back(unit);
      continue;
    }
    strings.push_back(Utf8FromUtf16(units));
    units.clear();
  }
  if (!units.empty()) strings.push_back(Utf8FromUtf16(units));
  return strings;
}

// The text of a string value: a REG_SZ up to its NUL (Windows may leave junk
// after it), a REG_MULTI_SZ's strings joined by '\n'.
Result<std::string> StringText(const std::string& hive, const std::string& what,
                               const RawValue& v) {
  const std::vector<std::string> strings = SplitUtf16z(v.data);
  if (v.type == hive_t_REG_SZ || v.type == hive_t_REG_EXPAND_SZ) {
    return strings.empty() ? std::string() : strings[0];
  }
  if (v.type != hive_t_REG_MULTI_SZ) {
    return Status::Corruption(hive + ": " + what + " has registry type " + std::to_string(v.type) +
                              ", not a string; " + kGiveSystemHive);
  }
  std::string text;
  for (const std::string& s : strings) {
    if (!s.empty()) text += (text.empty() ? "" : "\n") + s;
  }
  return text;
}

// The child key of `node` called `name`, or 0 if it has none.
Result<hive_node_h> FindChild(hive_h* h, const std::string& hive, hive_node_h node,
                              const std::string& name) {
  const Malloced<hive_node_h> children(hivex_node_children(h, node));
  if (children == nullptr) return ReadError(hive, "the subkeys of a key", errno);
  for (const hive_node_h* c = children.get(); *c != 0; ++c) {
    const Malloced<char> child_name(hivex_node_name(h, *c));
    if (child_name == nullptr) return ReadError(hive, "a key name", errno);
    if (SameName(child_name.get(), name)) return *c;
  }
  return hive_node_h{0};
}

// The child key called `name`, added if missing.
Result<hive_node_h> EnsureChild(hive_h* h, const std::string& hive, hive_node_h node,
                                const std::string& name) {
  Result<hive_node_h> child = FindChild(h, hive, node, name);
  if (!child.ok() || *child != 0) return child;
  const hive_node_h added = hivex_node_add_child(h, node, name.c_str());
  if (added == 0) return WriteError(hive, "key " + name, errno);
  return added;
}

Result<RawValue> ReadValue(hive_h* h, const std::string& hive, hive_value_h v) {
  RawValue raw;
  const Malloced<char> key(hivex_value_key(h, v));
  if (key == nullptr) return ReadError(hive, "a value name", errno);
  raw.name = key.get();
  size_t len = 0;
  const Malloced<char> data(hivex_value_value(h, v, &raw.type, &len));
  if (data == nullptr) return ReadError(hive, "value " + raw.name, errno);
  raw.data.assign(data.get(), data.get() + len);
  return raw;
}

Result<std::vector<RawValue>> ReadValues(hive_h* h, const std::string& hive, hive_node_h node) {
  const Malloced<hive_value_h> values(hivex_node_values(h, node));
  if (values == nullptr) return ReadError(hive, "the values of a key", errno);
  std::vector<RawValue> out;
  for (const hive_value_h* v = values.get(); *v != 0; ++v) {
    Result<RawValue> raw = ReadValue(h, hive, *v);
    if (!raw.ok()) return raw.status();
    out.push_back(std::move(raw).value());
  }
  return out;
}

// The value of `node` called `name`, or nullopt.
Result<std::optional<RawValue>> FindValue(hive_h* h, const std::string& hive, hive_node_h node,
                                          const std::string& name) {
  Result<std::vector<RawValue>> values = ReadValues(h, hive, node);
  if (!values.ok()) return values.status();
  for (RawValue& v : *values) {
    if (SameName(v.name, name)) return std::optional<RawValue>(std::move(v));
  }
  return std::optional<RawValue>();
}

// Sets `updates` on node and keeps its other values: hivex_node_set_values
// replaces all values of a key, so the existing ones are merged in first.
// Writes nothing when every update is already there.
Status MergeValues(hive_h* h, const std::string& hive, const std::string& key, hive_node_h node,
                   const std::vector<RawValue>& updates) {
  Result<std::vector<RawValue>> values = ReadValues(h, hive, node);
  if (!values.ok()) return values.status();
  bool changed = false;
  for (const RawValue& u : updates) {
    auto it = std::find_if(values->begin(), values->end(),
                           [&](const RawValue& v) { return SameName(v.name, u.name); });
    if (it == values->end()) it = values->insert(values->end(), RawValue{u.name, {}, {}});
    if (it->type == u.type && it->data == u.data) continue;
    it->type = u.type;
    it->data = u.data;
    changed = true;
  }
  if (!changed) return Status::OK();
  std::vector<hive_set_value> set;
  for (RawValue& v : *values) {
    set.push_back({v.name.data(), v.type, v.data.size(), reinterpret_cast<char*>(v.data.data())});
  }
  if (hivex_node_set_values(h, node, set.size(), set.data(), 0) != 0) {
    return WriteError(hive, "the values of " + key, errno);
  }
  return Status::OK();
}

std::string TempPath() {
  const char* base = std::getenv("TMPDIR");
  return std::string(base != nullptr ? base : "/tmp") + "/fleetcast-hive-XXXXXX";
}

// Writes bytes to a new private temporary file and returns its path.
Result<std::string> WriteTempFile(ByteView bytes) {
  std::string path = TempPath();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) return ErrnoStatus(path, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      RemoveQuietly(path);
      return ErrnoStatus(path, err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

Result<Bytes> ReadWholeFile(const std::string& path) {
  Result<File> file = File::OpenRead(path);
  if (!file.ok()) return file.status();
  Bytes bytes(file->size());
  if (Status s = file->ReadAt(0, bytes); !s.ok()) return s;
  return bytes;
}

Status OpenError(const std::string& path, int err) {
  if (err == ENOTSUP || err == EINVAL || err == EFAULT || err == ERANGE) {
    return Status::Corruption(path + ": not a Windows registry hive, or a damaged one; " +
                              kGiveSystemHive);
  }
  return ErrnoStatus(path, err);
}

// The key at `path` below node, with the keys on the way added if missing.
Result<hive_node_h> EnsurePath(hive_h* h, const std::string& hive, hive_node_h node,
                               std::initializer_list<std::string> path) {
  for (const std::string& name : path) {
    Result<hive_node_h> child = EnsureChild(h, hive, node, name);
    if (!child.ok()) return child;
    node = *child;
  }
  return node;
}

Status CheckDevice(const SystemHive::CriticalDevice& d) {
  const std::string thing = "critical device " + (d.hardware_id.empty() ? "?" : d.hardware_id);
  const char* missing = d.hardware_id.empty()  ? "no hardware id"
                        : d.class_guid.empty() ? "no ClassGUID"
                        : d.service.empty()    ? "no service name"
                        : d.image_path.empty() ? "no driver image path"
                                               : nullptr;
  if (missing != nullptr) {
    return Status::InvalidArgument(thing + ": " + missing + "; take it from the driver's INF");
  }
  if (d.service.find('\\') != std::string::npos) {
    return Status::InvalidArgument(thing + ": service name " + d.service +
                                   " has a backslash; give the service key's name only");
  }
  return Status::OK();
}

// Control\CriticalDeviceDatabase\<id>: which class and service drive the device.
Status WriteCriticalDeviceKey(hive_h* h, const std::string& hive, hive_node_h control_set,
                              const SystemHive::CriticalDevice& d) {
  const std::string key = SystemHive::CriticalDeviceKey(d.hardware_id);
  Result<hive_node_h> node =
      EnsurePath(h, hive, control_set, {"Control", "CriticalDeviceDatabase", key});
  if (!node.ok()) return node.status();
  return MergeValues(h, hive, "CriticalDeviceDatabase\\" + key, *node,
                     {{"ClassGUID", hive_t_REG_SZ, Utf16z(d.class_guid)},
                      {"Service", hive_t_REG_SZ, Utf16z(d.service)}});
}

// Services\<service>: how and when the kernel loads the driver.
Status WriteServiceKey(hive_h* h, const std::string& hive, hive_node_h control_set,
                       const SystemHive::CriticalDevice& d) {
  Result<hive_node_h> node = EnsurePath(h, hive, control_set, {"Services", d.service});
  if (!node.ok()) return node.status();
  return MergeValues(h, hive, "Services\\" + d.service, *node,
                     {{"Type", hive_t_REG_DWORD, Dword(d.type)},
                      {"Start", hive_t_REG_DWORD, Dword(d.start)},
                      {"ErrorControl", hive_t_REG_DWORD, Dword(d.error_control)},
                      {"Group", hive_t_REG_SZ, Utf16z(d.group)},
                      {"ImagePath", hive_t_REG_EXPAND_SZ, Utf16z(d.image_path)}});
}

Status SyncFile(const std::string& path) {
  Result<File> file = File::OpenRead(path);
  return file.ok() ? file->Sync() : file.status();
}

Status CommitError(const std::string& hive, const std::string& path, int err) {
  if (err == EROFS) {
    return Status::InvalidArgument(hive + ": opened read-only; open it writable to commit it");
  }
  return ErrnoStatus(path, err);
}

}  // namespace

Result<std::unique_ptr<SystemHive>> SystemHive::Open(const std::string& path, bool writable) {
  hive_h* hive = hivex_open(path.c_str(), writable ? HIVEX_OPEN_WRITE : 0);
  if (hive == nullptr) return OpenError(path, errno);
  return std::unique_ptr<SystemHive>(new SystemHive(hive, path, writable));
}

Result<std::unique_ptr<SystemHive>> SystemHive::OpenBytes(ByteView hive, bool writable,
                                                          const std::string& name) {
  Result<std::string> temp = WriteTempFile(hive);
  if (!temp.ok()) return temp.status();
  hive_h* h = hivex_open(temp->c_str(), writable ? HIVEX_OPEN_WRITE : 0);
  const int err = errno;
  // A writable hive is read into memory, a read-only one mapped: neither
  // needs the file's name any more.
  RemoveQuietly(*temp);
  if (h == nullptr) return OpenError(name, err);
  return std::unique_ptr<SystemHive>(new SystemHive(h, name, writable));
}

SystemHive::~SystemHive() { hivex_close(hive_); }

std::string SystemHive::CriticalDeviceKey(const std::string& hardware_id) {
  std::string key = hardware_id;
  for (char& c : key) {
    c = c == '\\' ? '#' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

Result<std::optional<std::string>> SystemHive::CloneTag() {
  Result<hive_node_h> setup = FindChild(hive_, name_, hivex_root(hive_), "Setup");
  if (!setup.ok()) return setup.status();
  if (*setup == 0) return std::optional<std::string>();
  Result<std::optional<RawValue>> tag = FindValue(hive_, name_, *setup, "CloneTag");
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return std::optional<std::string>();
  Result<std::string> text = StringText(name_, "Setup\\CloneTag", **tag);
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::move(text).value());
}

Result<int> SystemHive::CurrentControlSet() {
  const std::string not_system = name_ + ": not a SYSTEM hive (";
  Result<hive_node_h> select = FindChild(hive_, name_, hivex_root(hive_), "Select");
  if (!select.ok()) return select.status();
  if (*select == 0) return Status::Corruption(not_system + "no key Select); " + kGiveSystemHive);
  Result<std::optional<RawValue>> current = FindValue(hive_, name_, *select, "Current");
  if (!current.ok()) return current.status();
  if (!current->has_value()) {
    return Status::Corruption(not_system + "no value Select\\Current); " + kGiveSystemHive);
  }
  const RawValue& v = **current;
  const uint32_t n = v.data.size() == 4 ? DecodeFixed32(v.data.data()) : 0;
  if (v.type != hive_t_REG_DWORD || n < 1 || n > 999) {
    return Status::Corruption(name_ + ": Select\\Current is not a control set number 1-999; " +
                              kGiveSystemHive);
  }
  return static_cast<int>(n);
}

Result<hive_node_h> SystemHive::CurrentControlSetKey() {
  Result<int> n = CurrentControlSet();
  if (!n.ok()) return n.status();
  char name[32];
  std::snprintf(name, sizeof(name), "ControlSet%03d", *n);
  Result<hive_node_h> key = FindChild(hive_, name_, hivex_root(hive_), name);
  if (key.ok() && *key == 0) {
    return Status::Corruption(name_ + ": Select\\Current names " + name +
                              ", which the hive does not have; " + kGiveSystemHive);
  }
  return key;
}

Status SystemHive::RegisterCriticalDevice(const CriticalDevice& device) {
  if (Status s = CheckDevice(device); !s.ok()) return s;
  if (!writable_) {
    return Status::InvalidArgument(name_ + ": opened read-only; open it writable to change it");
  }
  Result<hive_node_h> control_set = CurrentControlSetKey();
  if (!control_set.ok()) return control_set.status();
  if (Status s = WriteCriticalDeviceKey(hive_, name_, *control_set, device); !s.ok()) return s;
  return WriteServiceKey(hive_, name_, *control_set, device);
}

Status SystemHive::Commit(const std::string& path) {
  // Written beside the target and renamed over it, so a failure midway
  // leaves the old hive whole.
  const std::string partial = PartialPath(path);
  if (hivex_commit(hive_, partial.c_str(), 0) != 0) {
    const int err = errno;
    RemoveQuietly(partial);
    return CommitError(name_, path, err);
  }
  Status s = SyncFile(partial);
  if (s.ok()) s = CommitRename(partial, path);
  if (!s.ok()) RemoveQuietly(partial);
  return s;
}

Result<Bytes> SystemHive::CommitToBytes() {
  Result<std::string> temp = WriteTempFile({});
  if (!temp.ok()) return temp.status();
  const bool committed = hivex_commit(hive_, temp->c_str(), 0) == 0;
  const int err = errno;
  Result<Bytes> bytes = committed ? ReadWholeFile(*temp) : CommitError(name_, *temp, err);
  RemoveQuietly(*temp);
  return bytes;
}

}  // namespace fleetcast
