// StreamSender: multicasts the passes a Deployment plans. For each planned
// shard it reads the chunk (one chunk cached; plans are in chunk order),
// makes data or fresh parity shards, frames datagrams and sends them in
// batches, paced by a token bucket. The pace adapts to the clients' loss
// reports (core/rate_controller.h) up to the configured rate; catch-up
// passes for slow clients run at a fixed, slower pace. Every datagram is
// sealed with the session's data key before it joins a batch. Owns its thread's
// work; call Run from one thread.
#ifndef FLEETCAST_SERVER_STREAM_SENDER_H_
#define FLEETCAST_SERVER_STREAM_SENDER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/datagram_seal.h"
#include "core/fec_codec.h"
#include "core/rate_controller.h"
#include "core/repair_planner.h"
#include "core/status.h"
#include "core/wire_format.h"
#include "platform/net.h"
#include "platform/progress_line.h"
#include "server/deployment.h"
#include "server/image_reader.h"

namespace fleetcast {

struct StreamOptions {
  uint32_t session = 0;
  uint64_t rate_bits = 1'000'000'000;  // wire bits per second; 0 = unlimited
  size_t min_clients = 1;
  std::chrono::seconds max_wait{60};
  uint32_t shard_size = 1432;
  uint32_t ip_udp_overhead = wire::kIpUdpOverhead;  // per datagram on the wire (IPv6: more)
  std::string label;         // leads the progress line, e.g. "deployment 2 of 10, "
  wire::DataKey data_key{};  // seals every datagram (core/datagram_seal.h)
  wire::SealMode seal_mode = wire::SealMode::kAuthenticated;
};

class StreamSender {
 public:
  StreamSender(const ImageReader& image, Deployment* deployment, MulticastSender* socket,
               StreamOptions options);

  /// Waits for clients, then sends passes (the first as the clients scan
  /// their disks) until every client is done or
  /// `stop` becomes true. Fails on an I/O error or a corrupt image chunk.
  Status Run(const std::atomic<bool>* stop);

  uint64_t datagrams_sent() const { return datagrams_; }
  /// When the first pass began (after the start policy let it).
  std::chrono::steady_clock::time_point started() const { return started_; }
  uint64_t bytes_sent() const { return bytes_; }
  /// The rate of the last batch, bits per second (0: unlimited or not sending yet).
  uint64_t current_rate() const { return current_rate_; }

 private:
  /// The first pass, sent piece by piece as the clients' scans decide
  /// chunks (Deployment::PlanScanned).
  Status SendScannedPass(const std::atomic<bool>* stop);
  Status SendPass(uint32_t pass, const std::vector<ShardRef>& plan, uint64_t rate_bits,
                  const std::atomic<bool>* stop);
  /// Resets the pass's sequence numbers, counters and pacing.
  void BeginSend();
  Status SendShards(uint32_t pass, const std::vector<ShardRef>& plan, uint64_t rate_bits,
                    const std::atomic<bool>* stop, ProgressLine* progress, uint64_t start_bytes);
  /// Flushes the batch, then the three pass end datagrams.
  Status SendPassEnd(uint32_t pass, uint64_t rate_bits);
  /// Frames one shard; sends the batch when it is full.
  Status Send(uint32_t pass, const ShardRef& ref, uint64_t rate_bits);
  Status LoadChunk(uint32_t chunk);
  /// Appends the sealed datagram for `ref` to the batch.
  void Frame(uint32_t pass, const ShardRef& ref);
  Status Flush(uint64_t rate_bits);
  /// Every interval: feeds the clients' loss to the rate controller.
  void Adapt();

  const ImageReader& image_;
  Deployment* deployment_;
  MulticastSender* socket_;
  StreamOptions options_;
  fec::ParityEncoder encoder_;
  wire::DatagramSeal seal_;

  uint32_t loaded_chunk_ = UINT32_MAX;
  size_t loaded_entry_ = 0;
  std::vector<Bytes> blocks_;  // the loaded chunk's blocks, zero-padded to k * shard length
  std::vector<const uint8_t*> sources_;  // a block's data shards, for the encoder

  RateController rate_control_;
  bool adaptive_ = true;  // false in catch-up passes: their rate is fixed
  uint16_t seq_ = 0;      // the next datagram's number in its pass
  uint64_t pass_datagrams_ = 0;
  std::chrono::steady_clock::time_point interval_start_;
  uint64_t interval_bytes_ = 0;  // wire bytes sent in this interval

  std::vector<Bytes> batch_;
  size_t batch_used_ = 0;
  std::chrono::steady_clock::time_point next_send_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<uint64_t> datagrams_{0};  // read by the status page
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> current_rate_{0};
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_STREAM_SENDER_H_
