// CurrentStatus: the StatusSource the HTTP servers hold for the whole serve,
// forwarding to the running deployment's own source. serve --deployments
// runs one deployment after another behind the same status page; Set swaps
// the source while no call is inside it, so the old one (and the deployment
// it points into) can be destroyed once Set returns. It also holds the
// result of serve --netcheck, which outlives every deployment: the plot at
// /netcheck.svg, the JSON and table in the snapshot. Any thread.
#ifndef FLEETCAST_SERVER_CURRENT_STATUS_H_
#define FLEETCAST_SERVER_CURRENT_STATUS_H_

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "core/netcheck_report.h"
#include "server/status_http.h"

namespace fleetcast {

class CurrentStatus : public StatusSource {
 public:
  /// `source` must stay alive until it is replaced by the next Set.
  explicit CurrentStatus(StatusSource* source) : source_(source) {}

  /// Waits for calls into the current source to return, then forwards to
  /// `source` from now on.
  void Set(StatusSource* source);
  /// The netcheck that ran before the deployments: from now on the snapshot
  /// carries it as "netcheck" (its JSON) and "netcheck_table" (its table),
  /// and NetcheckSvg its plot.
  void SetNetcheck(const netcheck::Netcheck& check);

  nlohmann::json Snapshot() override;
  std::string Metrics() override;
  Status StartNow() override;
  Status Hold(const std::string& group, bool held) override;
  Status Release(const std::string& node) override;
  Status NodeUp(const std::string& node, const std::string& token) override;
  Result<std::string> BootScript(const std::string& mac) override;
  Result<std::string> IssueToken(const std::string& node) override;
  std::shared_ptr<const std::string> BootFile(const std::string& name) override;
  std::shared_ptr<const std::string> NetcheckSvg() override;

 private:
  std::shared_mutex mu_;  // shared by forwarded calls, exclusive in Set
  StatusSource* source_;
  std::mutex netcheck_mu_;  // guards the three below
  nlohmann::json netcheck_json_;
  std::string netcheck_table_;
  std::shared_ptr<const std::string> netcheck_svg_;
};

}  // namespace fleetcast

#endif  // FLEETCAST_SERVER_CURRENT_STATUS_H_
