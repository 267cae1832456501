// The announce datagram: how a machine booted without `fleetcast.server=`
// finds the server. While `serve` runs it multicasts one of these a second
// to a well-known group (kDefaultGroup:kDefaultPort, TTL as --ttl); a client
// started with `--server auto` (or `fleetcast-client discover`) takes the
// first valid one. docs/protocol.md has the grammar and a worked example.
//
//   magic      4 bytes  'F' 'C' 'A' 'N'
//   version    fixed8   kVersion
//   body       CBOR map (nlohmann-json's to_cbor), the rest of the datagram:
//     "server"     text   the server's address on its --interface: IPv4, or
//                         IPv6 (no zone) when serving an IPv6 group
//     "port"       uint   its TCP control port (1..65535)
//     "image"      text   the image's file name, at most kMaxImageName bytes
//     "digest"     text   the image digest's first kDigestDigits hex digits
//     "group"      text   the session's data multicast group (IPv4 or IPv6)
//     "http_port"  uint   the port of its HTTP server (status page)
//
// The magic differs from the data plane's ("FC" then version 1) in its third
// byte, so a data datagram sent to the announce port is rejected by its
// magic, not by a parse error. A version-1 reader ignores keys it does not
// know, so fields can be added without a new version; removing or changing
// one needs kVersion + 1, which an old reader rejects as NotSupported. IPv6
// addresses in "server" and "group" came later within version 1: a reader
// from before rejects such an announce (a bad value) and waits for another,
// which is right, as it could not join an IPv6 group either.
#ifndef FLEETCAST_CORE_ANNOUNCE_H_
#define FLEETCAST_CORE_ANNOUNCE_H_

#include <cstdint>
#include <string>

#include "core/coding.h"
#include "core/status.h"

namespace fleetcast::announce {

constexpr uint8_t kMagic[4] = {'F', 'C', 'A', 'N'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderLength = sizeof(kMagic) + 1;
/// The largest announce accepted: one datagram at the smallest MTU (576)
/// that serve allows, less IPv4 and UDP headers.
constexpr size_t kMaxLength = 576 - 20 - 8;
constexpr size_t kMaxImageName = 64;
constexpr size_t kDigestDigits = 16;

/// Where announces go unless --announce says otherwise: the top of the
/// 239.77.0.0/24 block whose .1 is the default data group.
constexpr const char* kDefaultGroup = "239.77.0.254";
constexpr uint16_t kDefaultPort = 7009;
/// Where a serve of an IPv6 group announces unless --announce says
/// otherwise: transient (the 1 of ff1x), site-local scope (5).
constexpr const char* kDefaultGroup6 = "ff15::fc:7009";

/// One server's announce: what a client needs to connect to it.
struct Announce {
  std::string server;  // dotted IPv4, or IPv6 without a zone
  uint16_t port = 0;   // TCP control port
  std::string image;   // file name, for logs
  std::string digest;  // kDigestDigits lower-case hex digits
  std::string group;   // data multicast group, IPv4 or IPv6
  uint16_t http_port = 0;

  bool operator==(const Announce&) const = default;

  /// Appends the datagram. The fields must pass DecodeFrom's checks
  /// (ShortImageName and ShortDigest make the two text fields fit).
  void EncodeTo(Bytes* out) const;
  /// Checks length, magic, version (NotSupported if another), that the body
  /// is a CBOR map, then each field's type and range. Never throws.
  static Result<Announce> DecodeFrom(ByteView datagram);
};

/// The last path component of `path`, cut to kMaxImageName bytes without
/// splitting a UTF-8 sequence.
std::string ShortImageName(const std::string& path);
/// The first kDigestDigits digits of a digest's hex form.
std::string ShortDigest(const std::string& hex);

/// A multicast group and UDP port, as given to --announce.
struct Endpoint {
  std::string group = kDefaultGroup;
  uint16_t port = kDefaultPort;

  /// "239.77.0.254:7009", "[ff15::fc:7009]:7009".
  std::string ToString() const;
};

/// Parses "GROUP:PORT" or "[GROUP]:PORT" (GROUP an IPv4 or IPv6 multicast
/// address, PORT 1..65535); an error line naming `--announce` otherwise.
Result<Endpoint> ParseEndpoint(const std::string& text);

/// True for a dotted-quad IPv4 address ("10.0.0.1"; no leading zeros).
bool IsIPv4(const std::string& text);
/// True for a dotted-quad IPv4 address in 224.0.0.0/4.
bool IsIPv4Multicast(const std::string& text);

}  // namespace fleetcast::announce

#endif  // FLEETCAST_CORE_ANNOUNCE_H_
