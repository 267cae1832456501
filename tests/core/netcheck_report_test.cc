// What a netcheck shows: knees, the receivers named as losing more than the
// rest, and the table, JSON and SVG made of it.
#include "core/netcheck_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace fleetcast::netcheck {
namespace {

StepStats Lost(uint64_t lost, uint64_t burst = 0, uint64_t reordered = 0) {
  StepStats s;
  s.sent = 1000;
  s.received = 1000 - lost;
  s.longest_burst = burst;
  s.reordered = reordered;
  return s;
}

StepStats Jumbo(uint64_t received) {
  StepStats s;
  s.sent = 100;
  s.received = received;
  return s;
}

// Three receivers behind 40 Mbit/s links: n1 and n2 clean below it, n3
// losing a quarter at every rate and no jumbo datagram at all.
Netcheck ThreeReceivers() {
  Netcheck c;
  for (uint64_t mbit : {10, 25, 50, 100, 200}) {
    c.steps.push_back({mbit * 1'000'000, mbit * 1'000'000, 1500, false});
  }
  c.steps.push_back({10'000'000, 10'000'000, 9000, true});
  c.duration_s = 2;
  c.mtu = 9000;
  c.receivers.push_back(
      {"n1", {Lost(0), Lost(0), Lost(190, 40), Lost(600, 90), Lost(800, 200), Jumbo(100)}});
  c.receivers.push_back(
      {"n2", {Lost(0), Lost(1, 1), Lost(200, 41), Lost(590, 80, 2), Lost(790, 150), Jumbo(100)}});
  c.receivers.push_back(
      {"n3", {Lost(250, 3), Lost(250, 4), Lost(390, 50), Lost(700, 99), Lost(850, 300), Jumbo(0)}});
  return c;
}

TEST(NetcheckReport, RiseThresholdIsHalfAPointOrFourSigmaOfTheFloor) {
  EXPECT_DOUBLE_EQ(RiseThreshold(0, 1000), 0.005);
  EXPECT_DOUBLE_EQ(RiseThreshold(0.01, 0), 0.015);
  // 25% over 1000 datagrams: sigma 1.37 points.
  EXPECT_NEAR(RiseThreshold(0.25, 1000), 0.25 + 4 * 0.013693, 1e-5);
}

TEST(NetcheckReport, KneeIsTheLastRateBeforeLossRisesAboveTheFloor) {
  const Netcheck c = ThreeReceivers();
  for (const ReceiverResult& r : c.receivers) {
    const Knee k = FindKnee(c, r);
    EXPECT_TRUE(k.found) << r.node;
    EXPECT_EQ(k.rate_bits, 25'000'000u) << r.node;
  }
  EXPECT_DOUBLE_EQ(FindKnee(c, c.receivers[2]).floor, 0.25);
  EXPECT_DOUBLE_EQ(FindKnee(c, c.receivers[1]).floor, 0);
}

TEST(NetcheckReport, NoRiseMeansNoKneeUpToTheHighestRate) {
  Netcheck c = ThreeReceivers();
  c.receivers[0].steps = {Lost(2), Lost(1), Lost(3), Lost(2), Lost(4), Jumbo(100)};
  const Knee k = FindKnee(c, c.receivers[0]);
  EXPECT_FALSE(k.found);
  EXPECT_EQ(k.rate_bits, 200'000'000u);
  EXPECT_DOUBLE_EQ(k.floor, 0.001);
  // Lossier at the lowest rate than later: the knee is below the range.
  c.receivers[0].steps = {Lost(50), Lost(0), Lost(0), Lost(0), Lost(0), Jumbo(100)};
  EXPECT_TRUE(FindKnee(c, c.receivers[0]).found);
  EXPECT_EQ(FindKnee(c, c.receivers[0]).rate_bits, 0u);
}

TEST(NetcheckReport, NamesTheReceiverThatLosesMoreAndWhy) {
  EXPECT_EQ(Findings(ThreeReceivers()),
            (std::vector<std::string>{
                "n3 loses 25.0% at 10 Mbit/s where the others lose 0%: its port, cable or NIC; "
                "check its link's error counters (ip -s link, ethtool -S) and its cable",
                "n3 gets no jumbo datagrams (9000 bytes) while the others do: its interface or "
                "switch port has an MTU under 9000; set it to 9000"}));
}

TEST(NetcheckReport, ASlowerLinkLosesOnlyAtHigherRates) {
  Netcheck c = ThreeReceivers();
  c.receivers[2].steps = {Lost(0), Lost(300), Lost(600), Lost(800), Lost(900), Jumbo(100)};
  EXPECT_EQ(Findings(c), (std::vector<std::string>{
                             "n3 loses 60.0% at 50 Mbit/s where the others lose 19.5%: its link "
                             "is slower than the others' or the host cannot keep up; check its "
                             "link speed (ethtool) and its load"}));
}

TEST(NetcheckReport, AReceiverTheGroupDoesNotReachAndJumboNowhere) {
  Netcheck c = ThreeReceivers();
  c.receivers[2].steps = {Lost(1000), Lost(1000), Lost(1000), Lost(1000), Lost(1000), Jumbo(0)};
  c.receivers[0].steps.back() = Jumbo(0);
  c.receivers[1].steps.back() = Jumbo(0);
  EXPECT_EQ(Findings(c),
            (std::vector<std::string>{
                "n3 received none of the test datagrams: the group does not reach it; check that "
                "its switch port forwards multicast (IGMP snooping) and that it listens on the "
                "right interface",
                "no receiver got a jumbo datagram (9000 bytes, --mtu 9000): the switch or a link "
                "on the way passes no frames that large; set MTU 9000 on every host and switch "
                "port, or deploy with --mtu 1500"}));
}

TEST(NetcheckReport, OneReceiverAloneIsNamedOnlyIfNothingArrives) {
  Netcheck c = ThreeReceivers();
  c.receivers.erase(c.receivers.begin(), c.receivers.begin() + 2);  // n3 alone
  c.receivers[0].steps.back() = Jumbo(100);
  EXPECT_TRUE(Findings(c).empty());
}

TEST(NetcheckReport, RatesForTablesAndSentences) {
  EXPECT_EQ(RateText(100'000'000), "100M");
  EXPECT_EQ(RateText(1'000'000'000), "1G");
  EXPECT_EQ(RateText(2'500'000'000), "2.5G");
  EXPECT_EQ(RateText(99'140'000), "99.1M");
  EXPECT_EQ(RateText(64'000), "64k");
  EXPECT_EQ(RateText(999'600'000), "1G");  // rounds into the next unit
  EXPECT_EQ(RateText(999'600), "1M");
  EXPECT_EQ(RateText(999'400'000), "999M");
  EXPECT_EQ(RateWords(500'000'000), "500 Mbit/s");
  EXPECT_EQ(RateWords(900), "900 bit/s");
}

TEST(NetcheckReport, Table) {
  Netcheck c = ThreeReceivers();
  c.steps[4].sent_bits = 180'200'000;
  EXPECT_EQ(TableText(c),
            "netcheck: 3 receivers, 5 rate steps of 2 s, 1500-byte datagrams; loss per offered "
            "rate (bit/s on the wire)\n"
            "receiver        10M      25M      50M     100M     200M     knee  burst  reordered"
            "   jumbo\n"
            "(sent)          10M      25M      50M     100M     180M\n"
            "n1            0.00%    0.00%   19.00%   60.00%   80.00%      25M      0          0"
            "      ok\n"
            "n2            0.00%    0.10%   20.00%   59.00%   79.00%      25M      1          2"
            "      ok\n"
            "n3           25.00%   25.00%   39.00%   70.00%   85.00%      25M      4          0"
            "    LOST\n"
            "! n3 loses 25.0% at 10 Mbit/s where the others lose 0%: its port, cable or NIC; "
            "check its link's error counters (ip -s link, ethtool -S) and its cable\n"
            "! n3 gets no jumbo datagrams (9000 bytes) while the others do: its interface or "
            "switch port has an MTU under 9000; set it to 9000\n");
}

TEST(NetcheckReport, Json) {
  const nlohmann::json j = nlohmann::json::parse(JsonText(ThreeReceivers()));
  EXPECT_EQ(j["mtu"], 9000);
  ASSERT_EQ(j["steps"].size(), 6u);
  EXPECT_EQ(j["steps"][5]["jumbo"], true);
  EXPECT_EQ(j["steps"][5]["datagram_bytes"], 9000);
  ASSERT_EQ(j["receivers"].size(), 3u);
  const nlohmann::json& n3 = j["receivers"][2];
  EXPECT_EQ(n3["node"], "n3");
  EXPECT_EQ(n3["knee"]["found"], true);
  EXPECT_EQ(n3["knee"]["rate_bits"], 25'000'000);
  EXPECT_DOUBLE_EQ(n3["knee"]["floor"].get<double>(), 0.25);
  EXPECT_EQ(n3["jumbo_ok"], false);
  EXPECT_EQ(n3["steps"][0]["lost"], 250);
  EXPECT_DOUBLE_EQ(n3["steps"][0]["loss"].get<double>(), 0.25);
  EXPECT_EQ(n3["steps"][1]["longest_burst"], 4);
  EXPECT_TRUE(n3["outlier"].get<std::string>().starts_with("n3 loses 25.0% at 10 Mbit/s"));
  EXPECT_TRUE(j["receivers"][0]["outlier"].is_null());
  EXPECT_EQ(j["receivers"][0]["jumbo_ok"], true);
  EXPECT_EQ(j["findings"].size(), 2u);
}

TEST(NetcheckReport, SvgHasALinePerReceiverKneesAxesAndLegend) {
  Netcheck c = ThreeReceivers();
  c.receivers[0].node = "rack<1>&";
  const std::string svg = SvgPlot(c);
  EXPECT_TRUE(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_EQ(testing::Occurrences(svg, "<polyline"), 3u);
  EXPECT_EQ(testing::Occurrences(svg, "<circle"),
            3u * 5 + 3);  // a point per rate step, a ring per knee
  EXPECT_EQ(testing::Occurrences(svg, "stroke-dasharray"), 3u);
  EXPECT_NE(svg.find(">rack&lt;1&gt;&amp; (25M)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">n3 (25M)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">offered rate (bit/s on the wire, log scale)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">100%</text>"), std::string::npos);  // 85% loss: the axis goes to 100%
  for (const char* rate : {">10M</text>", ">25M</text>", ">200M</text>"}) {
    EXPECT_NE(svg.find(rate), std::string::npos) << rate;
  }
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

TEST(NetcheckReport, SvgAxisFollowsTheLargestLoss) {
  Netcheck c = ThreeReceivers();
  for (ReceiverResult& r : c.receivers) {
    r.steps = {Lost(0), Lost(1), Lost(3), Lost(8), Lost(15), Jumbo(100)};
  }
  const std::string svg = SvgPlot(c);
  EXPECT_NE(svg.find(">2%</text>"), std::string::npos);  // 1.5% at most
  EXPECT_EQ(svg.find(">5%</text>"), std::string::npos);
}

TEST(NetcheckReport, SvgDashesLinesThatLieOnAnotherSoEveryReceiverShows) {
  Netcheck c = ThreeReceivers();
  c.receivers.push_back({"n4", c.receivers[0].steps});
  c.receivers.push_back({"n5", c.receivers[0].steps});
  const std::string svg = SvgPlot(c);
  EXPECT_EQ(testing::Occurrences(svg, "<polyline"), 5u);
  // n1, n4 and n5 coincide: n1 solid, n4 and n5 one dash in three each, at
  // their own offset; their legend entries name the line they lie on.
  EXPECT_EQ(testing::Occurrences(svg, "stroke-dasharray=\"6.0 12.0\" stroke-dashoffset=\"12.0\""),
            1u);
  EXPECT_EQ(testing::Occurrences(svg, "stroke-dasharray=\"6.0 12.0\" stroke-dashoffset=\"6.0\""),
            1u);
  // The legend is wide enough for "n4 (25M) = n1"; a plain one keeps 780 px.
  EXPECT_NE(svg.find("width=\"780.0\""), std::string::npos);
  EXPECT_NE(svg.find(">n4 (25M) = n1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">n5 (25M) = n1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">n1 (25M)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">n2 (25M)</text>"), std::string::npos);  // close to n1, not on it
  EXPECT_NE(svg.find(">a = b: a's line lies on b's</text>"), std::string::npos);
}

TEST(NetcheckReport, SvgWidensForLongLegendLabels) {
  Netcheck c = ThreeReceivers();
  c.receivers.push_back({"rack-07-node-31", c.receivers[0].steps});
  // "rack-07-node-31 (25M) = n1": 26 characters from x 610.
  EXPECT_NE(SvgPlot(c).find("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"809.2\""),
            std::string::npos);
}

TEST(NetcheckReport, SvgWithoutCoincidingLinesHasNoOverlapNote) {
  const std::string svg = SvgPlot(ThreeReceivers());
  EXPECT_EQ(svg.find("stroke-dashoffset"), std::string::npos);
  EXPECT_EQ(svg.find("lies on"), std::string::npos);
}

}  // namespace
}  // namespace fleetcast::netcheck
