#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/control_message.h"
#include "core/wire_format.h"
#include "tests/core/example_datagram.h"

namespace fleetcast {
namespace {

using wire::DatagramHeader;

TEST(DatagramHeader, GoldenBytesAndRoundTrip) {
  const DatagramHeader h = testing::ExampleHeader();
  Bytes d(DatagramHeader::kEncodedLength + 4, 0xee);
  h.EncodeTo(d.data());
  // clang-format off
  const Bytes want = {'F', 'C', 2, 1,
                      0x44, 0x33, 0x22, 0x11,   // session
                      0x0d, 0x0c, 0x0b, 0x0a,   // chunk
                      0x02, 0x01,               // block
                      70, 64,                   // shard, k
                      3, 0, 0, 0,               // pass
                      4, 0, 1, 2,               // length, seq
                      0xee, 0xee, 0xee, 0xee};  // payload
  // clang-format on
  EXPECT_EQ(d, want);
  d.resize(d.size() + wire::kTagLength);  // DatagramSeal's tag (tests/core/datagram_seal_test.cc)
  EXPECT_EQ(DatagramHeader::DecodeFrom(d).value(), h);
}

TEST(DatagramHeader, RejectsGarbage) {
  DatagramHeader h;
  Bytes d(DatagramHeader::kEncodedLength + wire::kTagLength);
  h.EncodeTo(d.data());
  ASSERT_TRUE(DatagramHeader::DecodeFrom(d).ok());
  for (size_t n = 0; n < d.size(); ++n) {
    EXPECT_FALSE(DatagramHeader::DecodeFrom(ByteView(d).first(n)).ok()) << n;
  }
  Bytes bad = d;
  bad[0] = 'X';
  EXPECT_EQ(DatagramHeader::DecodeFrom(bad).status().message(), "datagram: bad magic");
  bad = d;
  bad[2] = 9;
  EXPECT_EQ(DatagramHeader::DecodeFrom(bad).status().message(), "datagram: version 9");
  bad = d;
  bad[3] = 7;
  EXPECT_EQ(DatagramHeader::DecodeFrom(bad).status().message(), "datagram: unknown type 7");
  bad = d;
  bad.push_back(1);
  EXPECT_EQ(DatagramHeader::DecodeFrom(bad).status().message(),
            "datagram: length 0 but 17 bytes of payload and tag");
  bad = d;
  bad[2] = 1;  // a version 1 datagram had no tag
  EXPECT_EQ(DatagramHeader::DecodeFrom(bad).status().message(), "datagram: version 1");
}

TEST(DatagramHeader, ShardSizeForStandardMtu) {
  // 1500 - 20 IPv4 - 8 UDP - 24 header - 16 tag.
  EXPECT_EQ(wire::ShardSizeForMtu(1500), 1432u);
  EXPECT_EQ(wire::ShardSizeForMtu(9000), 8932u);
  // IPv6's fixed header is 40 bytes, 20 more than IPv4's.
  EXPECT_EQ(wire::ShardSizeForMtu(1500, wire::kIp6UdpOverhead), 1412u);
  EXPECT_EQ(wire::ShardSizeForMtu(1280, wire::kIp6UdpOverhead), 1192u);
}

control::Message RoundTrip(const control::Message& m) {
  Bytes frame;
  control::AppendFrame(m, &frame);
  EXPECT_EQ(DecodeFixed32(frame.data()), frame.size() - control::kFrameHeaderLength);
  Result<control::Message> back =
      control::DecodeBody(ByteView(frame).subspan(control::kFrameHeaderLength));
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  return back.ok() ? *back : control::Message{};
}

TEST(ControlMessage, EveryTypeRoundTrips) {
  auto hello = std::get<control::Hello>(RoundTrip(control::Hello{"52:54:00:12:34:56", 1}));
  EXPECT_EQ(hello.node, "52:54:00:12:34:56");
  auto session = std::get<control::Session>(
      RoundTrip(control::Session{7, "239.1.2.3", 9000, 1432, 64, Bytes{1, 2, 3}}));
  EXPECT_EQ(session.group, "239.1.2.3");
  EXPECT_EQ(session.manifest, (Bytes{1, 2, 3}));
  EXPECT_EQ(session.max_data_shards, 64u);
  auto report = std::get<control::Report>(
      RoundTrip(control::Report{4, {{1, 2, 3}, {70000, 9, 64}}, 12, 3400, 5, 77}));
  EXPECT_EQ(report.needs, (std::vector<control::BlockNeed>{{1, 2, 3}, {70000, 9, 64}}));
  EXPECT_EQ(report.rejected, 5u);
  EXPECT_EQ(report.forged, 77u);
  EXPECT_EQ(std::get<control::PassEnd>(RoundTrip(control::PassEnd{9})).pass, 9u);
  const auto progress = std::get<control::Progress>(RoundTrip(control::Progress{4, 9000, 91}));
  EXPECT_EQ(progress.pass, 4u);
  EXPECT_EQ(progress.received, 9000u);
  EXPECT_EQ(progress.lost, 91u);
  EXPECT_EQ(std::get<control::Done>(RoundTrip(control::Done{"ab", 7, 3})),
            (control::Done{"ab", 7, 3}));
  EXPECT_EQ(
      std::get<control::Have>(RoundTrip(control::Have{Bytes{0x05, 0x80}, std::nullopt})).chunks,
      (Bytes{0x05, 0x80}));
  EXPECT_EQ(control::TypeName(control::Have{}), "have");
  EXPECT_EQ(std::get<control::Error>(RoundTrip(control::Error{"no"})).message, "no");
  EXPECT_EQ(std::get<control::Release>(RoundTrip(control::Release{"exit"})).action, "exit");
  EXPECT_EQ(control::TypeName(control::PassEnd{}), "pass_end");
  EXPECT_EQ(control::TypeName(control::Progress{}), "progress");
  const control::Identity identity{
      "SQL01", {{"sysprep.inf", Bytes{'a', '\r', '\n'}}, {"drivers/x/y.sys", Bytes(70000, 7)}}};
  const auto back = std::get<control::Identity>(RoundTrip(identity));
  EXPECT_EQ(back.hostname, "SQL01");
  EXPECT_EQ(back.files, identity.files);
  EXPECT_EQ(control::TypeName(identity), "identity");
}

TEST(ControlMessage, SessionCarriesTheDataKeyAndMode) {
  control::Session s{7, "239.1.2.3", 9000, 1432, 64, Bytes{1}};
  for (size_t i = 0; i < s.data_key.size(); ++i) s.data_key[i] = static_cast<uint8_t>(0xa0 + i);
  s.encrypt = true;
  EXPECT_EQ(std::get<control::Session>(RoundTrip(s)), s);
  s.encrypt = false;
  EXPECT_EQ(std::get<control::Session>(RoundTrip(s)), s);
  // On the wire the key is CBOR bytes and the mode a CBOR bool.
  Bytes frame;
  control::AppendFrame(s, &frame);
  const nlohmann::json j =
      nlohmann::json::from_cbor(frame.begin() + control::kFrameHeaderLength, frame.end());
  EXPECT_EQ(static_cast<const Bytes&>(j["data_key"].get_binary()),
            Bytes(s.data_key.begin(), s.data_key.end()));
  EXPECT_EQ(j["encrypt"], false);
}

TEST(ControlMessage, SessionWithoutAWholeKeyIsRejected) {
  nlohmann::json j = {{"type", "session"},
                      {"session", 7},
                      {"group", "239.1.2.3"},
                      {"port", 9000},
                      {"shard_size", 1432},
                      {"max_data_shards", 64},
                      {"manifest", nlohmann::json::binary({1})},
                      {"encrypt", true}};
  const auto decode = [](const nlohmann::json& body) {
    return control::DecodeBody(nlohmann::json::to_cbor(body)).status().message();
  };
  EXPECT_EQ(decode(j), "control message: bad field 'data_key'");
  j["data_key"] = nlohmann::json::binary(Bytes(31, 1));
  EXPECT_EQ(decode(j), "control message: bad field 'data_key'");
  j["data_key"] = nlohmann::json::binary(Bytes(33, 1));
  EXPECT_EQ(decode(j), "control message: bad field 'data_key'");
  j["data_key"] = nlohmann::json::binary(Bytes(32, 1));
  EXPECT_EQ(decode(j), "");
  j["encrypt"] = 1;
  EXPECT_EQ(decode(j), "control message: bad field 'encrypt'");
}

TEST(ControlMessage, ReportWithoutForgedCountIsRejected) {
  const nlohmann::json j = {
      {"type", "report"}, {"pass", 1},      {"needs", nlohmann::json::array()},
      {"chunks_done", 0}, {"datagrams", 0}, {"rejected", 0}};
  EXPECT_EQ(control::DecodeBody(nlohmann::json::to_cbor(j)).status().message(),
            "control message: bad field 'forged'");
}

TEST(ControlMessage, HaveCarriesItsScanFrontierOnlyWhenGiven) {
  const control::Have partial{Bytes{0x05, 0x00}, 9};
  EXPECT_EQ(std::get<control::Have>(RoundTrip(partial)), partial);
  Bytes frame;
  control::AppendFrame(partial, &frame);
  const auto body =
      nlohmann::json::from_cbor(frame.begin() + control::kFrameHeaderLength, frame.end());
  EXPECT_EQ(body.at("scanned"), 9u);
  // Without the field the scan is complete, as old clients send it.
  frame.clear();
  control::AppendFrame(control::Have{Bytes{0x05}, std::nullopt}, &frame);
  const auto whole =
      nlohmann::json::from_cbor(frame.begin() + control::kFrameHeaderLength, frame.end());
  EXPECT_FALSE(whole.contains("scanned"));
  const Bytes old =
      nlohmann::json::to_cbor({{"type", "have"}, {"chunks", nlohmann::json::binary(Bytes{0x05})}});
  EXPECT_EQ(std::get<control::Have>(control::DecodeBody(old).value()).scanned, std::nullopt);
}

TEST(ControlMessage, HaveWithABadScanFrontierIsRejected) {
  for (const nlohmann::json& scanned :
       {nlohmann::json(-1), nlohmann::json("9"), nlohmann::json(uint64_t{1} << 32)}) {
    const Bytes body = nlohmann::json::to_cbor(
        {{"type", "have"}, {"chunks", nlohmann::json::binary(Bytes{0x05})}, {"scanned", scanned}});
    EXPECT_EQ(control::DecodeBody(body).status().message(), "control message: bad field 'scanned'");
  }
}

TEST(ControlMessage, RejectsBadBodies) {
  const Bytes bad_files =
      nlohmann::json::to_cbor({{"type", "identity"}, {"hostname", "A"}, {"files", {{"x", 1}}}});
  EXPECT_EQ(control::DecodeBody(bad_files).status().message(),
            "control message: bad field 'files'");
  EXPECT_EQ(control::DecodeBody(Bytes{0xff, 0x00}).status().message(),
            "control message: not a CBOR map");
  const Bytes body = nlohmann::json::to_cbor({{"type", "pass_end"}, {"pass", -1}});
  EXPECT_EQ(control::DecodeBody(body).status().message(), "control message: bad field 'pass'");
  const Bytes unknown = nlohmann::json::to_cbor({{"type", "warp"}});
  EXPECT_EQ(control::DecodeBody(unknown).status().message(),
            "control message: unknown type 'warp'");
}

// Found by fuzz/fuzz_control_message: a CBOR header announcing more elements
// than a vector can hold made nlohmann throw through DecodeBody.
TEST(ControlMessage, ExcessiveArraySizeIsCorruptionNotAnException) {
  Bytes body = {0xa1, 0x64, 't', 'y', 'p', 'e', 0x9b};  // {"type": array of 2^63 ...
  body.insert(body.end(), {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(control::DecodeBody(body).status().message(), "control message: not a CBOR map");
}

// Nesting deeper than any message is refused before the recursive CBOR
// reader can overflow the stack.
TEST(ControlMessage, DeepNestingIsCorruption) {
  Bytes body(300000, 0x81);  // [[[[...
  body.push_back(0x00);
  EXPECT_EQ(control::DecodeBody(body).status().message(), "control message: not a CBOR map");
  nlohmann::json deep = 1;
  for (int i = 0; i < 10; ++i) deep = nlohmann::json::array({deep});
  const Bytes identity =
      nlohmann::json::to_cbor({{"type", "identity"}, {"hostname", "a"}, {"files", deep}});
  EXPECT_EQ(control::DecodeBody(identity).status().message(), "control message: not a CBOR map");
}

}  // namespace
}  // namespace fleetcast
