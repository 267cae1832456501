#include "server/stream_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "core/wire_format.h"
#include "platform/progress_line.h"

namespace fleetcast {

namespace {

constexpr size_t kBatch = 32;
// Ethernet framing per datagram on the wire: preamble 8 + header 14 + FCS 4 + gap 12.
constexpr uint64_t kEthernetOverhead = 38;
constexpr auto kReportTimeout = std::chrono::seconds(3);
// Clients scan their disks (reading what the image stores) as the first
// pass follows them: long enough for a large disk, bounded so one stuck
// client does not hold the others.
constexpr auto kHaveTimeout = std::chrono::seconds(600);
// Clients report their loss about this often.
constexpr auto kRateInterval = std::chrono::milliseconds(100);

}  // namespace

StreamSender::StreamSender(const ImageReader& image, Deployment* deployment,
                           MulticastSender* socket, StreamOptions options)
    : image_(image),
      deployment_(deployment),
      socket_(socket),
      options_(std::move(options)),
      seal_(options_.data_key, options_.seal_mode),
      rate_control_(options_.rate_bits),
      batch_(kBatch) {}

Status StreamSender::Run(const std::atomic<bool>* stop) {
  if (!deployment_->WaitForStart(options_.min_clients, options_.max_wait, stop)) {
    return Status::OK();
  }
  uint32_t pass = 1;
  if (Status s = SendScannedPass(stop); !s.ok()) return s;
  if (!stop->load() && !deployment_->Finished()) {
    deployment_->EndPass(pass, kReportTimeout);
    spdlog::info("{}", deployment_->PassSummary(pass, pass_datagrams_));
  }
  while (!stop->load() && !deployment_->Finished()) {
    const std::vector<ShardRef> plan = deployment_->PlanPass(++pass);
    if (plan.empty()) {
      // Nothing to send while clients write their last chunks and verify:
      // wait for news (a client done), then ask for reports (a chunk that
      // failed its check is needed again), with the pass end datagrams so
      // clients answer at once.
      deployment_->WaitForChange(std::chrono::milliseconds(100));
      if (deployment_->Finished()) break;
      if (Status s = SendPass(pass, plan, options_.rate_bits, stop); !s.ok()) return s;
      deployment_->EndPass(pass, kReportTimeout);
      continue;
    }
    uint64_t rate = options_.rate_bits;
    if (deployment_->catch_up() && rate == 0) rate = 1'000'000'000;
    adaptive_ = !deployment_->catch_up();
    if (deployment_->catch_up()) {
      rate = static_cast<uint64_t>(static_cast<double>(rate) * deployment_->SlowestShare() * 0.8);
      spdlog::info("pass {}: catch-up for slow clients at {} Mbit/s", pass, rate / 1'000'000);
    }
    if (Status s = SendPass(pass, plan, rate, stop); !s.ok()) return s;
    spdlog::debug("pass {}: {} datagrams", pass, pass_datagrams_);
    deployment_->EndPass(pass, kReportTimeout);
    spdlog::info("{}", deployment_->PassSummary(pass, pass_datagrams_));
  }
  return Status::OK();
}

Status StreamSender::SendScannedPass(const std::atomic<bool>* stop) {
  deployment_->BeginScannedPass(kHaveTimeout);
  adaptive_ = true;
  BeginSend();
  // The pass's size is not known until the scans end: the line counts
  // against the image's stored bytes.
  ProgressLine progress(options_.label + "pass 1", image_.table().stored_bytes());
  const uint64_t start_bytes = bytes_;
  bool last = false;
  bool first = true;
  while (!last && !stop->load()) {
    const auto asked = std::chrono::steady_clock::now();
    const std::vector<ShardRef> piece = deployment_->PlanScanned(stop, &last);
    // Time spent waiting for the scans is not time the link was idle for
    // want of rate: the rate controller measures only sending time.
    interval_start_ += std::chrono::steady_clock::now() - asked;
    spdlog::debug("pass 1: {} more shards as the scans advance{}", piece.size(),
                  last ? ", the last" : "");
    if (first && (!piece.empty() || last)) {
      spdlog::info("stream starting: {} clients", deployment_->Clients().size());
      started_ = std::chrono::steady_clock::now();
      first = false;
    }
    if (Status s = SendShards(1, piece, options_.rate_bits, stop, &progress, start_bytes);
        !s.ok()) {
      return s;
    }
    // What is batched goes out now, not after the next wait.
    if (Status s = Flush(options_.rate_bits); !s.ok()) return s;
  }
  if (stop->load()) return Status::OK();
  return SendPassEnd(1, options_.rate_bits);
}

void StreamSender::BeginSend() {
  next_send_ = std::chrono::steady_clock::now();
  interval_start_ = next_send_;
  interval_bytes_ = 0;
  seq_ = 0;
  pass_datagrams_ = 0;
}

Status StreamSender::SendPass(uint32_t pass, const std::vector<ShardRef>& plan, uint64_t rate_bits,
                              const std::atomic<bool>* stop) {
  BeginSend();
  // Shards are at most shard_size bytes: the line's total is an upper bound.
  ProgressLine progress(options_.label + "pass " + std::to_string(pass),
                        plan.size() * options_.shard_size);
  if (Status s = SendShards(pass, plan, rate_bits, stop, &progress, bytes_); !s.ok()) return s;
  if (stop->load()) return Status::OK();
  return SendPassEnd(pass, rate_bits);
}

Status StreamSender::SendShards(uint32_t pass, const std::vector<ShardRef>& plan,
                                uint64_t rate_bits, const std::atomic<bool>* stop,
                                ProgressLine* progress, uint64_t start_bytes) {
  for (const ShardRef& ref : plan) {
    if (stop->load()) return Status::OK();
    progress->Update(bytes_ - start_bytes);
    if (ref.chunk != loaded_chunk_) {
      if (Status s = LoadChunk(ref.chunk); !s.ok()) return s;
    }
    if (Status s = Send(pass, ref, rate_bits); !s.ok()) return s;
    if (ref.whole_end) {
      for (const ShardRef& parity : deployment_->ProactiveParity(ref)) {
        if (Status s = Send(pass, parity, rate_bits); !s.ok()) return s;
      }
    }
  }
  return Status::OK();
}

Status StreamSender::SendPassEnd(uint32_t pass, uint64_t rate_bits) {
  // The pass end goes last on the same socket, so it arrives after the shards.
  wire::DatagramHeader end;
  end.type = wire::DatagramType::kPassEnd;
  end.session = options_.session;
  end.pass = pass;
  if (Status s = Flush(rate_bits); !s.ok()) return s;
  for (int i = 0; i < 3; ++i) {  // three, in case one is lost
    Bytes& d = batch_[batch_used_++];
    d.resize(wire::DatagramHeader::kEncodedLength + wire::kTagLength);
    end.seq = seq_++;
    end.EncodeTo(d.data());
    seal_.Seal(d);
  }
  return Flush(rate_bits);
}

Status StreamSender::Send(uint32_t pass, const ShardRef& ref, uint64_t rate_bits) {
  Frame(pass, ref);
  ++pass_datagrams_;
  return batch_used_ == kBatch ? Flush(rate_bits) : Status::OK();
}

Status StreamSender::LoadChunk(uint32_t chunk) {
  const ChunkTable& table = image_.table();
  const ChunkEntry* entry = table.Find(chunk);
  if (entry == nullptr)
    return Status::Corruption("planned chunk " + std::to_string(chunk) + " is not stored");
  // The image may change under a running serve (a disk error, a copy over
  // it): no shard leaves that the manifest does not vouch for.
  const std::string where = image_.path() + ": chunk " + std::to_string(chunk);
  const std::string fix = "; not sent: restore the image file or pack it again";
  Bytes stored;
  if (Status s = image_.ReadStored(*entry, &stored); !s.ok()) {
    if (s.code() == Status::Code::kCorruption) {
      return Status::Corruption(where + ": the file ends before the chunk does (truncated)" + fix);
    }
    return s.Prefixed("chunk " + std::to_string(chunk));
  }
  if (Xxh3_64(stored) != entry->stored_digest) {
    return Status::Corruption(where + ": stored bytes do not match the manifest's XXH3" + fix);
  }
  loaded_entry_ = static_cast<size_t>(entry - table.entries().data());
  const fec::ChunkLayout& layout = deployment_->layout(loaded_entry_);
  blocks_.resize(layout.block_count());
  for (uint32_t b = 0; b < layout.block_count(); ++b) {
    const fec::BlockSpan& span = layout.block(b);
    blocks_[b].assign(size_t{span.data_shards} * layout.shard_length(), 0);
    std::memcpy(blocks_[b].data(), stored.data() + span.offset, span.length);
  }
  loaded_chunk_ = chunk;
  return Status::OK();
}

void StreamSender::Frame(uint32_t pass, const ShardRef& ref) {
  const fec::ChunkLayout& layout = deployment_->layout(loaded_entry_);
  const uint32_t len = layout.shard_length();
  const Bytes& block = blocks_[ref.block];
  wire::DatagramHeader h;
  h.session = options_.session;
  h.chunk = ref.chunk;
  h.block = ref.block;
  h.shard = ref.shard;
  h.k = ref.k;
  h.pass = pass;
  h.seq = seq_++;
  const uint32_t payload = ref.shard < ref.k ? layout.DataShardBytes(ref.block, ref.shard) : len;
  h.length = static_cast<uint16_t>(payload);
  Bytes& d = batch_[batch_used_++];
  d.resize(wire::DatagramHeader::kEncodedLength + payload + wire::kTagLength);
  h.EncodeTo(d.data());
  uint8_t* out = d.data() + wire::DatagramHeader::kEncodedLength;
  if (ref.shard < ref.k) {
    std::memcpy(out, block.data() + size_t{ref.shard} * len, payload);
  } else {
    sources_.resize(ref.k);
    for (uint32_t i = 0; i < ref.k; ++i) sources_[i] = block.data() + size_t{i} * len;
    encoder_.Encode(sources_, len, ref.shard, out);
  }
  seal_.Seal(d);
}

Status StreamSender::Flush(uint64_t rate_bits) {
  if (batch_used_ == 0) return Status::OK();
  std::vector<ByteView> views;
  uint64_t wire_bytes = 0;
  for (size_t i = 0; i < batch_used_; ++i) {
    views.emplace_back(batch_[i]);
    wire_bytes += batch_[i].size() + options_.ip_udp_overhead + kEthernetOverhead;
    bytes_ += batch_[i].size();
  }
  if (adaptive_) rate_bits = rate_control_.rate();
  current_rate_ = rate_bits;
  interval_bytes_ += wire_bytes;
  if (rate_bits > 0) {
    // Token bucket: each batch may leave no earlier than its share of time.
    std::this_thread::sleep_until(next_send_);
    next_send_ =
        std::max(next_send_, std::chrono::steady_clock::now() - std::chrono::milliseconds(2)) +
        std::chrono::nanoseconds(wire_bytes * 8 * 1'000'000'000 / rate_bits);
  }
  Status s = socket_->SendBatch(views);
  datagrams_ += batch_used_;
  batch_used_ = 0;
  if (adaptive_) Adapt();
  return s;
}

void StreamSender::Adapt() {
  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = now - interval_start_;
  if (elapsed < kRateInterval) return;
  const std::optional<double> loss = deployment_->TakeIntervalLoss();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  const auto sent_bits =
      static_cast<uint64_t>(static_cast<double>(interval_bytes_) * 8e9 / static_cast<double>(ns));
  interval_start_ = now;
  interval_bytes_ = 0;
  const uint64_t before = rate_control_.rate();
  if (!loss || !rate_control_.OnInterval(*loss, sent_bits)) return;
  const uint64_t rate = rate_control_.rate();
  const std::string pace = rate == 0 ? "unlimited" : std::to_string(rate / 1'000'000) + " Mbit/s";
  // Each back-off and the return to full speed are news; the climb is not.
  const bool news = (rate != 0 && (before == 0 || rate < before)) || !rate_control_.backed_off();
  spdlog::log(news ? spdlog::level::info : spdlog::level::debug,
              "rate {} (clients lose {:.1f}% of datagrams, {:.1f}% is the usual)", pace,
              *loss * 100, rate_control_.floor() * 100);
}

}  // namespace fleetcast
