// The receiver's side of a netcheck: probe datagrams on the wire, the
// per-step figures from what arrived, and the control messages that carry
// them.
#include "core/netcheck_stats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/control_message.h"
#include "core/datagram_seal.h"
#include "core/probe_datagram.h"

namespace fleetcast::netcheck {
namespace {

TEST(ProbeDatagram, SealsOpensAndDecodes) {
  Bytes d;
  EncodeProbe(0x11223344, Probe{2, 70001, 123456789012}, 1500, &d);
  ASSERT_EQ(d.size(), 1500u);
  wire::DataKey key{};
  key[0] = 9;
  const wire::DatagramSeal seal(key, wire::SealMode::kAuthenticated);
  seal.Seal(d);
  Result<wire::DatagramHeader> h = wire::DatagramHeader::DecodeFrom(d);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->type, wire::DatagramType::kProbe);
  EXPECT_EQ(h->session, 0x11223344u);
  EXPECT_EQ(h->pass, 2u);
  EXPECT_EQ(h->chunk, 70001u);
  EXPECT_EQ(h->seq, static_cast<uint16_t>(70001));
  EXPECT_EQ(h->length, 1500 - 24 - 16);
  Bytes scratch;
  Result<ByteView> payload = seal.Open(d, &scratch);
  ASSERT_TRUE(payload.ok());
  Result<Probe> p = DecodeProbe(*h, *payload);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (Probe{2, 70001, 123456789012}));
}

TEST(ProbeDatagram, RejectsShardsAndInconsistentNumbers) {
  wire::DatagramHeader h;
  h.type = wire::DatagramType::kShard;
  const Bytes payload(8, 0);
  EXPECT_EQ(DecodeProbe(h, payload).status().message(), "probe: not a probe datagram");
  h.type = wire::DatagramType::kProbe;
  EXPECT_EQ(DecodeProbe(h, ByteView(payload).first(7)).status().message(),
            "probe: payload shorter than a send time");
  h.chunk = 5;
  h.seq = 6;
  EXPECT_EQ(DecodeProbe(h, payload).status().message(), "probe: seq and its low bits disagree");
}

TEST(ProbeDatagram, TooSmallASizeStillHoldsTheSendTime) {
  Bytes d;
  EncodeProbe(1, Probe{0, 0, 7}, 10, &d);
  EXPECT_EQ(d.size(), kMinProbeBytes);
  const wire::DatagramHeader end = EndHeader(1, 5);
  EXPECT_EQ(end.type, wire::DatagramType::kPassEnd);
  EXPECT_EQ(end.pass, 5u);
}

// Arrivals 1 ms apart, transit a constant 50 us: no jitter.
void Feed(StepRecorder* r, std::initializer_list<uint32_t> seqs, uint32_t bytes = 1000) {
  uint64_t t = 1'000'000;
  for (uint32_t seq : seqs) {
    r->Observe(seq, t - 50'000, t, bytes);
    t += 1'000'000;
  }
}

TEST(StepRecorder, CountsLossBurstsReorderingAndDuplicates) {
  StepRecorder r;
  Feed(&r, {0, 1, 2, 6, 5, 7, 7, 9});
  const StepStats s = r.Finish(12);
  EXPECT_EQ(s.sent, 12u);
  EXPECT_EQ(s.received, 7u);  // 0 1 2 5 6 7 9
  EXPECT_EQ(s.lost(), 5u);    // 3 4 8 10 11
  EXPECT_DOUBLE_EQ(s.loss(), 5.0 / 12);
  EXPECT_EQ(s.longest_burst, 2u);  // 3-4 and the trailing 10-11
  EXPECT_EQ(s.reordered, 1u);      // 5 after 6
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(s.jitter_ns, 0u);
}

TEST(StepRecorder, TrailingLossesMakeTheLongestBurst) {
  StepRecorder r;
  Feed(&r, {0, 1});
  EXPECT_EQ(r.Finish(10).longest_burst, 8u);
  EXPECT_EQ(StepRecorder().Finish(4).longest_burst, 4u);  // nothing arrived
  EXPECT_EQ(StepRecorder().Finish(4).loss(), 1.0);
}

TEST(StepRecorder, RateIsWireBitsFromFirstToLastArrival) {
  StepRecorder r;
  Feed(&r, {0, 1, 2, 3, 4}, 1250);  // 4 x 1250 bytes after the first, over 4 ms
  EXPECT_EQ(r.Finish(5).rate_bits, 10'000'000u);
  StepRecorder one;
  Feed(&one, {0});
  EXPECT_EQ(one.Finish(1).rate_bits, 0u);
}

TEST(StepRecorder, JitterFollowsTransitChanges) {
  StepRecorder r;
  // Transit alternates 0 and 160 us: |D| = 160 us each time after the first.
  for (uint32_t i = 0; i < 200; ++i) {
    const uint64_t arrival = 1'000'000 + uint64_t{i} * 1'000'000;
    r.Observe(i, arrival - (i % 2 == 0 ? 0 : 160'000), arrival, 100);
  }
  EXPECT_NEAR(static_cast<double>(r.Finish(200).jitter_ns), 160'000, 1000);
}

TEST(StepRecorder, IgnoresSequenceNumbersBeyondItsBound) {
  StepRecorder r;
  r.Observe(StepRecorder::kMaxSeq, 0, 1, 100);
  EXPECT_EQ(r.Finish(1).received, 0u);
}

TEST(NetcheckRecorder, KeepsStepsApartAndRefusesUnknownOnes) {
  NetcheckRecorder rec(2);
  EXPECT_TRUE(rec.Observe(0, 0, 0, 10, 100));
  EXPECT_TRUE(rec.Observe(1, 0, 0, 10, 100));
  EXPECT_TRUE(rec.Observe(1, 1, 0, 20, 100));
  EXPECT_FALSE(rec.Observe(2, 0, 0, 10, 100));
  const std::vector<StepStats> s = rec.Finish({3});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].received, 1u);
  EXPECT_EQ(s[0].lost(), 2u);
  EXPECT_EQ(s[1].received, 2u);
  EXPECT_EQ(s[1].sent, 0u);  // not in `sent`
  EXPECT_EQ(s[1].loss(), 0.0);
}

control::Message RoundTrip(const control::Message& m) {
  Result<control::Message> back = control::DecodeBody(control::EncodeBody(m));
  EXPECT_TRUE(back.ok()) << back.status().message();
  return back.ok() ? *back : control::Message{};
}

TEST(NetcheckMessages, RoundTrip) {
  control::Netcheck nc{0xabcdef01,  "239.77.0.1", 7010, {}, {100'000'000, 1'000'000'000},
                       {1472, 8972}};
  nc.data_key[31] = 0x5a;
  EXPECT_EQ(std::get<control::Netcheck>(RoundTrip(nc)), nc);
  EXPECT_EQ(control::TypeName(nc), "netcheck");
  EXPECT_TRUE(std::holds_alternative<control::NetcheckReady>(RoundTrip(control::NetcheckReady{})));
  EXPECT_EQ(control::TypeName(control::NetcheckReady{}), "netcheck_ready");
  const control::NetcheckEnd end{{12000, 120000, 200}};
  EXPECT_EQ(std::get<control::NetcheckEnd>(RoundTrip(end)), end);
  const control::NetcheckReport report{
      {{12000, 11990, 3, 1, 0, 99'000'000, 1500}, {120000, 100000, 900, 0, 2, 800'000'000, 9}}};
  EXPECT_EQ(std::get<control::NetcheckReport>(RoundTrip(report)), report);
  EXPECT_EQ(control::TypeName(report), "netcheck_report");
}

TEST(NetcheckMessages, ReportStepsComeInSevens) {
  const nlohmann::json j = {{"type", "netcheck_report"}, {"steps", {1, 2, 3, 4, 5, 6}}};
  EXPECT_EQ(control::DecodeBody(nlohmann::json::to_cbor(j)).status().message(),
            "control message: bad field 'steps'");
  const nlohmann::json neg = {{"type", "netcheck_end"}, {"sent", {1, -2}}};
  EXPECT_EQ(control::DecodeBody(nlohmann::json::to_cbor(neg)).status().message(),
            "control message: bad field 'sent'");
}

}  // namespace
}  // namespace fleetcast::netcheck
