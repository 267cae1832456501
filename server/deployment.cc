#include "server/deployment.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fleetcast {

Deployment::Deployment(const image::Manifest& manifest, uint32_t shard_size,
                       uint32_t max_data_shards)
    : manifest_(manifest),
      planner_(manifest.table, shard_size, max_data_shards),
      scans_(manifest.table.chunk_count()) {}

void Deployment::Join(const std::string& node, Sender sender) {
  std::lock_guard<std::mutex> lock(mu_);
  Client& c = clients_[node];
  const bool again = c.view.node == node;
  c.view.node = node;
  c.view.connected = true;
  c.view.done = false;
  c.view.scanned = false;
  c.view.failed.clear();
  c.sender = std::move(sender);
  c.reported = true;
  c.scan_haves = 0;
  planner_.AddClient(node);
  // The first pass waits for the scans of the clients there when it starts.
  if (pass_ == 0) scans_.Add(node);
  spdlog::info("{} {} ({} connected)", node, again ? "rejoined" : "joined", clients_.size());
  cv_.notify_all();
}

void Deployment::Leave(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(node);
  if (it == clients_.end() || !it->second.view.connected) return;
  it->second.view.connected = false;
  it->second.sender = nullptr;
  planner_.RemoveClient(node);
  scans_.Remove(node);
  if (!it->second.view.done) spdlog::warn("{} left before it was done", node);
  cv_.notify_all();
}

void Deployment::OnReport(const std::string& node, const control::Report& report) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(node);
  if (it == clients_.end()) return;
  planner_.Report(node, report.needs, report.datagrams);
  it->second.view.chunks_done = report.chunks_done;
  it->second.view.rejected = report.rejected;
  // Reports come once a pass: at most one warning per node and pass.
  if (report.forged > it->second.view.forged) {
    spdlog::warn(
        "{} dropped {} forged datagrams in pass {} ({} in all): someone else sends to "
        "the group",
        node, report.forged - it->second.view.forged, report.pass, report.forged);
  }
  it->second.view.forged = report.forged;
  it->second.view.last_datagrams = report.datagrams;
  it->second.view.slow = planner_.IsSlow(node);
  if (report.pass == pass_) it->second.reported = true;
  cv_.notify_all();
}

void Deployment::OnProgress(const std::string& node, const control::Progress& p) {
  // Fewer datagrams than this in an interval say little about its loss.
  constexpr uint64_t kMinInterval = 200;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(node);
  if (it == clients_.end() || p.pass != pass_) return;
  Client& c = it->second;
  const control::Progress last =
      c.progress.pass == p.pass ? c.progress : control::Progress{p.pass, 0, 0};
  if (p.received < last.received || p.lost < last.lost) return;
  const uint64_t got = p.received - last.received;
  const uint64_t lost = p.lost - last.lost;
  if (got + lost < kMinInterval) return;
  c.interval_loss = static_cast<double>(lost) / static_cast<double>(got + lost);
  c.progress = p;
  c.view.loss = static_cast<double>(p.lost) / static_cast<double>(p.received + p.lost);
  planner_.ObserveLoss(node,
                       static_cast<double>(p.lost) / static_cast<double>(p.received + p.lost));
}

std::vector<ShardRef> Deployment::ProactiveParity(const ShardRef& whole_end) {
  std::lock_guard<std::mutex> lock(mu_);
  return planner_.ProactiveParity(whole_end);
}

std::optional<double> Deployment::TakeIntervalLoss() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<double> losses;
  for (auto& [node, c] : clients_) {
    if (c.interval_loss && !planner_.IsSlow(node)) losses.push_back(*c.interval_loss);
    c.interval_loss.reset();
  }
  if (losses.empty()) return std::nullopt;
  std::sort(losses.begin(), losses.end());
  return losses[losses.size() / 2];
}

Status Deployment::OnHave(const std::string& node, const control::Have& have) {
  const uint32_t chunks = manifest_.table.chunk_count();
  const uint32_t scanned = have.scanned.value_or(chunks);
  Result<HaveSet> set = HaveSet::DecodeFrom(have.chunks, chunks, scanned);
  if (!set.ok()) return set.status();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(node);
  if (it == clients_.end()) return Status::OK();
  planner_.SetHave(node, *set, scanned);
  scans_.Advance(node, scanned);
  it->second.view.scanned = scanned == chunks;
  it->second.view.chunks_have = set->Count();
  if (scanned == chunks) {
    const uint32_t steps = it->second.scan_haves;
    spdlog::info("{} holds {} of {} chunks already{}", node, set->Count(), chunks,
                 steps == 0 ? "" : fmt::format(" (after {} partial haves as it scanned)", steps));
  } else {
    ++it->second.scan_haves;
    spdlog::debug("{} scanned {} of {} chunks, holds {} of them", node, scanned, chunks,
                  set->Count());
  }
  cv_.notify_all();
  return Status::OK();
}

bool Deployment::OnDone(const std::string& node, const control::Done& done) {
  const std::string& digest = done.digest;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(node);
  if (it == clients_.end()) return false;
  const bool match = digest == manifest_.image_digest.ToHex();
  it->second.view.digest = digest;
  it->second.view.done = match;
  it->second.view.reused = done.reused;
  it->second.view.written = done.written;
  if (match) {
    spdlog::info("{} done, digest xxh3-128:{}; {} chunks reused, {} written", node, digest,
                 done.reused, done.written);
  } else {
    spdlog::error("{} reports digest {}, the image has {}", node, digest,
                  manifest_.image_digest.ToHex());
  }
  cv_.notify_all();
  return match;
}

void Deployment::OnFailed(const std::string& node, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(node);
  if (it == clients_.end()) return;
  it->second.view.failed = reason;
  spdlog::error("{}: {}", node, reason);
  cv_.notify_all();
}

bool Deployment::WaitForStart(size_t min_clients, std::chrono::seconds max_wait,
                              const std::atomic<bool>* stop) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  for (;;) {
    if (stop->load()) return false;
    if (clients_.size() >= min_clients) return true;
    if (!clients_.empty() && (start_now_ || std::chrono::steady_clock::now() >= deadline)) {
      return true;
    }
    // Past the deadline with nobody joined, wait for a join, not for a
    // deadline that is already gone (that would spin).
    const auto tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    cv_.wait_until(lock, clients_.empty() ? tick : std::min(deadline, tick));
  }
}

void Deployment::BeginScannedPass(std::chrono::seconds have_timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  pass_ = 1;
  for (auto& [node, c] : clients_) c.reported = !c.view.connected;
  planner_.BeginPass();
  have_deadline_ = std::chrono::steady_clock::now() + have_timeout;
  if (scans_.scanning() > 0) {
    spdlog::info("streaming as {} clients scan their disks", scans_.scanning());
  }
}

std::vector<ShardRef> Deployment::PlanScanned(const std::atomic<bool>* stop, bool* last) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint32_t chunks = manifest_.table.chunk_count();
  ScanFrontier::Range range = scans_.TakeSendable();
  while (range.empty() && !scans_.complete() && !stop->load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= have_deadline_) {
      spdlog::warn(
          "{} clients did not say what their disks hold in time; sending them what they have "
          "not scanned",
          scans_.scanning());
      scans_.Expire();
    } else {
      // Ticks, so a stop is seen soon.
      cv_.wait_until(lock, std::min(have_deadline_, now + std::chrono::milliseconds(200)));
    }
    range = scans_.TakeSendable();
  }
  *last = range.end >= chunks || (range.empty() && scans_.complete());
  return planner_.PlanUpTo(range.end);
}

std::vector<ShardRef> Deployment::PlanPass(uint32_t pass) {
  std::lock_guard<std::mutex> lock(mu_);
  pass_ = pass;
  for (auto& [node, c] : clients_) c.reported = !c.view.connected;
  return planner_.PlanPass();
}

bool Deployment::catch_up() const {
  std::lock_guard<std::mutex> lock(mu_);
  return planner_.catch_up();
}

double Deployment::SlowestShare() const {
  std::lock_guard<std::mutex> lock(mu_);
  return planner_.SlowestShare();
}

void Deployment::EndPass(uint32_t pass, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [node, c] : clients_) {
    if (c.sender) c.sender(control::PassEnd{pass});
  }
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& [node, c] : clients_) {
      if (c.view.connected && !c.reported) return false;
    }
    return true;
  });
}

bool Deployment::Finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  bool any_done = false;
  for (const auto& [node, c] : clients_) {
    if (c.view.connected && !c.view.done) return false;
    any_done = any_done || c.view.done;
  }
  return any_done;
}

void Deployment::WaitForChange(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout);
}

std::string Deployment::PassSummary(uint32_t pass, uint64_t pass_datagrams) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string line = "pass " + std::to_string(pass) + ":";
  const uint32_t stored = manifest_.table.stored_count();
  for (const auto& [node, c] : clients_) {
    const double loss =
        pass_datagrams == 0
            ? 0
            : 100.0 * (1.0 - std::min(1.0, static_cast<double>(c.view.last_datagrams) /
                                               static_cast<double>(pass_datagrams)));
    line += fmt::format(" {} {}/{} chunks, loss {:.1f}%{}{};", node, c.view.chunks_done, stored,
                        loss, c.view.slow ? " (slow)" : "", c.view.connected ? "" : " (gone)");
  }
  return line;
}

void Deployment::ReleaseAll(const std::string& action) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [node, c] : clients_) {
    if (c.sender) c.sender(control::Release{action});
  }
}

void Deployment::FailAll(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [node, c] : clients_) {
    if (c.sender) c.sender(control::Error{"deployment stopped: " + why});
  }
}

void Deployment::WaitForHangUps(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] {
    return std::none_of(clients_.begin(), clients_.end(),
                        [](const auto& entry) { return entry.second.view.connected; });
  });
}

Status Deployment::Failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [node, c] : clients_) {
    if (!c.view.failed.empty() && !c.view.done) {
      return Status::Incomplete("deployment incomplete: " + node + " failed: " + c.view.failed);
    }
  }
  return Status::OK();
}

Status Deployment::StartNow() {
  std::lock_guard<std::mutex> lock(mu_);
  if (clients_.empty())
    return Status::InvalidArgument("no client has joined yet; nothing to start");
  start_now_ = true;
  cv_.notify_all();
  return Status::OK();
}

bool Deployment::SendTo(const std::string& node, const control::Message& m) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = clients_.find(node);
  if (it == clients_.end() || !it->second.view.connected || !it->second.sender) return false;
  it->second.sender(m);
  return true;
}

void Deployment::Wake() { cv_.notify_all(); }

std::vector<Deployment::ClientView> Deployment::Clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ClientView> out;
  for (const auto& [node, c] : clients_) out.push_back(c.view);
  return out;
}

}  // namespace fleetcast
