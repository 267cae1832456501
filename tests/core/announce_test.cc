#include "core/announce.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace fleetcast::announce {
namespace {

using nlohmann::json;

Announce Sample() {
  Announce a;
  a.server = "10.0.0.1";
  a.port = 7010;
  a.image = "lab.fcimg";
  a.digest = "0123456789abcdef";
  a.group = "239.77.0.1";
  a.http_port = 8080;
  return a;
}

Bytes Encode(const Announce& a) {
  Bytes d;
  a.EncodeTo(&d);
  return d;
}

// A datagram with a valid header around any body, for bodies EncodeTo
// would never write.
Bytes WithBody(const json& body, uint8_t version = kVersion) {
  Bytes d(kMagic, kMagic + sizeof(kMagic));
  d.push_back(version);
  const Bytes cbor = json::to_cbor(body);
  d.insert(d.end(), cbor.begin(), cbor.end());
  return d;
}

json SampleBody() {
  return {{"server", "10.0.0.1"},         {"port", 7010},          {"image", "lab.fcimg"},
          {"digest", "0123456789abcdef"}, {"group", "239.77.0.1"}, {"http_port", 8080}};
}

std::string DecodeError(ByteView d) {
  Result<Announce> a = Announce::DecodeFrom(d);
  return a.ok() ? "OK" : a.status().message();
}

TEST(Announce, GoldenBytesAndRoundTrip) {
  const Bytes d = Encode(Sample());
  // clang-format off
  const Bytes want = {
      'F', 'C', 'A', 'N', 1,                                   // magic, version
      0xa6,                                                    // map of 6, keys sorted
      0x66, 'd', 'i', 'g', 'e', 's', 't',
      0x70, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
      0x65, 'g', 'r', 'o', 'u', 'p',
      0x6a, '2', '3', '9', '.', '7', '7', '.', '0', '.', '1',
      0x69, 'h', 't', 't', 'p', '_', 'p', 'o', 'r', 't',
      0x19, 0x1f, 0x90,                                        // 8080
      0x65, 'i', 'm', 'a', 'g', 'e',
      0x69, 'l', 'a', 'b', '.', 'f', 'c', 'i', 'm', 'g',
      0x64, 'p', 'o', 'r', 't',
      0x19, 0x1b, 0x62,                                        // 7010
      0x66, 's', 'e', 'r', 'v', 'e', 'r',
      0x68, '1', '0', '.', '0', '.', '0', '.', '1'};
  // clang-format on
  EXPECT_EQ(d, want);
  Result<Announce> back = Announce::DecodeFrom(d);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Sample());
}

// The worked example in docs/protocol.md is the golden datagram above.
TEST(Announce, DocumentedExampleDecodes) {
  std::ifstream in(FLEETCAST_SOURCE_DIR "/docs/protocol.md");
  const std::string doc{std::istreambuf_iterator<char>(in), {}};
  const size_t block = doc.find("```\n46 43 41 4e");
  ASSERT_NE(block, std::string::npos);
  const size_t start = block + 4;
  std::istringstream hex(doc.substr(start, doc.find("```", start) - start));
  Bytes d;
  for (std::string byte; hex >> byte;) {
    d.push_back(static_cast<uint8_t>(std::stoul(byte, nullptr, 16)));
  }
  EXPECT_EQ(d, Encode(Sample()));
  EXPECT_EQ(Announce::DecodeFrom(d).value(), Sample());
}

TEST(Announce, RoundTripAtTheLimits) {
  Announce a = Sample();
  a.server = "255.255.255.255";
  a.port = 65535;
  a.image = std::string(kMaxImageName, 'x');
  a.group = "224.0.0.0";
  a.http_port = 0;
  const Bytes d = Encode(a);
  EXPECT_LE(d.size(), kMaxLength);
  EXPECT_EQ(Announce::DecodeFrom(d).value(), a);
}

TEST(Announce, DecodeRejectsTruncatedAtEveryLength) {
  const Bytes d = Encode(Sample());
  for (size_t n = 0; n < d.size(); ++n) {
    EXPECT_FALSE(Announce::DecodeFrom(ByteView(d).first(n)).ok()) << n;
  }
  EXPECT_EQ(DecodeError(ByteView(d).first(4)), "announce: 4 bytes, shorter than a header");
  EXPECT_EQ(DecodeError(ByteView(d).first(5)), "announce: body is not a CBOR map");
  EXPECT_EQ(DecodeError(ByteView(d).first(40)), "announce: body is not a CBOR map");
}

TEST(Announce, DecodeRejectsWrongMagic) {
  const Bytes good = Encode(Sample());
  for (size_t i = 0; i < sizeof(kMagic); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x20;
    EXPECT_EQ(DecodeError(bad), "announce: bad magic") << i;
  }
  // A data-plane datagram (magic "FC", version 1, type 1) sent to the announce port.
  Bytes data = {'F', 'C', 1, 1};
  data.resize(24 + 100, 0);
  EXPECT_EQ(DecodeError(data), "announce: bad magic");
}

TEST(Announce, DecodeRejectsOtherVersionsAsNotSupported) {
  for (const uint8_t version : {0, 2, 255}) {
    Result<Announce> a = Announce::DecodeFrom(WithBody(SampleBody(), version));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), Status::Code::kNotSupported);
    EXPECT_EQ(a.status().message(), "announce: version " + std::to_string(version));
  }
}

TEST(Announce, DecodeRejectsOversizedDatagram) {
  json body = SampleBody();
  body["padding"] = std::string(kMaxLength, 'p');
  EXPECT_EQ(DecodeError(WithBody(body)),
            "announce: " + std::to_string(WithBody(body).size()) + " bytes, over 548");
}

TEST(Announce, DecodeRejectsGarbage) {
  std::mt19937 rng(301);
  for (int i = 0; i < 20000; ++i) {
    Bytes d(rng() % (kMaxLength + 8));
    for (uint8_t& b : d) b = static_cast<uint8_t>(rng());
    // Half of them get a valid header, so the CBOR parser sees garbage too.
    if (i % 2 == 0 && d.size() >= kHeaderLength) {
      std::copy(kMagic, kMagic + sizeof(kMagic), d.begin());
      d[4] = kVersion;
    }
    EXPECT_FALSE(Announce::DecodeFrom(d).ok()) << i;
  }
}

TEST(Announce, DecodeSurvivesEveryByteCorrupted) {
  const Bytes good = Encode(Sample());
  for (size_t i = 0; i < good.size(); ++i) {
    for (const uint8_t value : {0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xff}) {
      Bytes bad = good;
      bad[i] = value;
      Result<Announce> a = Announce::DecodeFrom(bad);  // must not throw or crash
      // What survives must be an announce like any other.
      if (a.ok()) {
        EXPECT_EQ(Announce::DecodeFrom(Encode(*a)).value(), *a) << i;
      }
    }
  }
}

TEST(Announce, DecodeRejectsBodyThatIsNotAMap) {
  EXPECT_EQ(DecodeError(WithBody(json::array({1, 2, 3}))), "announce: body is not a CBOR map");
  EXPECT_EQ(DecodeError(WithBody("text")), "announce: body is not a CBOR map");
  Bytes trailing = Encode(Sample());
  trailing.push_back(0);
  EXPECT_EQ(DecodeError(trailing), "announce: body is not a CBOR map");
}

TEST(Announce, DecodeRejectsEachFieldMissingOrOfTheWrongType) {
  for (const char* key : {"server", "port", "image", "digest", "group", "http_port"}) {
    json missing = SampleBody();
    missing.erase(key);
    EXPECT_EQ(DecodeError(WithBody(missing)), std::string("announce: bad field '") + key + "'");
    json wrong = SampleBody();
    wrong[key] = wrong[key].is_number() ? json("7010") : json(7010);
    EXPECT_EQ(DecodeError(WithBody(wrong)), std::string("announce: bad field '") + key + "'");
  }
}

TEST(Announce, DecodeRejectsValuesOutOfRange) {
  const auto with = [](const char* key, const json& value) {
    json body = SampleBody();
    body[key] = value;
    return DecodeError(WithBody(body));
  };
  EXPECT_EQ(with("port", 0), "announce: port 0");
  EXPECT_EQ(with("port", 65536), "announce: bad field 'port'");
  EXPECT_EQ(with("port", -1), "announce: bad field 'port'");
  EXPECT_EQ(with("port", 7010.5), "announce: bad field 'port'");
  EXPECT_EQ(with("http_port", 70000), "announce: bad field 'http_port'");
  EXPECT_EQ(with("server", "10.0.0"), "announce: server '10.0.0' is not an IP address");
  EXPECT_EQ(with("server", "10.0.0.256"), "announce: server '10.0.0.256' is not an IP address");
  EXPECT_EQ(with("server", "host.lab"), "announce: server 'host.lab' is not an IP address");
  EXPECT_EQ(with("group", "10.0.0.1"), "announce: group '10.0.0.1' is not a multicast address");
  EXPECT_EQ(with("digest", "0123456789ABCDEF"),
            "announce: digest '0123456789ABCDEF' is not 16 hex digits");
  EXPECT_EQ(with("digest", "0123"), "announce: digest '0123' is not 16 hex digits");
  EXPECT_EQ(with("image", std::string(kMaxImageName + 1, 'x')),
            "announce: image name over 64 bytes");
}

TEST(Announce, DecodeIgnoresUnknownKeys) {
  json body = SampleBody();
  body["later"] = "a field a newer server adds";
  EXPECT_EQ(Announce::DecodeFrom(WithBody(body)).value(), Sample());
}

TEST(Announce, ShortImageNameKeepsTheFileNameAndWholeCharacters) {
  EXPECT_EQ(ShortImageName("/srv/images/lab.fcimg"), "lab.fcimg");
  EXPECT_EQ(ShortImageName("lab.fcimg"), "lab.fcimg");
  EXPECT_EQ(ShortImageName(std::string(100, 'a')), std::string(kMaxImageName, 'a'));
  // "é" is two bytes; one starting at byte 63 would be cut in half.
  const std::string name = std::string(63, 'a') + "\xc3\xa9" + "z";
  EXPECT_EQ(ShortImageName(name), std::string(63, 'a'));
}

TEST(Announce, ShortDigestIsTheFirstSixteenDigits) {
  EXPECT_EQ(ShortDigest("0123456789abcdef0123456789abcdef"), "0123456789abcdef");
}

TEST(AnnounceEndpoint, ParsesGroupAndPort) {
  const Endpoint e = ParseEndpoint("239.1.2.3:9000").value();
  EXPECT_EQ(e.group, "239.1.2.3");
  EXPECT_EQ(e.port, 9000);
  EXPECT_EQ(e.ToString(), "239.1.2.3:9000");
  EXPECT_EQ(Endpoint().ToString(), "239.77.0.254:7009");
}

TEST(AnnounceEndpoint, ParsesBracketedIPv6Group) {
  const Endpoint e = ParseEndpoint("[ff15::fc:7009]:7009").value();
  EXPECT_EQ(e.group, "ff15::fc:7009");
  EXPECT_EQ(e.port, 7009);
  EXPECT_EQ(e.ToString(), "[ff15::fc:7009]:7009");
  for (const char* text : {"ff15::fc:7009", "[ff15::fc:7009]", "[fd7c::1]:7009",
                           "ff15::fc:7009:7009", "[ff15::fc:7009]:0"}) {
    EXPECT_FALSE(ParseEndpoint(text).ok()) << text;
  }
}

TEST(Announce, IPv6ServerAndGroupRoundTrip) {
  Announce a = Sample();
  a.server = "fd7c::1";
  a.group = "ff15::fc:1";
  EXPECT_EQ(Announce::DecodeFrom(Encode(a)).value(), a);
  json body = SampleBody();
  body["server"] = "fe80::1%eth0";  // a zone means nothing on another host
  EXPECT_EQ(DecodeError(WithBody(body)), "announce: server 'fe80::1%eth0' is not an IP address");
  body = SampleBody();
  body["group"] = "fd7c::1";
  EXPECT_EQ(DecodeError(WithBody(body)), "announce: group 'fd7c::1' is not a multicast address");
}

TEST(AnnounceEndpoint, RejectsAnythingElseWithOneLine) {
  for (const char* text : {"239.1.2.3", "239.1.2.3:", "239.1.2.3:0", "239.1.2.3:65536",
                           "239.1.2.3:9x", "10.0.0.1:9000", "lan:9000", ":9000", ""}) {
    Result<Endpoint> e = ParseEndpoint(text);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.status().message(),
              std::string("--announce ") + text +
                  ": not GROUP:PORT with a multicast GROUP; e.g. 239.77.0.254:7009 or "
                  "[ff15::fc:7009]:7009");
  }
}

TEST(AnnounceAddress, IPv4IsFourDecimalOctets) {
  EXPECT_TRUE(IsIPv4("0.0.0.0"));
  EXPECT_TRUE(IsIPv4("192.168.10.254"));
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "1..2.3", "01.2.3.4", "1.2.3.-4", "1.2.3.+4",
        "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1234.1.1.1"}) {
    EXPECT_FALSE(IsIPv4(bad)) << bad;
  }
  EXPECT_TRUE(IsIPv4Multicast("224.0.0.1"));
  EXPECT_TRUE(IsIPv4Multicast("239.255.255.255"));
  EXPECT_FALSE(IsIPv4Multicast("223.255.255.255"));
  EXPECT_FALSE(IsIPv4Multicast("240.0.0.1"));
}

}  // namespace
}  // namespace fleetcast::announce
