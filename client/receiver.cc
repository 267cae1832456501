#include "client/receiver.h"

#include <spdlog/spdlog.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "client/discover.h"
#include "client/identity_injector.h"
#include "client/netcheck_probe.h"
#include "core/chunk_codec.h"
#include "core/datagram_seal.h"
#include "core/have_set.h"
#include "core/host_port.h"
#include "core/image_format.h"
#include "core/loss_meter.h"
#include "core/mtu_check.h"
#include "core/receive_state.h"
#include "core/worker_pool.h"
#include "platform/control_connection.h"
#include "platform/interface_mtu.h"
#include "platform/interrupt.h"
#include "platform/key_files.h"
#include "platform/net.h"
#include "platform/progress_line.h"
#include "platform/wake_event.h"

namespace fleetcast {

namespace {

using std::chrono::milliseconds;

constexpr uint16_t kDefaultPort = 7010;
constexpr auto kFirstConnectBudget = std::chrono::seconds(8);
constexpr auto kSessionTimeout = std::chrono::seconds(30);
constexpr auto kProgressInterval = milliseconds(100);
constexpr auto kPassEndWait = milliseconds(300);
constexpr auto kReportPoll = milliseconds(2);
constexpr size_t kShortBatch = 16;
constexpr auto kGatherTime = std::chrono::microseconds(500);
// A scan tells the server its frontier each time it has moved a
// kScanHaveSteps-th of the image and kScanHaveInterval has passed: fine
// enough that the stream keeps up with the scans (a `have` costs
// chunk_count / 8 bytes, so not finer).
constexpr uint32_t kScanHaveSteps = 128;
constexpr auto kScanHaveInterval = milliseconds(10);

Status ParseServer(const std::string& text, std::string* host, uint16_t* port) {
  const std::optional<HostPort> at = SplitHostPort(text, kDefaultPort);
  if (!at) {
    return Status::InvalidArgument("--server " + text +
                                   ": use HOST, HOST:PORT or [IPV6]:PORT (e.g. [fd7c::1]:7010)");
  }
  *host = at->host;
  *port = at->port;
  return Status::OK();
}

class Receiver {
 public:
  /// `trusted`: the keys --trust names; empty: any image, signed or not.
  Receiver(const ReceiveOptions& options, std::vector<sign::PublicKey> trusted)
      : options_(options), trusted_(std::move(trusted)) {}
  ~Receiver() { StopReceiving(); }

  Status Run() {
    if (Status s = ParseServer(options_.server, &host_, &port_); !s.ok()) return s;
    connection_lost_ = false;
    if (Status s = FirstConnect(); !s.ok()) {
      // Connected, then lost the server before the session began: retry.
      if (!connection_lost_) return s;
      if (Status r = Reconnect(s); !r.ok()) return r;
    }
    for (;;) {
      if (released_) return Status::OK();  // by a netcheck's server, in Join
      connection_lost_ = false;
      Status s = ControlLoop();
      if (Interrupted()) return Stopped();
      if (released_ || !connection_lost_) return s;
      if (Status r = Reconnect(s); !r.ok()) return r;
    }
  }

 private:
  Status Stopped() {
    return Status::Interrupted(
        "receive interrupted; run it again with the same --target to resume");
  }

  // --- connection and session ---------------------------------------------

  Status FirstConnect() {
    const auto deadline = std::chrono::steady_clock::now() + kFirstConnectBudget;
    Result<ControlConnection> c = Status::IOError("");
    // Clients are often started together with the server: retry soon, then
    // back off, so a server that is a few milliseconds late costs no more.
    auto backoff = milliseconds(20);
    while (!Interrupted()) {
      c = ControlConnection::Connect(host_, port_, milliseconds(2000), trusted_);
      if (c.ok() || c.status().code() == Status::Code::kNotFound ||
          c.status().code() == Status::Code::kInvalidArgument ||
          std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      std::this_thread::sleep_until(std::chrono::steady_clock::now() + backoff);
      backoff = std::min(backoff * 2, milliseconds(500));
    }
    if (!c.ok() && c.status().code() == Status::Code::kInvalidArgument) return c.status();
    if (!c.ok()) {
      return Status::IOError("--server " + options_.server + ": cannot connect (" +
                             c.status().message() +
                             "); check the address and that fleetcast-server serve runs there");
    }
    conn_ = std::move(c).value();
    if (trusted_.empty()) {
      spdlog::warn(
          "not checking who the server is (its key is {}); pass --trust NAME.pub to pin it",
          sign::Fingerprint(conn_.server_key()));
    }
    return Join();
  }

  Status Reconnect(const Status& why) {
    spdlog::warn("lost the server ({}); reconnecting", why.message());
    StopReceiving();
    auto backoff = milliseconds(500);
    for (int attempt = 1; attempt <= options_.retries && !Interrupted(); ++attempt) {
      std::this_thread::sleep_until(std::chrono::steady_clock::now() + backoff);
      backoff = std::min(backoff * 2, milliseconds(4000));
      Result<ControlConnection> c =
          ControlConnection::Connect(host_, port_, milliseconds(2000), trusted_);
      if (!c.ok()) continue;
      conn_ = std::move(c).value();
      connection_lost_ = false;
      // A server that answers and refuses (a spent token, another image)
      // will not change its mind: say why now.
      if (Status s = Join(); s.ok() || !connection_lost_) return s;
    }
    return Status::IOError("server " + options_.server + " gone (" + why.message() +
                           "); gave up after " + std::to_string(options_.retries) + " retries");
  }

  Status Join() {
    if (node_.empty()) node_ = NodeId();
    done_sent_ = false;  // a new server has not heard it
    Status sent = conn_.Send(control::Hello{node_, control::kProtocolVersion, token_});
    Result<control::Message> m = sent.ok() ? conn_.Receive(kSessionTimeout) : sent;
    if (!m.ok()) {
      connection_lost_ = m.status().code() == Status::Code::kIOError;
      return m.status();
    }
    // A server running a netcheck first measures the LAN with this client.
    if (auto* check = std::get_if<control::Netcheck>(&*m)) {
      const std::optional<IpAddress> group = IpAddress::Parse(check->group);
      Result<IpAddress> local = JoinAddress(group ? group->family() : AF_INET);
      Status s = local.ok() ? RunNetcheckProbe(&conn_, *local, *check, node_) : local.status();
      m = s.ok() ? conn_.Receive(kSessionTimeout) : Result<control::Message>(s);
      if (!m.ok()) {
        connection_lost_ = m.status().code() == Status::Code::kIOError;
        return m.status();
      }
      if (std::holds_alternative<control::Release>(*m)) {
        released_ = true;
        spdlog::info("node {}: netcheck done; released", node_);
        return Status::OK();
      }
    }
    // A server with an inventory sends this node's identity before the session.
    if (auto* identity = std::get_if<control::Identity>(&*m)) {
      identity_ = std::move(*identity);
      // The token just sent is spent; a reconnect presents the next one.
      token_ = identity_->next_token;
      m = conn_.Receive(kSessionTimeout);
      if (!m.ok()) {
        connection_lost_ = m.status().code() == Status::Code::kIOError;
        return m.status();
      }
    }
    if (auto* e = std::get_if<control::Error>(&*m)) return Status::IOError("server: " + e->message);
    auto* session = std::get_if<control::Session>(&*m);
    if (session == nullptr) return Status::Corruption("server sent " + control::TypeName(*m));
    return Setup(*session);
  }

  // The address to join a group of `family` on: --interface's, or that of
  // the interface the control connection left from. IPv6 joins name the
  // interface by index, which the interface's address carries.
  Result<IpAddress> JoinAddress(int family) const {
    const IpAddress local = conn_.local_address();
    if (options_.interface.empty() && local.family() == family && family == AF_INET) return local;
    const std::string name =
        options_.interface.empty() ? InterfaceWithAddress(local) : options_.interface;
    if (name.empty()) {
      return Status::NotFound("no interface holds " + local.ToString() +
                              ", this end of the control connection; pass --interface");
    }
    return InterfaceAddress(name, family);
  }

  std::string NodeId() const {
    if (!options_.node_id.empty()) return options_.node_id;
    const std::string name = options_.interface.empty()
                                 ? InterfaceWithAddress(conn_.local_address())
                                 : options_.interface;
    std::string mac = InterfaceMac(name);
    if (!mac.empty() && mac != "00:00:00:00:00:00") return mac;
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    return std::string(host) + "-" + std::to_string(::getpid());
  }

  Status Setup(const control::Session& session) {
    if (state_ != nullptr) {
      if (session.manifest != manifest_bytes_) {
        return Status::InvalidArgument("the server now serves another image; start again");
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        state_->ResetAssembly();
      }
      if (Status s = CheckMtu(session); !s.ok()) return s;
      Result<MulticastReceiver> rx = JoinGroup(session);
      if (!rx.ok()) return rx.status();
      StartReceiving(session, std::move(rx).value());
      // The new server knows nothing of this disk: tell it what is written.
      return SendHave();
    }
    Result<image::Manifest> m = image::Manifest::DecodeFrom(session.manifest);
    if (!m.ok()) return m.status().Prefixed("server's manifest");
    // Before the target is opened: an untrusted image writes nothing. The
    // server logs why this node left.
    if (Status s = CheckTrusted(*m); !s.ok()) {
      (void)conn_.Send(control::Error{s.message()});
      return s;
    }
    if (Status s = CheckMtu(session); !s.ok()) return s;
    manifest_ = std::move(m).value();
    manifest_bytes_ = session.manifest;
    Result<DiskTarget> t = DiskTarget::Open(options_.target, manifest_.table.raw_size());
    if (!t.ok()) return t.status();
    target_ = std::make_unique<DiskTarget>(std::move(t).value());
    const size_t window =
        std::max<uint64_t>(4, options_.window_bytes / manifest_.table.chunk_size());
    kept_ = HaveSet(manifest_.table.chunk_count());
    state_ = std::make_unique<ReceiveState>(manifest_.table, session.shard_size,
                                            session.max_data_shards, window);
    workers_ = WorkerPool::Resolve(options_.threads);
    for (size_t i = 0; i < workers_; ++i) {
      decompressors_.push_back(std::make_unique<ChunkDecompressor>());
    }
    buffers_.resize(workers_);
    generators_.resize(workers_);
    pool_ = std::make_unique<WorkerPool>(workers_);
    // The group and the receive thread before the scan: the server streams
    // the first pass as the scans go (its `have`s say how far), and the
    // switch has forwarded the group here by then.
    Result<MulticastReceiver> rx = JoinGroup(session);
    if (!rx.ok()) return rx.status();
    StartReceiving(session, std::move(rx).value());
    const bool scan = target_->existed() && !options_.full;
    Status sent;
    const std::string scanned = scan ? ScanTarget(&sent) : "";
    spdlog::info("node {}: {} of {} chunks to receive into {}{}", node_,
                 manifest_.table.stored_count() - reused_, manifest_.table.stored_count(),
                 options_.target,
                 scan ? " (" + std::to_string(reused_) + " found already correct on it)" : "");
    if (scan) spdlog::info("node {}: {}", node_, scanned);
    if (!sent.ok()) return sent;
    return SendHave();
  }

  // Tells the server which chunks this disk already holds, so no pass sends
  // them (docs/protocol.md, `have`).
  Status SendHave() {
    HaveSet have;
    {
      std::lock_guard<std::mutex> lock(mu_);
      have = state_->DoneSet();
    }
    Status s = conn_.Send(control::Have{have.bytes(), std::nullopt});
    connection_lost_ = !s.ok();
    return s;
  }

  // Jumbo frames end to end: the session's datagrams must fit this node's
  // interface, or it drops every one and never hears the stream. The server
  // logs why this node leaves. Without sysfs there is nothing to check.
  Status CheckMtu(const control::Session& session) {
    const std::optional<IpAddress> group = IpAddress::Parse(session.group);
    if (!group) return Status::OK();  // JoinGroup says why
    Result<IpAddress> local = JoinAddress(group->family());
    if (!local.ok()) return Status::OK();
    const std::string name =
        options_.interface.empty() ? InterfaceWithAddress(*local) : options_.interface;
    Result<uint32_t> mtu = InterfaceMtu(name, options_.sysfs_root);
    if (!mtu.ok()) return Status::OK();
    Status s = mtu::CheckReceive(session.shard_size, name, *mtu,
                                 group->is_v6() ? wire::kIp6UdpOverhead : wire::kIpUdpOverhead);
    if (!s.ok()) (void)conn_.Send(control::Error{s.message()});
    return s;
  }

  Status CheckTrusted(const image::Manifest& m) const {
    if (trusted_.empty()) return Status::OK();
    Status s = image::CheckSigner(m, trusted_);
    if (s.ok()) return s;
    const std::string fix = m.signature
                                ? "serve an image signed by a trusted key, or pass its .pub to "
                                  "--trust"
                                : "serve an image packed with --sign NAME.key";
    return Status::InvalidArgument("server's manifest: " + s.message() + "; " + fix);
  }

  // A restarted client keeps what its disk already holds; with --trust, only
  // chunks whose BLAKE2b-256 matches too.
  // Reads only the chunks the image stores, on every worker, a few chunks
  // ahead of the one it decides (so the stream's writes, on the same
  // workers, wait behind a few reads, not the whole disk), and tells the
  // server how far it has got as it goes. Returns what it read, and how
  // fast, for the log; *sent gets the first failed send (the scan still
  // ends: a reconnect sends all it found).
  std::string ScanTarget(Status* sent) {
    const ChunkTable& t = manifest_.table;
    const std::vector<ChunkEntry>& entries = t.entries();
    ProgressLine progress("scan", t.stored_raw_bytes());
    uint64_t scanned = 0;
    std::vector<std::future<bool>> same;
    const size_t ahead = 4 * workers_;
    for (size_t i = 0; i < entries.size(); ++i) {
      while (same.size() < entries.size() && same.size() < i + ahead) {
        same.push_back(pool_->Submit(
            [this, e = entries[same.size()]](size_t worker) { return ScanChunk(worker, e); }));
      }
      const uint32_t chunk = entries[i].index;
      if (same[i].get()) KeepScanned(chunk);
      scanned += t.RawLength(chunk);
      progress.Update(scanned);
      // Chunks up to the next stored one are decided (zero chunks are never sent).
      const uint32_t frontier = i + 1 < entries.size() ? entries[i + 1].index : t.chunk_count();
      if (sent->ok() && frontier < t.chunk_count()) *sent = MaybeSendScanHave(frontier);
    }
    progress.Finish(scanned);
    return fmt::format("scanned {} of it in {:.2f} s", HumanBytes(scanned), progress.elapsed());
  }

  // Runs on a worker: true if the disk holds chunk e as the image has it.
  bool ScanChunk(size_t worker, const ChunkEntry& e) {
    const ChunkTable& t = manifest_.table;
    // With --trust the strong digest needs the whole chunk at once.
    Result<Digest128> d = trusted_.empty() ? target_->MapDigest(t, e.index, &buffers_[worker])
                                           : target_->ReadDigest(t, e.index, &buffers_[worker]);
    return d.ok() && *d == e.raw_digest &&
           (trusted_.empty() || CheckStrongDigest(e, buffers_[worker]).ok());
  }

  // The scan read the chunk and found it correct. The stream may have taken
  // it meanwhile (a server that gave up waiting for this scan, or this
  // client joined late): ReceiveState::MarkHeld keeps it only if no write
  // of it has started, so a chunk the stream is writing or wrote counts as
  // written, never also as reused, and the scan never vouches for bytes a
  // write was changing while it read them.
  void KeepScanned(uint32_t chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!state_->MarkHeld(chunk)) return;
    kept_.Set(chunk);
    ++reused_;
  }

  // A `have` with the scan's frontier, once it has moved a worthwhile step
  // (a kScanHaveSteps-th of the image, and kScanHaveInterval since the last):
  // the server streams the chunks every disk has decided.
  Status MaybeSendScanHave(uint32_t frontier) {
    const uint32_t step = std::max<uint32_t>(1, manifest_.table.chunk_count() / kScanHaveSteps);
    const auto now = std::chrono::steady_clock::now();
    if (frontier < scan_have_sent_ + step || now - scan_have_time_ < kScanHaveInterval) {
      return Status::OK();
    }
    HaveSet have;
    {
      std::lock_guard<std::mutex> lock(mu_);
      have = state_->DoneSet().Below(frontier);
    }
    scan_have_sent_ = frontier;
    scan_have_time_ = now;
    Status s = conn_.Send(control::Have{have.bytes(), frontier});
    connection_lost_ = !s.ok();
    return s;
  }

  // --- data plane ----------------------------------------------------------

  // Joins the session's group. Until StartReceiving, datagrams wait in the
  // socket (a late joiner's overflow is repaired like any loss).
  Result<MulticastReceiver> JoinGroup(const control::Session& session) {
    const std::optional<IpAddress> group = IpAddress::Parse(session.group);
    if (!group || !group->is_multicast()) {
      return Status::Corruption("server sent group " + session.group);
    }
    Result<IpAddress> local = JoinAddress(group->family());
    if (!local.ok()) return local.status();
    return MulticastReceiver::Open(*local, *group, session.port);
  }

  void StartReceiving(const control::Session& session, MulticastReceiver rx) {
    session_ = session.session;
    seal_ = std::make_unique<wire::DatagramSeal>(
        session.data_key,
        session.encrypt ? wire::SealMode::kEncrypted : wire::SealMode::kAuthenticated);
    stop_receiving_ = false;
    loss_meter_ = LossMeter();  // pass numbers start again in a new session
    pass_end_seen_ = 0;
    report_due_ = 0;
    receive_thread_ = std::thread(
        [this, rx = std::make_shared<MulticastReceiver>(std::move(rx))] { ReceiveLoop(*rx); });
  }

  void StopReceiving() {
    stop_receiving_ = true;
    stop_wake_.Notify();  // or the thread waits out its 100 ms poll
    if (receive_thread_.joinable()) receive_thread_.join();
    stop_wake_.Drain();
  }

  void ReceiveLoop(MulticastReceiver& rx) {
    while (!stop_receiving_) {
      Result<std::span<const ByteView>> batch = rx.Receive(milliseconds(100), &stop_wake_);
      if (!batch.ok()) {
        spdlog::error("{}", batch.status().message());
        return;
      }
      for (ByteView d : *batch) Take(d);
      if (batch->empty()) continue;
      {
        std::lock_guard<std::mutex> lock(progress_mu_);
        progress_ = {loss_meter_.pass(), loss_meter_.received(), loss_meter_.lost()};
      }
      // A short batch means the socket is drained: let datagrams gather
      // rather than wake for every few (waking costs more than the datagrams
      // on a busy host); the socket buffer holds tens of milliseconds.
      if (batch->size() < kShortBatch) {
        std::this_thread::sleep_until(std::chrono::steady_clock::now() + kGatherTime);
      }
    }
  }

  // Runs on the receive thread. Nothing of a datagram is used, not even its
  // sequence number, before its tag verifies.
  void Take(ByteView datagram) {
    Result<wire::DatagramHeader> h = wire::DatagramHeader::DecodeFrom(datagram);
    if (!h.ok() || h->session != session_) {
      ++rejected_;
      return;
    }
    Result<ByteView> payload = seal_->Open(datagram, &clear_);
    if (!payload.ok()) {
      ++forged_;
      return;
    }
    loss_meter_.Observe(h->pass, h->seq);
    if (h->type == wire::DatagramType::kPassEnd) {
      if (h->pass > pass_end_seen_) pass_end_seen_ = h->pass;
      return;
    }
    std::shared_ptr<ReadyChunk> ready;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const ReceiveState::Outcome o = state_->Add(*h, *payload);
      if (o == ReceiveState::Outcome::kRejected) ++rejected_;
      if (o != ReceiveState::Outcome::kRejected) ++datagrams_;
      if (o != ReceiveState::Outcome::kChunkReady) return;
      ready = std::make_shared<ReadyChunk>(state_->Take(h->chunk));
    }
    // Decoding, like everything after it, runs on a worker, so the receive
    // thread keeps draining the socket.
    pool_->Submit([this, ready](size_t worker) { WriteChunk(worker, ready.get()); });
  }

  // Runs on a worker: nothing reaches the disk that did not check out.
  void WriteChunk(size_t worker, ReadyChunk* ready) {
    const ChunkTable& t = manifest_.table;
    const uint32_t chunk = ready->chunk();
    const ChunkEntry* e = t.Find(chunk);
    Bytes stored;
    Status s = ready->Decode(&generators_[worker], &stored);
    Bytes& raw = buffers_[worker];
    raw.resize(t.RawLength(chunk));
    if (s.ok()) s = decompressors_[worker]->Unpack(*e, stored, raw);
    if (s.ok() && !trusted_.empty()) {
      s = CheckStrongDigest(*e, raw);
      if (!s.ok()) ++strong_rejected_;
    }
    if (s.ok()) s = target_->Write(t.RawOffset(chunk), raw);
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) {
      state_->MarkDone(chunk);
      ++written_;
      spdlog::debug("chunk {} written", chunk);
      if (state_->AllDone()) wake_.Notify();
      return;
    }
    state_->MarkFailed(chunk);
    // A disk that fails a write (full, broken) ends the receive: the control
    // thread reports the first such error once.
    if (s.code() == Status::Code::kIOError) {
      if (write_error_.ok()) write_error_ = s;
      wake_.Notify();
      return;
    }
    ++rejected_;
    spdlog::warn("{}; asking for it again", s.message());
  }

  // --- control plane -------------------------------------------------------

  Status ControlLoop() {
    ProgressLine progress("receive", manifest_.table.stored_raw_bytes());
    for (;;) {
      if (Interrupted()) return Stopped();
      if (Status s = WriteError(); !s.ok()) {
        // The server marks this node failed with the same line.
        (void)conn_.Send(control::Error{s.message()});
        return s;
      }
      if (!done_sent_ && AllWritten()) {
        progress.Finish(Done());
        if (Status s = SendDone(); !s.ok()) return s;
      }
      progress.Update(Done(), "pass " + std::to_string(pass_));
      if (Status s = SendProgress(); !s.ok()) return s;
      if (Status s = MaybeReport(); !s.ok()) return s;
      Result<control::Message> m =
          conn_.Receive(report_due_ != 0 || LastWrites() ? kReportPoll : kProgressInterval, &wake_);
      if (!m.ok() && m.status().code() == Status::Code::kNotFound) continue;
      if (!m.ok()) {
        connection_lost_ = m.status().code() == Status::Code::kIOError;
        return released_ ? Status::OK() : m.status();
      }
      if (Status s = Handle(*m); !s.ok() || released_) return s;
    }
  }

  // Tells the server how much of the current pass arrived, at most every
  // kProgressInterval and only when something did, so it can pace the send.
  Status SendProgress() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress_ < kProgressInterval) return Status::OK();
    control::Progress p;
    {
      std::lock_guard<std::mutex> lock(progress_mu_);
      p = progress_;
    }
    if (p.pass == sent_progress_.pass && p.received == sent_progress_.received) {
      return Status::OK();
    }
    last_progress_ = now;
    sent_progress_ = p;
    Status s = conn_.Send(p);
    connection_lost_ = !s.ok();
    return s;
  }

  Status WriteError() {
    std::lock_guard<std::mutex> lock(mu_);
    return write_error_;
  }

  uint64_t Done() {
    std::lock_guard<std::mutex> lock(mu_);
    return state_->done_bytes();
  }

  // Nothing is left to receive, only writes to finish: look often, so
  // `done` goes out as soon as the last one lands (a re-image is mostly
  // this wait).
  bool LastWrites() {
    if (done_sent_) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return state_->done_count() + state_->writing_count() >= manifest_.table.stored_count();
  }

  bool AllWritten() {
    std::lock_guard<std::mutex> lock(mu_);
    return state_->AllDone();
  }

  Status Handle(const control::Message& m) {
    if (const auto* end = std::get_if<control::PassEnd>(&m)) {
      report_due_ = end->pass;
      report_deadline_ = std::chrono::steady_clock::now() + kPassEndWait;
      return MaybeReport();
    }
    if (const auto* release = std::get_if<control::Release>(&m)) return Release(release->action);
    if (const auto* identity = std::get_if<control::Identity>(&m)) {
      identity_ = *identity;
      return Status::OK();
    }
    if (const auto* error = std::get_if<control::Error>(&m)) {
      return Status::IOError("server: " + error->message);
    }
    return Status::OK();
  }

  // A pass's report waits until the receive thread has taken the pass's
  // last datagram (the multicast pass end), so shards still queued in the
  // socket are not asked for again; if every pass end was lost, until
  // kPassEndWait has passed.
  Status MaybeReport() {
    if (report_due_ == 0) return Status::OK();
    if (pass_end_seen_ < report_due_ && std::chrono::steady_clock::now() < report_deadline_) {
      return Status::OK();
    }
    const uint32_t pass = report_due_;
    report_due_ = 0;
    return Report(pass);
  }

  Status Report(uint32_t pass) {
    pass_ = pass;
    control::Report r;
    r.pass = pass;
    {
      std::lock_guard<std::mutex> lock(mu_);
      r.needs = state_->Needs();
      r.chunks_done = state_->done_count();
    }
    r.datagrams = datagrams_.exchange(0);
    r.rejected = rejected_;
    r.forged = forged_;
    Status s = conn_.Send(r);
    connection_lost_ = !s.ok();
    return s;
  }

  Status SendDone() {
    // Rejoining a restarted server: the disk was verified and now holds this
    // node's identity, so it no longer reads back as the bare image.
    if (verified_digest_.empty()) {
      if (Status s = VerifyAndInject(); !s.ok()) return s;
    }
    done_sent_ = true;
    Status s = conn_.Send(control::Done{verified_digest_, reused_, written_});
    connection_lost_ = !s.ok();
    return s;
  }

  Status VerifyAndInject() {
    if (Status s = HandleZeroChunks(); !s.ok()) return s;
    if (Status s = target_->Flush(); !s.ok()) return s;
    Result<Digest128> digest = DiskDigest();
    if (!digest.ok()) return digest.status();
    if (*digest != manifest_.image_digest) {
      return Status::Corruption("--target " + options_.target +
                                ": reads back differently from the image; check the disk");
    }
    spdlog::info("node {}: disk verified, xxh3-128:{}; {} datagrams rejected, {} forged", node_,
                 digest->ToHex(), rejected_.load(), forged_.load());
    if (!trusted_.empty()) {
      spdlog::info("node {}: image {}; {} chunks failed BLAKE2b-256 and were received again", node_,
                   manifest_.SignerText(), strong_rejected_.load());
    }
    if (Status s = Inject(); !s.ok()) return s;
    verified_digest_ = digest->ToHex();
    return Status::OK();
  }

  // The identity goes in after the copy is proven, before the server hears "done".
  Status Inject() {
    if (!identity_) return Status::OK();
    Result<InjectReport> report = InjectIdentity(options_.target, *identity_, options_.sysfs_root);
    if (!report.ok()) {
      (void)conn_.Send(control::Error{"identity: " + report.status().message()});
      return report.status().Prefixed("identity of " + identity_->hostname);
    }
    for (const std::string& line : report->lines) spdlog::info("node {}: {}", node_, line);
    spdlog::info("node {}: identity of {} written", node_, identity_->hostname);
    return Status::OK();
  }

  // Applies the zero policy to every zero chunk, on every worker at once.
  // With --zero, a chunk that already reads zero is reused, not written.
  // With --discard, every zero chunk is discarded without a look (the disk is
  // told those blocks are free even where they read zero) and counts as
  // written (docs/protocol.md, `done`).
  Status HandleZeroChunks() {
    if (options_.zero == ZeroPolicy::kLeave) return Status::OK();
    const ChunkTable& t = manifest_.table;
    std::vector<std::pair<uint32_t, std::future<Result<bool>>>> jobs;
    for (uint32_t i = 0; i < t.chunk_count(); ++i) {
      if (t.Find(i) != nullptr) continue;
      jobs.emplace_back(i, pool_->Submit([&, i](size_t worker) -> Result<bool> {
        if (options_.zero == ZeroPolicy::kDiscard) {
          Status s = target_->DiscardChunk(t, i);
          return s.ok() ? Result<bool>(true) : Result<bool>(s);
        }
        bool written = false;
        Status s = target_->ZeroChunk(t, i, !options_.full, &buffers_[worker], &written);
        return s.ok() ? Result<bool>(written) : Result<bool>(s);
      }));
    }
    Status first;
    for (auto& [chunk, job] : jobs) {
      Result<bool> written = job.get();
      if (!written.ok()) {
        if (first.ok()) first = written.status();
        continue;
      }
      if (*written) {
        ++written_;
      } else {
        ++reused_;
        kept_.Set(chunk);
      }
    }
    return first;
  }

  // Re-reads the disk: every stored chunk, and zero chunks with --zero or
  // --discard, but for chunks read and found correct just before (kept_):
  // nothing has written them since, and re-reading them would double the
  // cost of re-imaging an unchanged disk.
  Result<Digest128> DiskDigest() {
    const ChunkTable& t = manifest_.table;
    std::vector<std::future<Result<Digest128>>> parts;
    for (uint32_t i = 0; i < t.chunk_count(); ++i) {
      const bool on_disk =
          (t.Find(i) != nullptr || options_.zero != ZeroPolicy::kLeave) && !kept_.Has(i);
      parts.push_back(pool_->Submit([&, i, on_disk](size_t worker) -> Result<Digest128> {
        return on_disk ? target_->ReadDigest(t, i, &buffers_[worker])
                       : Result<Digest128>(t.RawDigest(i));
      }));
    }
    std::vector<Digest128> digests;
    for (auto& p : parts) {
      Result<Digest128> d = p.get();
      if (!d.ok()) return d.status();
      digests.push_back(*d);
    }
    return ChunkTable::CombineDigests(digests);
  }

  Status Release(const std::string& action) {
    released_ = true;
    spdlog::info("node {}: released ({}); {} forged datagrams dropped", node_, action,
                 forged_.load());
    if (action == "reboot" || action == "poweroff") {
      ::sync();
      ::reboot(action == "reboot" ? RB_AUTOBOOT : RB_POWER_OFF);
      return Status::IOError("reboot failed: " + std::string(std::strerror(errno)));
    }
    return Status::OK();
  }

  const ReceiveOptions options_;
  const std::vector<sign::PublicKey> trusted_;
  std::string host_;
  uint16_t port_ = 0;
  std::string node_;
  std::string token_ = options_.token;  // for the next hello
  ControlConnection conn_;
  image::Manifest manifest_;
  Bytes manifest_bytes_;
  std::unique_ptr<DiskTarget> target_;

  LossMeter loss_meter_;  // the receive thread's
  std::atomic<uint32_t> pass_end_seen_{0};
  uint32_t report_due_ = 0;  // a pass whose end the server announced, not yet reported
  std::chrono::steady_clock::time_point report_deadline_;
  std::mutex progress_mu_;
  control::Progress progress_;       // the loss meter's last reading
  control::Progress sent_progress_;  // the control thread's
  std::chrono::steady_clock::time_point last_progress_;

  std::mutex mu_;  // guards state_ and write_error_
  std::unique_ptr<ReceiveState> state_;
  Status write_error_;

  size_t workers_ = 0;
  std::vector<std::unique_ptr<ChunkDecompressor>> decompressors_;
  std::vector<Bytes> buffers_;                   // a raw chunk's bytes, one per worker
  std::vector<fec::GeneratorCache> generators_;  // one per worker
  std::unique_ptr<WorkerPool> pool_;             // after what its jobs use

  std::atomic<uint32_t> session_{0};
  std::atomic<bool> stop_receiving_{false};
  std::atomic<uint64_t> datagrams_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> forged_{0};           // of the session, but their tag failed
  std::unique_ptr<wire::DatagramSeal> seal_;  // the session's; set before the receive thread runs
  Bytes clear_;  // the receive thread's: an encrypted datagram's clear payload
  std::atomic<uint64_t> strong_rejected_{0};  // chunks whose BLAKE2b-256 did not match
  // For the server's report: chunks found correct on the disk (the scan, and
  // zero chunks that read zero) and chunks written (zeroed and discarded
  // zero chunks too).
  uint64_t reused_ = 0;
  std::atomic<uint64_t> written_{0};
  // The scan's last `have`: its frontier and when it went. Control thread.
  uint32_t scan_have_sent_ = 0;
  std::chrono::steady_clock::time_point scan_have_time_;
  // Chunks read from the disk and found correct (the scan; zero chunks that
  // read zero): the final check need not read them again. Control thread.
  HaveSet kept_;
  // Notified by a worker when the last chunk is written or a write failed.
  WakeEvent wake_;
  // Notified to end the receive thread's wait for datagrams.
  WakeEvent stop_wake_;
  std::thread receive_thread_;
  uint32_t pass_ = 0;
  bool done_sent_ = false;
  std::string verified_digest_;  // set once the disk is verified and its identity written
  std::optional<control::Identity> identity_;  // this node's answers, from the server
  bool released_ = false;
  bool connection_lost_ = false;  // the last ControlLoop ended with the server gone
};

}  // namespace

Status RunReceive(const ReceiveOptions& options) {
  std::vector<sign::PublicKey> trusted;
  if (!options.trust.empty()) {
    Result<std::vector<sign::PublicKey>> keys = LoadTrustedKeys(options.trust);
    if (!keys.ok()) return keys.status();
    trusted = std::move(keys).value();
  }
  if (options.server != "auto") return Receiver(options, trusted).Run();
  Result<announce::Announce> found =
      DiscoverServer({options.interface, options.announce, options.discover_timeout});
  if (!found.ok()) return found.status();
  ReceiveOptions resolved = options;
  resolved.server = JoinHostPort(found->server, found->port);
  return Receiver(resolved, trusted).Run();
}

}  // namespace fleetcast
