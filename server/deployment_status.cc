#include "server/deployment_status.h"

#include <spdlog/spdlog.h>

#include <map>

#include "core/ipxe_script.h"

namespace fleetcast {

namespace {

Status NeedsInventory() {
  return Status::InvalidArgument("this serve has no inventory; start it with --nodes");
}

// A chunk count of a node's `done`: null until its client said it.
nlohmann::json Count(bool done, uint64_t count) {
  return done ? nlohmann::json(count) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json DeploymentStatus::Snapshot() {
  nlohmann::json snapshot;
  if (orchestrator_ != nullptr) {
    snapshot = orchestrator_->Snapshot();
  } else {
    nlohmann::json nodes = nlohmann::json::array();
    for (const Deployment::ClientView& c : deployment_->Clients()) {
      const double progress = stored_chunks_ == 0 ? 1.0
                                                  : static_cast<double>(c.chunks_done) /
                                                        static_cast<double>(stored_chunks_);
      nodes.push_back({{"node", c.node},
                       {"hostname", c.node},
                       {"state", c.done              ? "verified"
                                 : !c.failed.empty() ? "failed"
                                 : c.connected       ? "receiving"
                                                     : "waiting"},
                       {"reason", c.failed},
                       {"progress", progress},
                       {"loss", c.loss},
                       {"chunks_reused", Count(c.done, c.reused)},
                       {"chunks_written", Count(c.done, c.written)},
                       {"group", ""},
                       {"boot_order", 0}});
    }
    snapshot = {{"nodes", nodes}, {"groups", nlohmann::json::array()}};
  }
  AddForged(&snapshot["nodes"]);
  snapshot["session"] = {{"image_bytes", image_bytes_},
                         {"datagrams_sent", sender_->datagrams_sent()},
                         {"bytes_sent", sender_->bytes_sent()}};
  return snapshot;
}

// Each node's forged datagrams, as its client last reported them (0 before).
void DeploymentStatus::AddForged(nlohmann::json* nodes) const {
  std::map<std::string, uint64_t> forged;
  for (const Deployment::ClientView& c : deployment_->Clients()) forged[c.node] = c.forged;
  // Clients started with --node NAME join under the inventory's hostname.
  for (nlohmann::json& n : *nodes) {
    uint64_t count = 0;
    for (const char* key : {"node", "hostname"}) {
      if (!n.contains(key) || !n[key].is_string()) continue;
      const auto it = forged.find(n[key].get<std::string>());
      if (it != forged.end()) count = it->second;
    }
    n["forged"] = count;
  }
}

std::string DeploymentStatus::Metrics() {
  std::string out;
  const auto metric = [&out](const char* name, const char* type, const char* help, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  metric("fleetcast_datagrams_sent_total", "counter", "Datagrams multicast.",
         sender_->datagrams_sent());
  metric("fleetcast_bytes_sent_total", "counter", "UDP payload bytes multicast.",
         sender_->bytes_sent());
  metric("fleetcast_image_bytes", "gauge", "Raw size of the image.", image_bytes_);
  metric("fleetcast_rate_bits_per_second", "gauge", "The sender's current rate (0: unlimited).",
         sender_->current_rate());
  // Repair overhead: payload sent over one copy of the stored image.
  const double overhead = stored_bytes_ == 0 ? 0.0
                                             : static_cast<double>(sender_->bytes_sent()) /
                                                   static_cast<double>(stored_bytes_);
  out +=
      "# HELP fleetcast_send_ratio Payload sent over the stored image's size (1 = no repair).\n"
      "# TYPE fleetcast_send_ratio gauge\nfleetcast_send_ratio " +
      std::to_string(overhead) + "\n";
  out += "# HELP fleetcast_clients Clients joined.\n# TYPE fleetcast_clients gauge\n";
  out += "fleetcast_clients " + std::to_string(deployment_->Clients().size()) + "\n";
  uint64_t forged = 0;
  for (const Deployment::ClientView& c : deployment_->Clients()) forged += c.forged;
  metric("fleetcast_forged_datagrams_total", "counter",
         "Datagrams of the session whose tag failed, as clients reported them.", forged);
  if (orchestrator_ != nullptr) out += orchestrator_->Metrics();
  return out;
}

Status DeploymentStatus::Hold(const std::string& group, bool held) {
  return orchestrator_ == nullptr ? NeedsInventory() : orchestrator_->Hold(group, held);
}

Status DeploymentStatus::Release(const std::string& node) {
  return orchestrator_ == nullptr ? NeedsInventory() : orchestrator_->ReleaseByHand(node);
}

Status DeploymentStatus::NodeUp(const std::string& node, const std::string& token) {
  return orchestrator_ == nullptr ? NeedsInventory() : orchestrator_->NodeUp(node, token);
}

Result<std::string> DeploymentStatus::BootScript(const std::string& mac) {
  if (boot_media_ == nullptr) return NoBoot();
  if (mac.empty()) return boot_media_->ChainScript();
  // Without an inventory every machine that boots is the deployment's.
  if (orchestrator_ == nullptr) {
    spdlog::info("network boot: {}: installer", mac);
    return boot_media_->InstallScript(mac, "");
  }
  const Orchestrator::BootChoice choice = orchestrator_->BootChoiceFor(mac);
  if (!choice.install) {
    spdlog::info("network boot: {}: local disk ({})", mac, choice.why);
    return IpxeLocalScript(choice.why);
  }
  spdlog::info("network boot: {} ({}): installer", choice.node, mac);
  if (!tokens_) return boot_media_->InstallScript(choice.node, choice.disk);
  // Each boot makes the node's earlier token void: the last machine to boot
  // as this node is the one that may claim it.
  Result<std::string> token = orchestrator_->IssueInstallToken(choice.node);
  if (!token.ok()) return token.status();
  return boot_media_->InstallScript(choice.node, choice.disk, *token);
}

Result<std::string> DeploymentStatus::IssueToken(const std::string& node) {
  if (orchestrator_ == nullptr || !tokens_) return StatusSource::IssueToken(node);
  Result<std::string> token = orchestrator_->IssueInstallToken(node);
  if (token.ok()) spdlog::info("{}: one-time install token issued by the operator", node);
  return token;
}

std::shared_ptr<const std::string> DeploymentStatus::BootFile(const std::string& name) {
  return boot_media_ == nullptr ? nullptr : boot_media_->File(name);
}

}  // namespace fleetcast
