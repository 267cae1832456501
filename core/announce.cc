#include "core/announce.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/host_port.h"

namespace fleetcast::announce {

namespace {

using nlohmann::json;

Status Bad(const std::string& what) { return Status::Corruption("announce: " + what); }

// Reads one field of the body, or returns the error naming it.
Status GetText(const json& body, const char* key, std::string* out) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return Bad(std::string("bad field '") + key + "'");
  *out = it->get<std::string>();
  return Status::OK();
}

Status GetPort(const json& body, const char* key, uint16_t* out) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_number_unsigned() || it->get<uint64_t>() > UINT16_MAX) {
    return Bad(std::string("bad field '") + key + "'");
  }
  *out = static_cast<uint16_t>(it->get<uint64_t>());
  return Status::OK();
}

bool IsLowerHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Each field's meaning beyond its type, so a client never tries to connect
// to something that is not an address.
Status CheckValues(const Announce& a) {
  if (!IsIpAddress(a.server)) return Bad("server '" + a.server + "' is not an IP address");
  if (a.port == 0) return Bad("port 0");
  if (a.image.size() > kMaxImageName)
    return Bad("image name over " + std::to_string(kMaxImageName) + " bytes");
  if (a.digest.size() != kDigestDigits || !IsLowerHex(a.digest)) {
    return Bad("digest '" + a.digest + "' is not " + std::to_string(kDigestDigits) + " hex digits");
  }
  if (!IsMulticastAddress(a.group)) {
    return Bad("group '" + a.group + "' is not a multicast address");
  }
  return Status::OK();
}

Result<Announce> FromBody(const json& body) {
  Announce a;
  Status s = GetText(body, "server", &a.server);
  if (s.ok()) s = GetPort(body, "port", &a.port);
  if (s.ok()) s = GetText(body, "image", &a.image);
  if (s.ok()) s = GetText(body, "digest", &a.digest);
  if (s.ok()) s = GetText(body, "group", &a.group);
  if (s.ok()) s = GetPort(body, "http_port", &a.http_port);
  if (s.ok()) s = CheckValues(a);
  if (!s.ok()) return s;
  return a;
}

// The body as a map, or a discarded value for anything else. nlohmann
// reports malformed CBOR by value here, but a few paths of its parser can
// still throw; none may leave a decoder that reads the network.
json ParseBody(ByteView body) {
  try {
    return json::from_cbor(body.begin(), body.end(), /*strict=*/true,
                           /*allow_exceptions=*/false);
  } catch (const json::exception&) {
    return json(json::value_t::discarded);
  }
}

}  // namespace

void Announce::EncodeTo(Bytes* out) const {
  assert(CheckValues(*this).ok());
  const json body = {{"server", server}, {"port", port},   {"image", image},
                     {"digest", digest}, {"group", group}, {"http_port", http_port}};
  PutBytes(out, ByteView(kMagic, sizeof(kMagic)));
  PutFixed8(out, kVersion);
  PutBytes(out, json::to_cbor(body));
}

Result<Announce> Announce::DecodeFrom(ByteView d) {
  if (d.size() < kHeaderLength) {
    return Bad(std::to_string(d.size()) + " bytes, shorter than a header");
  }
  if (d.size() > kMaxLength) {
    return Bad(std::to_string(d.size()) + " bytes, over " + std::to_string(kMaxLength));
  }
  if (!std::equal(kMagic, kMagic + sizeof(kMagic), d.begin())) return Bad("bad magic");
  if (d[4] != kVersion) return Status::NotSupported("announce: version " + std::to_string(d[4]));
  const json body = ParseBody(d.subspan(kHeaderLength));
  if (body.is_discarded() || !body.is_object()) return Bad("body is not a CBOR map");
  return FromBody(body);
}

std::string ShortImageName(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.size() <= kMaxImageName) return name;
  size_t end = kMaxImageName;
  // Back off continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xc0) == 0x80) --end;
  return name.substr(0, end);
}

std::string ShortDigest(const std::string& hex) { return hex.substr(0, kDigestDigits); }

std::string Endpoint::ToString() const { return JoinHostPort(group, port); }

Result<Endpoint> ParseEndpoint(const std::string& text) {
  const std::optional<HostPort> at = SplitHostPort(text);
  if (!at || !IsMulticastAddress(at->host)) {
    return Status::InvalidArgument("--announce " + text +
                                   ": not GROUP:PORT with a multicast GROUP; e.g. " +
                                   kDefaultGroup + ":" + std::to_string(kDefaultPort) + " or [" +
                                   kDefaultGroup6 + "]:" + std::to_string(kDefaultPort));
  }
  return Endpoint{at->host, at->port};
}

bool IsIPv4(const std::string& text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0 && (p == end || *p++ != '.')) return false;
    unsigned value = 0;
    const auto [next, ec] = std::from_chars(p, end, value);
    const ptrdiff_t digits = next - p;
    if (ec != std::errc() || value > 255 || digits > 3 || (digits > 1 && *p == '0')) return false;
    p = next;
  }
  return p == end;
}

bool IsIPv4Multicast(const std::string& text) {
  if (!IsIPv4(text)) return false;
  unsigned first = 0;
  std::from_chars(text.data(), text.data() + text.size(), first);
  return first >= 224 && first <= 239;
}

}  // namespace fleetcast::announce
