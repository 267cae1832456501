#include "server/current_status.h"

#include <mutex>

namespace fleetcast {

void CurrentStatus::Set(StatusSource* source) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  source_ = source;
}

void CurrentStatus::SetNetcheck(const netcheck::Netcheck& check) {
  nlohmann::json json = nlohmann::json::parse(netcheck::JsonText(check));
  auto svg = std::make_shared<const std::string>(netcheck::SvgPlot(check));
  std::lock_guard<std::mutex> lock(netcheck_mu_);
  netcheck_json_ = std::move(json);
  netcheck_table_ = netcheck::TableText(check);
  netcheck_svg_ = std::move(svg);
}

nlohmann::json CurrentStatus::Snapshot() {
  nlohmann::json snapshot;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    snapshot = source_->Snapshot();
  }
  std::lock_guard<std::mutex> lock(netcheck_mu_);
  if (netcheck_svg_ != nullptr) {
    snapshot["netcheck"] = netcheck_json_;
    snapshot["netcheck_table"] = netcheck_table_;
  }
  return snapshot;
}

std::shared_ptr<const std::string> CurrentStatus::NetcheckSvg() {
  std::lock_guard<std::mutex> lock(netcheck_mu_);
  return netcheck_svg_;
}

std::string CurrentStatus::Metrics() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->Metrics();
}

Status CurrentStatus::StartNow() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->StartNow();
}

Status CurrentStatus::Hold(const std::string& group, bool held) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->Hold(group, held);
}

Status CurrentStatus::Release(const std::string& node) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->Release(node);
}

Status CurrentStatus::NodeUp(const std::string& node, const std::string& token) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->NodeUp(node, token);
}

Result<std::string> CurrentStatus::BootScript(const std::string& mac) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->BootScript(mac);
}

Result<std::string> CurrentStatus::IssueToken(const std::string& node) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->IssueToken(node);
}

std::shared_ptr<const std::string> CurrentStatus::BootFile(const std::string& name) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->BootFile(name);
}

}  // namespace fleetcast
