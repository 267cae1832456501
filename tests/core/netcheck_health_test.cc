// The health findings of a netcheck: no querier heard (or none could be
// watched), a group that reaches no receiver, a receiver whose MTU is too
// small; how they replace the loss and jumbo lines they explain; and the
// report's health fields on the wire, old reports without them included.
#include "core/netcheck_health.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/control_message.h"
#include "core/netcheck_report.h"

namespace fleetcast::netcheck {
namespace {

StepStats Got(uint64_t received, uint64_t sent = 1000) {
  StepStats s;
  s.sent = sent;
  s.received = received;
  return s;
}

ReceiverHealth Heard(Querier q, uint32_t mtu = 1500, uint32_t listened_ms = 4200) {
  ReceiverHealth h;
  h.querier = q;
  if (q == Querier::kSeen) h.querier_address = "10.78.0.254";
  h.listened_ms = listened_ms;
  h.interface = "eth0";
  h.mtu = mtu;
  return h;
}

// Two rate steps of 1472-byte datagrams (1500-byte packets) to two
// receivers, both getting everything and hearing the querier.
Netcheck TwoReceivers() {
  Netcheck c;
  c.steps = {{10'000'000, 10'000'000, 1472, false}, {20'000'000, 20'000'000, 1472, false}};
  c.duration_s = 1;
  c.group = "239.77.0.1";
  c.port = 7010;
  c.receivers.push_back({"n1", {Got(1000), Got(1000)}, Heard(Querier::kSeen)});
  c.receivers.push_back({"n2", {Got(1000), Got(1000)}, Heard(Querier::kNotSeen)});
  return c;
}

const char kNoIgmpQuerier[] =
    "no IGMP querier heard on the segment: no receiver got a membership query in the 4.2 s it "
    "listened (a querier asks every 125 s by default: a check this short may miss it); snooping "
    "switches then age the group out after ~260 s and the stream stalls; enable an IGMP querier "
    "on the switch (or on a router for this VLAN), or turn IGMP snooping off";

TEST(NetcheckHealth, AQuerierHeardByOneReceiverIsEnough) {
  const Netcheck c = TwoReceivers();
  EXPECT_EQ(QuerierFinding(c), "");
  EXPECT_TRUE(Findings(c).empty());
}

TEST(NetcheckHealth, NoQuerierHeardIsOneLine) {
  Netcheck c = TwoReceivers();
  c.receivers[0].health = Heard(Querier::kNotSeen, 1500, 3000);
  EXPECT_EQ(Findings(c), std::vector<std::string>{kNoIgmpQuerier});
}

TEST(NetcheckHealth, ALongCheckThatHeardNoQuerierIsSure) {
  Netcheck c = TwoReceivers();
  for (ReceiverResult& r : c.receivers) r.health = Heard(Querier::kNotSeen, 1500, 130'000);
  c.group = "ff15::1";
  EXPECT_EQ(QuerierFinding(c),
            "no MLD querier heard on the segment: no receiver got a membership query in the 130 "
            "s it listened; snooping switches then age the group out after ~260 s and the "
            "stream stalls; enable an MLD querier on the switch (or on a router for this VLAN), "
            "or turn MLD snooping off");
}

TEST(NetcheckHealth, NoRawSocketSaysItCouldNotCheck) {
  Netcheck c = TwoReceivers();
  for (ReceiverResult& r : c.receivers) r.health = Heard(Querier::kNoAccess);
  EXPECT_EQ(Findings(c), std::vector<std::string>{
                             "could not check for an IGMP querier: n1, n2 cannot open a raw "
                             "socket; run fleetcast-client as root or give it CAP_NET_RAW"});
}

TEST(NetcheckHealth, OldClientsAndLoopbackSayNothingOfTheQuerier) {
  Netcheck c = TwoReceivers();
  for (ReceiverResult& r : c.receivers) r.health = {};
  EXPECT_TRUE(Findings(c).empty());
}

TEST(NetcheckHealth, AGroupThatReachesNoReceiverIsOneLine) {
  Netcheck c = TwoReceivers();
  for (ReceiverResult& r : c.receivers) r.steps = {Got(0), Got(0)};
  const std::string line =
      "no receiver got any test datagram on group 239.77.0.1:7010: the switch drops the group "
      "(IGMP snooping without a querier, a multicast filter or ACL) or a host firewall blocks "
      "UDP port 7010; check the switch's multicast settings and the receivers' firewalls";
  EXPECT_EQ(Findings(c), std::vector<std::string>{line});
  c.group = "ff15::1";
  for (Step& step : c.steps) step.datagram_bytes = 1452;
  EXPECT_TRUE(UnreachedGroupFinding(c).starts_with(
      "no receiver got any test datagram on group [ff15::1]:7010: the switch drops the group "
      "(MLD snooping"))
      << UnreachedGroupFinding(c);
}

TEST(NetcheckHealth, NothingSentIsNotAnUnreachedGroup) {
  Netcheck c = TwoReceivers();
  for (ReceiverResult& r : c.receivers) r.steps = {Got(0, 0), Got(0, 0)};
  EXPECT_EQ(UnreachedGroupFinding(c), "");
}

TEST(NetcheckHealth, OnlySomeReceiversGettingNothingAreNamed) {
  Netcheck c = TwoReceivers();
  c.receivers[1].steps = {Got(0), Got(0)};
  c.receivers[1].health.querier = Querier::kSeen;
  EXPECT_EQ(UnreachedGroupFinding(c), "");
  const std::vector<std::string> findings = Findings(c);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_TRUE(findings[0].starts_with("n2 received none of the test datagrams")) << findings[0];
}

TEST(NetcheckHealth, ASmallerMtuNamesTheReceiverAndTheCommand) {
  Netcheck c = TwoReceivers();
  c.receivers[1].health = Heard(Querier::kSeen, 1400);
  c.receivers[1].steps = {Got(0), Got(0)};
  EXPECT_EQ(LargestPacket(c), 1500u);
  EXPECT_FALSE(MtuTooSmall(c, c.receivers[0]));
  EXPECT_TRUE(MtuTooSmall(c, c.receivers[1]));
  // Its own line replaces "received none".
  EXPECT_EQ(Findings(c), std::vector<std::string>{
                             "n2 has MTU 1400 on eth0, smaller than the check's 1500-byte "
                             "packets, which it cannot receive; raise it: ip link set eth0 mtu "
                             "1500 (and its switch port to match)"});
}

TEST(NetcheckHealth, ASmallerMtuReplacesTheJumboLine) {
  Netcheck c = TwoReceivers();
  c.mtu = 9000;
  c.steps.push_back({10'000'000, 10'000'000, 8972, true});
  c.receivers[0].steps.push_back(Got(200, 200));
  c.receivers[0].health.mtu = 9000;
  c.receivers[1].steps.push_back(Got(0, 200));
  c.receivers[1].health = Heard(Querier::kSeen, 1500);
  EXPECT_EQ(LargestPacket(c), 9000u);
  EXPECT_EQ(Findings(c), std::vector<std::string>{
                             "n2 has MTU 1500 on eth0, smaller than the check's 9000-byte "
                             "packets, which it cannot receive; raise it: ip link set eth0 mtu "
                             "9000 (and its switch port to match)"});
  // Its MTU unknown (an older client), the jumbo step names it as before.
  c.receivers[1].health.mtu = 0;
  const std::vector<std::string> findings = Findings(c);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_TRUE(findings[0].starts_with("n2 gets no jumbo datagrams (8972 bytes)")) << findings[0];
}

TEST(NetcheckHealth, Ipv6PacketsCarryTheLongerHeader) {
  Netcheck c = TwoReceivers();
  c.group = "ff15::1";
  c.steps = {{10'000'000, 10'000'000, 1452, false}};
  EXPECT_EQ(LargestPacket(c), 1500u);
}

TEST(NetcheckHealth, JsonCarriesEachReceiversQuerierAndMtu) {
  Netcheck c = TwoReceivers();
  c.receivers[1].health = {};
  const nlohmann::json j = nlohmann::json::parse(JsonText(c));
  EXPECT_EQ(j["receivers"][0]["querier"], "seen");
  EXPECT_EQ(j["receivers"][0]["querier_address"], "10.78.0.254");
  EXPECT_EQ(j["receivers"][0]["interface"], "eth0");
  EXPECT_EQ(j["receivers"][0]["interface_mtu"], 1500);
  EXPECT_EQ(j["receivers"][1]["querier"], "unknown");
  EXPECT_TRUE(j["receivers"][1]["querier_address"].is_null());
  EXPECT_TRUE(j["receivers"][1]["interface_mtu"].is_null());
}

TEST(NetcheckHealth, TableListsTheFindings) {
  Netcheck c = TwoReceivers();
  c.receivers[0].health.querier = Querier::kNotSeen;
  EXPECT_NE(TableText(c).find(std::string("\n! ") + kNoIgmpQuerier + "\n"), std::string::npos);
}

TEST(MembershipQuery, RecognisesIgmpQueriesAfterTheIpHeader) {
  // IPv4 with a router alert option (IHL 6), IGMPv3 query.
  std::vector<uint8_t> packet = {0x46, 0xc0, 0, 36, 0,   0, 0, 0, 1,    2, 0, 0,
                                 0,    0,    0, 0,  224, 0, 0, 1, 0x94, 4, 0, 0,
                                 0x11, 100,  0, 0,  0,   0, 0, 0, 0,    0, 0, 0};
  EXPECT_TRUE(IsMembershipQuery(packet, false));
  packet[24] = 0x22;  // an IGMPv3 report
  EXPECT_FALSE(IsMembershipQuery(packet, false));
  packet[24] = 0x11;
  packet[9] = 17;  // not IGMP
  EXPECT_FALSE(IsMembershipQuery(packet, false));
  packet[9] = 2;
  EXPECT_FALSE(IsMembershipQuery(std::span(packet).first(24), false));  // no IGMP type
  EXPECT_FALSE(IsMembershipQuery(std::span(packet).first(19), false));
  EXPECT_TRUE(IsMembershipQuery(std::vector<uint8_t>{130, 0, 0, 0}, true));
  EXPECT_FALSE(IsMembershipQuery(std::vector<uint8_t>{143, 0, 0, 0}, true));  // MLDv2 report
  EXPECT_FALSE(IsMembershipQuery(std::vector<uint8_t>{}, true));
}

}  // namespace
}  // namespace fleetcast::netcheck

namespace fleetcast::control {
namespace {

Message RoundTrip(const Message& m) {
  Result<Message> back = DecodeBody(EncodeBody(m));
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  return back.ok() ? *back : Message{};
}

TEST(NetcheckReportHealth, RoundTrips) {
  NetcheckReport report;
  report.steps = {netcheck::StepStats{1000, 990, 3, 1, 0, 9'900'000, 1500}};
  report.health = {netcheck::Querier::kSeen, "10.78.0.254", 4200, "fcnet0", 1400};
  EXPECT_EQ(std::get<NetcheckReport>(RoundTrip(report)), report);
  report.health.querier = netcheck::Querier::kNoAccess;
  EXPECT_EQ(std::get<NetcheckReport>(RoundTrip(report)), report);
}

TEST(NetcheckReportHealth, AReportWithoutTheFieldsIsUnknown) {
  const nlohmann::json old = {{"type", "netcheck_report"}, {"steps", {10, 9, 1, 0, 0, 100, 5}}};
  const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(old);
  Result<Message> m = DecodeBody(Bytes(cbor.begin(), cbor.end()));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const NetcheckReport& r = std::get<NetcheckReport>(*m);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.health, netcheck::ReceiverHealth{});
}

TEST(NetcheckReportHealth, AnUnknownQuerierStateReadsAsUnknown) {
  const nlohmann::json newer = {
      {"type", "netcheck_report"}, {"steps", nlohmann::json::array()}, {"querier", 9}};
  const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(newer);
  Result<Message> m = DecodeBody(Bytes(cbor.begin(), cbor.end()));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(std::get<NetcheckReport>(*m).health.querier, netcheck::Querier::kUnknown);
}

TEST(NetcheckReportHealth, AFieldOfTheWrongTypeIsRefused) {
  const nlohmann::json bad = {
      {"type", "netcheck_report"}, {"steps", nlohmann::json::array()}, {"mtu", "1500"}};
  const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(bad);
  Result<Message> m = DecodeBody(Bytes(cbor.begin(), cbor.end()));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "control message: bad field 'mtu'");
}

}  // namespace
}  // namespace fleetcast::control
