#include "server/current_status.h"

#include <mutex>

namespace fleetcast {

void CurrentStatus::Set(StatusSource* source) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  source_ = source;
}

nlohmann::json CurrentStatus::Snapshot() {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return source_->Snapshot();
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
