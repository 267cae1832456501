#include "tests/client/hive_builder.h"

#include <hivex.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "tests/test_util.h"

namespace fleetcast::testing {
namespace {

constexpr size_t kBaseBlockSize = 4096;
constexpr size_t kHbinSize = 4096;
constexpr size_t kHbinHeaderSize =
    4 + 4 + 4 + 8 + 8 + 4;  // magic, offset, size, 2x reserved, spare
static_assert(kHbinHeaderSize == 32);
constexpr size_t kChecksumOffset = 0x1fc;
// 2020-01-01 as a FILETIME (100 ns since 1601): fixed so hives are reproducible.
constexpr uint64_t kTimestamp = 132223104000000000ULL;
constexpr uint32_t kNoCell = 0xffffffff;
constexpr uint16_t kKeyHiveEntry = 0x0004;
constexpr uint16_t kKeyNoDelete = 0x0008;
constexpr uint16_t kKeyCompName = 0x0020;
constexpr char kRootName[] = "$$$PROTO.HIV";
// An nk cell's name follows 80 bytes of fixed fields (hivex: struct ntreg_nk_record).
constexpr size_t kKeyNameOffset = 80;

// Cells start on 8-byte boundaries: pad to the next multiple of 8.
void PadCell(Bytes* cell) { cell->resize((cell->size() + 7) & ~size_t{7}, 0); }

// A cell's first field is its size, negative while in use.
void SetUsedCellSize(Bytes* cell) {
  EncodeFixed32(cell->data(), static_cast<uint32_t>(-static_cast<int32_t>(cell->size())));
}

// S-1-5-<subauthorities>: revision, count, authority 5 (NT) big-endian, then LE words.
void PutNtSid(Bytes* out, std::initializer_list<uint32_t> subauthorities) {
  PutFixed8(out, 1);
  PutFixed8(out, static_cast<uint8_t>(subauthorities.size()));
  for (uint8_t b : {0, 0, 0, 0, 0, 5}) PutFixed8(out, b);
  for (uint32_t s : subauthorities) PutFixed32(out, s);
}

// ACCESS_ALLOWED_ACE, inherited by subkeys, KEY_ALL_ACCESS.
void PutFullAccessAce(Bytes* out, std::initializer_list<uint32_t> sid) {
  Bytes sid_bytes;
  PutNtSid(&sid_bytes, sid);
  PutFixed8(out, 0);     // ACCESS_ALLOWED_ACE_TYPE
  PutFixed8(out, 0x02);  // CONTAINER_INHERIT_ACE
  PutFixed16(out, static_cast<uint16_t>(4 + 4 + sid_bytes.size()));
  PutFixed32(out, 0x000f003f);
  PutBytes(out, sid_bytes);
}

// Self-relative descriptor: owner Administrators, group SYSTEM, and a DACL
// giving both full control (what hivex copies to every key it adds).
Bytes SecurityDescriptor() {
  Bytes aces;
  PutFullAccessAce(&aces, {32, 544});
  PutFullAccessAce(&aces, {18});
  constexpr uint32_t kHeaderSize = 20;
  const uint32_t acl_size = 8 + static_cast<uint32_t>(aces.size());
  Bytes sd;
  PutFixed8(&sd, 1);                             // revision
  PutFixed8(&sd, 0);                             // sbz1
  PutFixed16(&sd, 0x8004);                       // SE_SELF_RELATIVE | SE_DACL_PRESENT
  PutFixed32(&sd, kHeaderSize + acl_size);       // owner
  PutFixed32(&sd, kHeaderSize + acl_size + 16);  // group, after the 16-byte owner SID
  PutFixed32(&sd, 0);                            // no SACL
  PutFixed32(&sd, kHeaderSize);                  // DACL
  PutFixed8(&sd, 2);                             // ACL_REVISION
  PutFixed8(&sd, 0);
  PutFixed16(&sd, static_cast<uint16_t>(acl_size));
  PutFixed16(&sd, 2);  // ACE count
  PutFixed16(&sd, 0);
  PutBytes(&sd, aces);
  PutNtSid(&sd, {32, 544});
  PutNtSid(&sd, {18});
  return sd;
}

Bytes RootKeyCell(uint32_t sk_offset) {
  Bytes nk;
  PutFixed32(&nk, 0);  // size, set below
  PutString(&nk, "nk");
  PutFixed16(&nk, kKeyHiveEntry | kKeyNoDelete | kKeyCompName);  // as Windows marks its roots
  PutFixed64(&nk, kTimestamp);
  PutFixed32(&nk, 0);        // access bits
  PutFixed32(&nk, 0);        // parent: none
  PutFixed32(&nk, 0);        // subkeys
  PutFixed32(&nk, 0);        // volatile subkeys
  PutFixed32(&nk, kNoCell);  // subkey list
  PutFixed32(&nk, kNoCell);  // volatile subkey list
  PutFixed32(&nk, 0);        // values
  PutFixed32(&nk, kNoCell);  // value list
  PutFixed32(&nk, sk_offset);
  PutFixed32(&nk, kNoCell);                        // class name
  for (int i = 0; i < 5; ++i) PutFixed32(&nk, 0);  // max name/class/value lengths, work var
  PutFixed16(&nk, sizeof(kRootName) - 1);
  PutFixed16(&nk, 0);  // class name length
  if (nk.size() != kKeyNameOffset) throw std::logic_error("hive builder: nk fields miscounted");
  PutString(&nk, kRootName);
  PadCell(&nk);
  SetUsedCellSize(&nk);
  return nk;
}

// The only sk cell: its list links point at itself; the root holds one reference.
Bytes SecurityCell(uint32_t self_offset) {
  const Bytes sd = SecurityDescriptor();
  Bytes sk;
  PutFixed32(&sk, 0);
  PutString(&sk, "sk");
  PutFixed16(&sk, 0);
  PutFixed32(&sk, self_offset);  // flink
  PutFixed32(&sk, self_offset);  // blink
  PutFixed32(&sk, 1);            // reference count
  PutFixed32(&sk, static_cast<uint32_t>(sd.size()));
  PutBytes(&sk, sd);
  PadCell(&sk);
  SetUsedCellSize(&sk);
  return sk;
}

Bytes Hbin() {
  Bytes hbin;
  PutString(&hbin, "hbin");
  PutFixed32(&hbin, 0);  // this hbin's offset
  PutFixed32(&hbin, kHbinSize);
  PutFixed64(&hbin, 0);
  PutFixed64(&hbin, kTimestamp);
  PutFixed32(&hbin, 0);
  // The root needs a security cell: hivex_node_add_child gives each new key
  // its parent's sk and refuses a parent without one.
  const uint32_t root_offset = kHbinHeaderSize;
  const uint32_t sk_offset = root_offset + static_cast<uint32_t>(RootKeyCell(0).size());
  PutBytes(&hbin, RootKeyCell(sk_offset));
  PutBytes(&hbin, SecurityCell(sk_offset));
  const size_t free_size = kHbinSize - hbin.size();
  PutFixed32(&hbin, static_cast<uint32_t>(free_size));  // positive: a free cell
  hbin.resize(kHbinSize, 0);
  return hbin;
}

Bytes BaseBlock() {
  Bytes base;
  PutString(&base, "regf");
  PutFixed32(&base, 1);  // primary sequence number
  PutFixed32(&base, 1);  // secondary: equal, so the hive was written completely
  PutFixed64(&base, kTimestamp);
  PutFixed32(&base, 1);                // major version
  PutFixed32(&base, 3);                // minor version: XP
  PutFixed32(&base, 0);                // primary file
  PutFixed32(&base, 1);                // direct memory load
  PutFixed32(&base, kHbinHeaderSize);  // root cell
  PutFixed32(&base, kHbinSize);        // hive bins data size
  PutFixed32(&base, 1);                // clustering factor
  for (char c : std::string("SYSTEM")) PutFixed16(&base, static_cast<uint8_t>(c));
  base.resize(kBaseBlockSize, 0);
  uint32_t sum = 0;
  for (size_t i = 0; i < kChecksumOffset; i += 4) sum ^= DecodeFixed32(base.data() + i);
  EncodeFixed32(base.data() + kChecksumOffset, sum);
  return base;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('\\', start), path.size());
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

void PutUtf16Z(Bytes* out, const std::string& ascii) {
  for (char c : ascii) PutFixed16(out, static_cast<uint8_t>(c));
  PutFixed16(out, 0);
}

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error("hive builder: " + what + ": " + std::strerror(errno));
}

}  // namespace

Bytes BlankHive() {
  Bytes hive = BaseBlock();
  PutBytes(&hive, Hbin());
  return hive;
}

HiveBuilder::HiveBuilder(const std::string& path) : path_(path) {
  WriteFileBytes(path, BlankHive());
  hive_ = hivex_open(path.c_str(), HIVEX_OPEN_WRITE);
  if (hive_ == nullptr) Fail("hivex_open " + path);
}

HiveBuilder::~HiveBuilder() { hivex_close(hive_); }

size_t HiveBuilder::Node(const std::string& path) {
  size_t node = hivex_root(hive_);
  for (const std::string& name : SplitPath(path)) {
    size_t child = hivex_node_get_child(hive_, node, name.c_str());
    if (child == 0) child = hivex_node_add_child(hive_, node, name.c_str());
    if (child == 0) Fail("add key " + path);
    node = child;
  }
  return node;
}

HiveBuilder& HiveBuilder::Key(const std::string& path) {
  Node(path);
  return *this;
}

HiveBuilder& HiveBuilder::SetValue(const std::string& path, const std::string& name, int type,
                                   const Bytes& data) {
  std::string key = name;
  Bytes value = data;
  const hive_set_value v{key.data(), static_cast<hive_type>(type), value.size(),
                         reinterpret_cast<char*>(value.data())};
  if (hivex_node_set_value(hive_, Node(path), &v, 0) != 0) Fail("set " + path + "\\" + name);
  return *this;
}

HiveBuilder& HiveBuilder::SetString(const std::string& path, const std::string& name,
                                    const std::string& ascii) {
  Bytes data;
  PutUtf16Z(&data, ascii);
  return SetValue(path, name, hive_t_REG_SZ, data);
}

HiveBuilder& HiveBuilder::SetMultiString(const std::string& path, const std::string& name,
                                         const std::vector<std::string>& ascii) {
  Bytes data;
  for (const std::string& s : ascii) PutUtf16Z(&data, s);
  PutFixed16(&data, 0);  // the empty string that ends the list
  return SetValue(path, name, hive_t_REG_MULTI_SZ, data);
}

HiveBuilder& HiveBuilder::SetDword(const std::string& path, const std::string& name,
                                   uint32_t value) {
  Bytes data;
  PutFixed32(&data, value);
  return SetValue(path, name, hive_t_REG_DWORD, data);
}

void HiveBuilder::Commit() {
  if (hivex_commit(hive_, nullptr, 0) != 0) Fail("commit " + path_);
}

void AddSystemKeys(HiveBuilder* b, const SystemHiveSpec& spec) {
  const auto n = static_cast<uint32_t>(spec.current_control_set);
  b->SetDword("Select", "Current", n).SetDword("Select", "Default", n);
  b->SetDword("Select", "Failed", 0).SetDword("Select", "LastKnownGood", n);
  char control_set[32];
  std::snprintf(control_set, sizeof(control_set), "ControlSet%03u", n);
  b->Key(std::string(control_set) + "\\Control\\CriticalDeviceDatabase");
  b->Key(std::string(control_set) + "\\Services");
  b->Key("Setup");
  if (spec.clone_tag) b->SetMultiString("Setup", "CloneTag", {*spec.clone_tag});
}

void WriteSystemHive(const std::string& path, const SystemHiveSpec& spec) {
  HiveBuilder b(path);
  AddSystemKeys(&b, spec);
  b.Commit();
}

}  // namespace fleetcast::testing
