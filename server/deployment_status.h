// DeploymentStatus: what the status page and the JSON API show of a running
// serve, and the operator actions they take: the deployment's clients, the
// orchestrator's nodes and groups (when there is an inventory) and the
// sender's counters.
#ifndef FLEETCAST_SERVER_DEPLOYMENT_STATUS_H_
#define FLEETCAST_SERVER_DEPLOYMENT_STATUS_H_

#include <string>

#include "server/boot_media.h"
#include "server/deployment.h"
#include "server/orchestrator.h"
#include "server/status_http.h"
#include "server/stream_sender.h"

namespace fleetcast {

class DeploymentStatus : public StatusSource {
 public:
  /// `orchestrator` may be null (no inventory): nodes are then the clients.
  DeploymentStatus(Deployment* deployment, Orchestrator* orchestrator, const StreamSender* sender,
                   uint64_t image_bytes, uint64_t stored_chunks, uint64_t stored_bytes)
      : deployment_(deployment),
        orchestrator_(orchestrator),
        sender_(sender),
        image_bytes_(image_bytes),
        stored_chunks_(stored_chunks),
        stored_bytes_(stored_bytes) {}

  nlohmann::json Snapshot() override;
  std::string Metrics() override;
  Status StartNow() override { return deployment_->StartNow(); }
  Status Hold(const std::string& group, bool held) override;
  Status Release(const std::string& node) override;
  Status NodeUp(const std::string& node, const std::string& token) override;
  Result<std::string> BootScript(const std::string& mac) override;
  Result<std::string> IssueToken(const std::string& node) override;
  std::shared_ptr<const std::string> BootFile(const std::string& name) override;

  /// Turns network boot on; `media` must outlive this.
  void set_boot_media(const BootMedia* media) { boot_media_ = media; }
  /// serve --tokens: installer boot scripts carry a fresh one-time token.
  void set_tokens(bool on) { tokens_ = on; }

 private:
  void AddForged(nlohmann::json* nodes) const;

  Deployment* deployment_;
  Orchestrator* orchestrator_;
  const StreamSender* sender_;
  uint64_t image_bytes_;
  uint64_t stored_chunks_;
  uint64_t stored_bytes_;
  const BootMedia* boot_media_ = nullptr;
  bool tokens_ = false;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_DEPLOYMENT_STATUS_H_
