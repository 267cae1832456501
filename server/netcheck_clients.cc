#include "server/netcheck_clients.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fleetcast {

namespace {

// The waits re-check `stop` this often (a signal sets it and wakes them, but
// a wake before the wait began would be lost).
constexpr auto kPoll = std::chrono::milliseconds(100);

}  // namespace

void NetcheckClients::Join(const std::string& node, Sender sender) {
  std::lock_guard<std::mutex> lock(mu_);
  // Left waiting, it would time out before a long check ends; it hears why
  // at once instead, and exits.
  if (started_ && then_deploy_) {
    spdlog::warn("{}: joined after the netcheck's test traffic began; turned away", node);
    sender(control::Error{kLateForDeploy});
    return;
  }
  if (started_) {
    spdlog::warn("{}: joined after the test traffic began; turned away", node);
    sender(control::Error{"the netcheck already began; start this client before the next one"});
    return;
  }
  spdlog::info("{}: joined the netcheck", node);
  sender(check_);
  clients_[node] = Client{std::move(sender), false, std::nullopt};
  if (!first_join_) first_join_ = std::chrono::steady_clock::now();
  cv_.notify_all();
}

void NetcheckClients::Leave(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.erase(node);
  cv_.notify_all();
}

void NetcheckClients::OnReady(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = clients_.find(node); it != clients_.end()) it->second.ready = true;
  cv_.notify_all();
}

void NetcheckClients::OnReport(const std::string& node, const control::NetcheckReport& report) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = clients_.find(node); it != clients_.end()) it->second.report = report;
  cv_.notify_all();
}

void NetcheckClients::OnError(const std::string& node, const std::string& message) {
  spdlog::error("{}: {}", node, message);
}

template <typename Done>
void NetcheckClients::WaitUntil(std::unique_lock<std::mutex>& lock,
                                std::chrono::steady_clock::time_point deadline,
                                const std::atomic<bool>* stop, Done done) {
  while (!done() && !(stop != nullptr && stop->load()) &&
         std::chrono::steady_clock::now() < deadline) {
    cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + kPoll));
  }
}

std::vector<std::string> NetcheckClients::WaitForClients(size_t min, std::chrono::seconds max_wait,
                                                         const std::atomic<bool>* stop) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const auto deadline =
        first_join_ ? *first_join_ + max_wait : std::chrono::steady_clock::time_point::max();
    WaitUntil(lock, std::min(deadline, std::chrono::steady_clock::now() + kPoll), stop,
              [&] { return clients_.size() >= min; });
    if (clients_.size() >= min || stop->load() ||
        (first_join_ && std::chrono::steady_clock::now() >= *first_join_ + max_wait)) {
      break;
    }
  }
  std::vector<std::string> nodes;
  for (const auto& [node, client] : clients_) nodes.push_back(node);
  return nodes;
}

std::vector<std::string> NetcheckClients::WaitForReady(std::chrono::milliseconds timeout,
                                                       const std::atomic<bool>* stop) {
  std::unique_lock<std::mutex> lock(mu_);
  started_ = true;
  const auto all_ready = [&] {
    return std::all_of(clients_.begin(), clients_.end(),
                       [](const auto& entry) { return entry.second.ready; });
  };
  WaitUntil(lock, std::chrono::steady_clock::now() + timeout, stop, all_ready);
  std::vector<std::string> ready;
  for (const auto& [node, client] : clients_) {
    if (client.ready) ready.push_back(node);
  }
  return ready;
}

void NetcheckClients::Finish(const std::vector<std::string>& ready) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [node, client] : clients_) {
    if (std::find(ready.begin(), ready.end(), node) != ready.end()) {
      client.sender(control::Release{"exit"});
    } else {
      client.sender(control::Error{
          "the netcheck ran without this client: it did not join the test group within 10 s"});
    }
  }
}

void NetcheckClients::Send(const std::vector<std::string>& nodes, const control::Message& m) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& node : nodes) {
    if (auto it = clients_.find(node); it != clients_.end()) it->second.sender(m);
  }
}

std::map<std::string, control::NetcheckReport> NetcheckClients::WaitForReports(
    const std::vector<std::string>& nodes, std::chrono::milliseconds timeout,
    const std::atomic<bool>* stop) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto all_in = [&] {
    for (const std::string& node : nodes) {
      auto it = clients_.find(node);
      if (it != clients_.end() && !it->second.report) return false;
    }
    return true;
  };
  WaitUntil(lock, std::chrono::steady_clock::now() + timeout, stop, all_in);
  std::map<std::string, control::NetcheckReport> reports;
  for (const std::string& node : nodes) {
    auto it = clients_.find(node);
    if (it != clients_.end() && it->second.report) reports[node] = *it->second.report;
  }
  return reports;
}

void NetcheckClients::WaitForHangUps(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitUntil(lock, std::chrono::steady_clock::now() + timeout, nullptr,
            [&] { return clients_.empty(); });
}

void NetcheckClients::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

}  // namespace fleetcast
