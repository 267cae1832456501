#include "core/inventory.h"

#include <array>
#include <cctype>
#include <charconv>

namespace fleetcast {

namespace {

constexpr std::array<std::pair<Flavour, std::string_view>, 3> kFlavourNames = {{
    {Flavour::kSysprepInf, "sysprep-inf"},
    {Flavour::kUnattendXml, "unattend-xml"},
    {Flavour::kCloudInit, "cloud-init"},
}};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string_view FlavourName(Flavour flavour) {
  for (const auto& [f, name] : kFlavourNames) {
    if (f == flavour) return name;
  }
  return "unknown";
}

std::optional<Flavour> ParseFlavour(std::string_view name) {
  for (const auto& [f, n] : kFlavourNames) {
    if (n == name) return f;
  }
  return std::nullopt;
}

const NodeSpec* Inventory::FindByMac(std::string_view mac) const {
  const auto normal = NormalizeMac(mac);
  if (!normal) return nullptr;
  for (const NodeSpec& node : nodes) {
    if (node.mac == *normal) return &node;
  }
  return nullptr;
}

const GroupSpec* Inventory::GroupOf(const NodeSpec& node) const {
  const auto it = groups.find(node.group);
  return it == groups.end() ? nullptr : &it->second;
}

std::string Problem::ToString(std::string_view source) const {
  std::string out(source);
  if (line > 0) out += ":" + std::to_string(line);
  out += ": " + subject;
  if (!field.empty()) out += ": " + field;
  return out + ": " + message;
}

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const auto digits = static_cast<size_t>(end - text.data());
    if (ec != std::errc() || value > 255 || digits > 3 || (digits > 1 && text.front() == '0')) {
      return std::nullopt;
    }
    address = (address << 8) | value;
    text.remove_prefix(digits);
  }
  if (!text.empty()) return std::nullopt;
  return address;
}

std::string FormatIpv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

std::string PrefixToNetmask(int prefix) {
  if (prefix <= 0) return "0.0.0.0";
  if (prefix >= 32) return "255.255.255.255";
  return FormatIpv4(~uint32_t{0} << (32 - prefix));
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> NormalizeMac(std::string_view text) {
  std::string hex;
  for (const char c : text) {
    if (c == ':' || c == '-') continue;
    if (HexValue(c) < 0) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 12) return std::nullopt;
  // Separators, when present, must split the address into six pairs.
  if (text.size() != 12 && text.size() != 17) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < 12; i += 2) {
    if (!out.empty()) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

}  // namespace fleetcast
