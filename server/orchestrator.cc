#include "server/orchestrator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "core/install_token.h"

namespace fleetcast {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kConnectTimeoutMs = 200;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The steady-clock time that was `unix_at` in wall-clock time.
TimePoint SteadyAt(double unix_at) {
  const auto ago = std::chrono::duration<double>(UnixNow() - unix_at);
  return SteadyClock::now() - std::chrono::duration_cast<SteadyClock::duration>(ago);
}

std::string Hex(const unsigned char* data, size_t size) {
  std::string out;
  char byte[3];
  for (size_t i = 0; i < size; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", data[i]);
    out += byte;
  }
  return out;
}

// The deployment's secret lives beside its state, readable by its owner only,
// so tokens rendered before a restart still hold after it.
Result<std::string> LoadOrCreateKey(const std::string& path, bool fresh) {
  if (!fresh) {
    std::ifstream in(path, std::ios::binary);
    std::string key{std::istreambuf_iterator<char>(in), {}};
    if (key.size() == crypto_auth_hmacsha256_KEYBYTES) return key;
  }
  std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size())) {
    if (fd >= 0) ::close(fd);
    return Status::IOError(path + ": cannot write the deployment key; check the folder");
  }
  ::close(fd);
  return key;
}

// One connect attempt with a short deadline: is anyone listening there?
bool PortOpen(const std::string& ip, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) return false;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (!open && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    open = ::poll(&p, 1, kConnectTimeoutMs) == 1 &&
           ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  ::close(fd);
  return open;
}

// The states a node passes through to reach `target`, for replaying a
// stored state into a fresh machine (which checks each step).
std::vector<NodeState> PathTo(NodeState target) {
  const std::array<NodeState, 6> order = {NodeState::kReceiving,  NodeState::kVerified,
                                          NodeState::kCustomised, NodeState::kReady,
                                          NodeState::kReleased,   NodeState::kUp};
  std::vector<NodeState> path;
  for (const NodeState s : order) {
    if (target == NodeState::kWaiting) break;
    path.push_back(s);
    if (s == target) break;
  }
  return path;
}

// A chunk count for the status API: null until the node's client said it.
nlohmann::json Count(bool known, uint64_t count) {
  return known ? nlohmann::json(count) : nlohmann::json(nullptr);
}

// True if every inventory node reached up or failed in the stored state.
bool FinishedBefore(const StateStore& store, const LoadedInventory& inventory) {
  Result<std::vector<StoredNode>> stored = store.LoadNodes();
  if (!stored.ok() || stored->size() < inventory.inventory.nodes.size()) return false;
  return std::all_of(stored->begin(), stored->end(),
                     [](const StoredNode& n) { return n.state == "up" || n.state == "failed"; });
}

}  // namespace

Result<std::unique_ptr<Orchestrator>> Orchestrator::Create(const LoadedInventory* inventory,
                                                           Deployment* deployment,
                                                           const OrchestratorOptions& options) {
  if (sodium_init() < 0) return Status::IOError("libsodium: cannot initialise");
  if (options.fresh_state) {
    if (Status s = StateStore::Remove(options.state_path); !s.ok()) return s;
  }
  Result<std::unique_ptr<StateStore>> store = StateStore::Open(options.state_path);
  if (!store.ok()) return store.status();
  if (FinishedBefore(**store, *inventory)) {
    // A deployment that ended is not resumed: this is the lab's next re-imaging.
    spdlog::info("{}: the last deployment there ended; starting afresh", options.state_path);
    store->reset();
    if (Status s = StateStore::Remove(options.state_path); !s.ok()) return s;
    store = StateStore::Open(options.state_path);
    if (!store.ok()) return store.status();
  }
  Status s = (*store)->BeginSession(options.image_digest, options.inventory_digest);
  if (!s.ok()) return s;
  Result<std::string> key = LoadOrCreateKey(options.state_path + ".key", options.fresh_state);
  if (!key.ok()) return key.status();
  std::unique_ptr<Orchestrator> o(
      new Orchestrator(inventory, deployment, std::move(*store), options, std::move(*key)));
  if (Status r = o->Restore(); !r.ok()) return r;
  return o;
}

Orchestrator::Orchestrator(const LoadedInventory* inventory, Deployment* deployment,
                           std::unique_ptr<StateStore> store, OrchestratorOptions options,
                           std::string key)
    : inventory_(inventory),
      deployment_(deployment),
      store_(std::move(store)),
      options_(std::move(options)),
      key_(std::move(key)) {
  release_options_.release_standalone_together = options_.standalone_together;
  const TimePoint now = SteadyClock::now();
  for (const NodeSpec& spec : inventory_->inventory.nodes) {
    nodes_.emplace(spec.hostname, Node(&spec, NodeMachine(spec.hostname, now)));
  }
}

// A restarted server takes up where it stopped: every node's state, its
// release and up times, and the groups the operator held.
Status Orchestrator::Restore() {
  Result<std::vector<StoredNode>> stored = store_->LoadNodes();
  if (!stored.ok()) return stored.status();
  for (const StoredNode& s : *stored) {
    Node* node = Find(s.node);
    const auto state = ParseNodeState(s.state);
    if (node == nullptr || !state) continue;
    for (const NodeState step :
         PathTo(*state == NodeState::kFailed ? NodeState::kWaiting : *state)) {
      TimePoint at = SteadyAt(s.state_at);
      if (step == NodeState::kReleased && s.released_at) at = SteadyAt(*s.released_at);
      if (Status r = node->machine.Advance(step, at); !r.ok()) return r;
    }
    if (*state == NodeState::kFailed)
      (void)node->machine.Advance(*state, SteadyAt(s.state_at), s.reason);
    node->digest = s.digest;
    node->released_at = s.released_at;
    node->up_at = s.up_at;
    node->up_how = s.up_how;
    if (s.timings) RestoreTimings(*node, s);
    spdlog::info("{}: resumed as {}", node->spec->hostname, s.state);
  }
  Result<std::set<std::string>> held = store_->HeldGroups();
  if (!held.ok()) return held.status();
  release_options_.held_groups = *held;
  Result<std::map<std::string, uint64_t>> generations = store_->TokenGenerations();
  if (!generations.ok()) return generations.status();
  for (const auto& [host, generation] : *generations) {
    if (Node* node = Find(host)) node->token_generation = generation;
  }
  return Status::OK();
}

// What the node's client said when it was done, so the report and the page
// show it after a restart: its copy time runs up to its "verified".
void Orchestrator::RestoreTimings(Node& node, const StoredNode& stored) {
  node.loss = stored.timings->loss;
  node.counted = true;
  node.chunks_reused = stored.timings->chunks_reused;
  node.chunks_written = stored.timings->chunks_written;
  Result<std::vector<Transition>> history = store_->History(stored.node);
  if (!history.ok()) return;
  for (const Transition& t : *history) {
    if (t.state != NodeStateName(NodeState::kVerified)) continue;
    node.done_at = t.at;
    node.started_at = t.at - stored.timings->seconds;
  }
}

std::string Orchestrator::NodeToken(const NodeSpec& node) const {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(node.mac.data()),
                         node.mac.size(), reinterpret_cast<const unsigned char*>(key_.data()));
  return Hex(mac.data(), 16);
}

Orchestrator::Node* Orchestrator::Find(const std::string& node_id) {
  for (auto& [hostname, node] : nodes_) {
    if (node.spec->mac == NormalizeMac(node_id).value_or("") ||
        LowerAscii(hostname) == LowerAscii(node_id)) {
      return &node;
    }
  }
  return nullptr;
}

Orchestrator::BootChoice Orchestrator::BootChoiceFor(const std::string& mac) const {
  std::lock_guard lock(mu_);
  const std::optional<std::string> normal = NormalizeMac(mac);
  const Node* node = normal ? Find(*normal) : nullptr;
  if (node == nullptr) {
    return {
        .node = mac, .disk = "", .why = mac + " is not in the inventory, so it is not deployed"};
  }
  const std::string& host = node->spec->hostname;
  if (node->released_at || node->machine.state() == NodeState::kUp) {
    return {.node = host, .disk = "", .why = host + " is deployed and released"};
  }
  return {.install = true, .node = host, .disk = node->spec->disk, .why = ""};
}

Result<std::string> Orchestrator::NextToken(Node& node) {
  const std::string& host = node.spec->hostname;
  if (Status s = store_->RecordTokenGeneration(host, node.token_generation + 1); !s.ok()) return s;
  ++node.token_generation;
  return install_token::Make(key_, host, node.token_generation);
}

Result<std::string> Orchestrator::IssueInstallToken(const std::string& node_id) {
  std::lock_guard lock(mu_);
  Node* node = Find(node_id);
  if (node == nullptr) return Status::NotFound("node " + node_id + " is not in the inventory");
  return NextToken(*node);
}

Result<std::string> Orchestrator::RedeemInstallToken(const std::string& node_id,
                                                     const std::string& token,
                                                     const std::string& peer) {
  std::lock_guard lock(mu_);
  Node* node = Find(node_id);
  if (node == nullptr) return Status::NotFound("node " + node_id + " is not in the inventory");
  const std::string& host = node->spec->hostname;
  const std::string fix =
      "; boot it from this server's network boot, or give its client the "
      "token of `fleetcast-server ctl token " +
      host + "`";
  switch (install_token::Verify(key_, host, node->token_generation, token)) {
    case install_token::Check::kValid:
      return NextToken(*node);
    case install_token::Check::kSpent:
      return Status::InvalidArgument(
          "node " + host + ": its one-time token was already used, now again from " + peer +
          " (is another machine claiming to be " + host + "?)" + fix);
    case install_token::Check::kWrong:
      return Status::InvalidArgument("node " + host + ": wrong one-time token from " + peer + fix);
    case install_token::Check::kMissing:
      break;
  }
  return Status::InvalidArgument("node " + host + " needs its one-time token (serve --tokens)" +
                                 fix);
}

const Orchestrator::Node* Orchestrator::Find(const std::string& node_id) const {
  return const_cast<Orchestrator*>(this)->Find(node_id);
}

void Orchestrator::Advance(Node& node, NodeState to, const std::string& reason) {
  if (Status s = node.machine.Advance(to, SteadyClock::now(), reason); !s.ok()) {
    spdlog::warn("{}", s.message());
    return;
  }
  if (to != NodeState::kReleased && to != NodeState::kUp) {
    if (Status s = store_->RecordState(node.spec->hostname, std::string(NodeStateName(to)),
                                       UnixNow(), reason);
        !s.ok()) {
      spdlog::error("{}", s.message());
    }
  }
  spdlog::info("{}: {}{}", node.spec->hostname, NodeStateName(to),
               reason.empty() ? "" : " (" + reason + ")");
}

// Follows one client of the deployment into its node's state.
void Orchestrator::Follow(const Deployment::ClientView& client, double now) {
  Node* node = Find(client.node);
  if (node == nullptr) return;
  node->client_id = client.node;
  node->connected = client.connected;
  node->chunks_done = client.chunks_done;
  node->loss = std::max(node->loss, client.loss);
  if (node->machine.state() == NodeState::kWaiting && client.connected) {
    node->started_at = now;
    Advance(*node, NodeState::kReceiving);
  }
  // Its client gave up and said why (a full disk): nothing more will come.
  if (!client.failed.empty() && !IsTerminal(node->machine.state()) && !client.done) {
    Advance(*node, NodeState::kFailed, client.failed);
  }
  const NodeState state = node->machine.state();
  if (state == NodeState::kReceiving && client.done) {
    node->digest = client.digest;
    node->counted = true;
    node->chunks_reused = client.reused;
    node->chunks_written = client.written;
    node->done_at = now;
    (void)store_->RecordDigest(node->spec->hostname, client.digest);
    (void)store_->RecordTimings(node->spec->hostname, {options_.image_bytes, now - node->started_at,
                                                       node->loss, client.reused, client.written});
    Advance(*node, NodeState::kVerified);
    // The client writes its identity before it says done.
    Advance(*node, NodeState::kCustomised);
    Advance(*node, NodeState::kReady);
  } else if (state == NodeState::kReceiving && !client.connected) {
    Advance(*node, NodeState::kWaiting, "its client left before it was done");
  } else if (state == NodeState::kReleased && client.connected && client.done && !node->told) {
    // Recorded as released by a server that died before telling it: the
    // client is still imaging, so it never rebooted. Deliver that release.
    node->told = deployment_->SendTo(node->client_id, control::Release{options_.on_release});
    if (node->told) spdlog::info("{}: its recorded release delivered", node->spec->hostname);
  }
}

// Recorded first, then told: a crash in between leaves a node recorded as
// released that never heard it, never one released twice.
void Orchestrator::Release(Node& node, bool by_hand) {
  const double now = UnixNow();
  if (Status s = store_->RecordRelease(node.spec->hostname, now); !s.ok()) {
    spdlog::error("{}", s.message());
    return;
  }
  node.released_at = now;
  Advance(node, NodeState::kReleased);
  const bool told = deployment_->SendTo(node.client_id, control::Release{options_.on_release});
  node.told = told;
  spdlog::info("{}: released{} ({}){}", node.spec->hostname, by_hand ? " by hand" : "",
               options_.on_release, told ? "" : "; its client is gone and was not told");
}

void Orchestrator::MarkUp(Node& node, const std::string& how) {
  const double now = UnixNow();
  if (Status s = store_->RecordUp(node.spec->hostname, now, how); !s.ok()) {
    spdlog::error("{}", s.message());
    return;
  }
  node.up_at = now;
  node.up_how = how;
  Advance(node, NodeState::kUp);
}

void Orchestrator::CheckUp(Node& node) {
  const GroupSpec* group = inventory_->inventory.GroupOf(*node.spec);
  if (group == nullptr || group->up.rfind("tcp:", 0) != 0) return;  // call backs come to us
  if (PortOpen(node.spec->ip, std::stoi(group->up.substr(4)))) MarkUp(node, group->up);
}

ReleaseDecision Orchestrator::Plan() const {
  std::map<std::string, NodeMachine> machines;
  for (const auto& [hostname, node] : nodes_) machines.emplace(hostname, node.machine);
  return PlanRelease(inventory_->inventory, machines, release_options_, SteadyClock::now());
}

void Orchestrator::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  const double now = UnixNow();
  for (const Deployment::ClientView& client : deployment_->Clients()) Follow(client, now);
  for (auto& [hostname, node] : nodes_) {
    if (node.machine.state() == NodeState::kReleased) CheckUp(node);
  }
  const ReleaseDecision decision = Plan();
  for (const std::string& hostname : decision.release) {
    Node& node = nodes_.at(hostname);
    if (node.connected) Release(node, false);
  }
  for (const GroupStatus& group : decision.groups) {
    std::string& last = last_group_status_[group.name];
    if (last != group.ToString()) spdlog::info("{}", group.ToString());
    last = group.ToString();
  }
}

bool Orchestrator::Settled() const {
  // A client that joined but has not been followed yet is not "never came".
  std::set<std::string> joined;
  for (const Deployment::ClientView& c : deployment_->Clients()) {
    if (const Node* node = Find(c.node)) joined.insert(node->spec->hostname);
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A timed-out group waits for nothing more; a held one waits for its
  // operator, so serve keeps running.
  std::set<std::string> stuck;
  for (const GroupStatus& g : Plan().groups) {
    if (g.timed_out && !g.held) stuck.insert(g.name);
  }
  for (const auto& [hostname, node] : nodes_) {
    const NodeState state = node.machine.state();
    if (state == NodeState::kUp || state == NodeState::kFailed) continue;
    if (state == NodeState::kWaiting && node.started_at == 0 && joined.count(hostname) == 0) {
      continue;  // never came
    }
    if (node.spec->group.empty() && state == NodeState::kReleased) continue;
    if (!node.spec->group.empty() && stuck.count(node.spec->group) > 0 &&
        state != NodeState::kReceiving) {
      continue;
    }
    return false;
  }
  return true;
}

Status Orchestrator::Outcome() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const GroupStatus& g : Plan().groups) {
    if (g.held || g.timed_out) return Status::Incomplete("deployment incomplete: " + g.ToString());
  }
  std::string missing;
  for (const auto& [hostname, node] : nodes_) {
    const NodeState state = node.machine.state();
    if (state == NodeState::kFailed) {
      return Status::Incomplete("deployment incomplete: " + hostname +
                                " failed: " + node.machine.reason());
    }
    if (state == NodeState::kWaiting) missing += (missing.empty() ? "" : ", ") + hostname;
  }
  if (!missing.empty()) {
    return Status::Incomplete("deployment incomplete: never joined: " + missing +
                              "; check those machines booted the imaging media");
  }
  return Status::OK();
}

size_t Orchestrator::PendingNodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t pending = 0;
  for (const auto& [hostname, node] : nodes_)
    pending += node.machine.state() < NodeState::kReleased;
  return pending;
}

bool Orchestrator::AllJoined() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [hostname, node] : nodes_) {
    if (node.machine.state() == NodeState::kWaiting) return false;
  }
  return true;
}

Status Orchestrator::NodeUp(const std::string& node_id, const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  Node* node = Find(node_id);
  const std::string expected = node == nullptr ? std::string(32, 'x') : NodeToken(*node->spec);
  if (node == nullptr || token.size() != expected.size() ||
      sodium_memcmp(token.data(), expected.data(), expected.size()) != 0) {
    return Status::InvalidArgument("node " + node_id + ": wrong token; refused");
  }
  if (node->machine.state() != NodeState::kReleased) {
    return Status::InvalidArgument("node " + node_id + ": is " +
                                   std::string(NodeStateName(node->machine.state())) +
                                   ", not released; call back refused");
  }
  MarkUp(*node, "callback");
  return Status::OK();
}

Status Orchestrator::Hold(const std::string& group, bool held) {
  std::lock_guard<std::mutex> lock(mu_);
  if (inventory_->inventory.groups.count(group) == 0) {
    return Status::NotFound("group " + group + ": not in the inventory");
  }
  if (Status s = store_->RecordHold(group, held); !s.ok()) return s;
  if (held) {
    release_options_.held_groups.insert(group);
  } else {
    release_options_.held_groups.erase(group);
  }
  spdlog::info("group {}: {} by the operator", group, held ? "held" : "no longer held");
  return Status::OK();
}

Status Orchestrator::ReleaseByHand(const std::string& node_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Node* node = Find(node_id);
  if (node == nullptr) return Status::NotFound("node " + node_id + ": not in the inventory");
  if (node->machine.state() != NodeState::kReady || !node->connected) {
    return Status::InvalidArgument("node " + node_id + ": is " +
                                   std::string(NodeStateName(node->machine.state())) +
                                   "; only a ready, connected node can be released");
  }
  release_options_.released_by_hand.insert(node->spec->hostname);
  Release(*node, true);
  return Status::OK();
}

nlohmann::json Orchestrator::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  const double now = UnixNow();
  nlohmann::json nodes = nlohmann::json::array();
  std::map<std::string, int> counts;
  for (const auto& [hostname, node] : nodes_) {
    const NodeState state = node.machine.state();
    ++counts[std::string(NodeStateName(state))];
    const double end = node.done_at > 0 ? node.done_at : now;
    const double seconds = node.started_at > 0 ? end - node.started_at : 0;
    const double progress =
        state >= NodeState::kVerified && state != NodeState::kFailed ? 1.0
        : options_.stored_chunks == 0
            ? 0.0
            : static_cast<double>(node.chunks_done) / static_cast<double>(options_.stored_chunks);
    nodes.push_back({{"node", node.spec->mac},
                     {"hostname", hostname},
                     {"state", NodeStateName(state)},
                     {"progress", std::min(progress, 1.0)},
                     {"mbps", seconds > 0 ? progress * options_.image_bytes / seconds / 1e6 : 0.0},
                     {"loss", node.loss},
                     {"seconds", seconds},
                     {"chunks_reused", Count(node.counted, node.chunks_reused)},
                     {"chunks_written", Count(node.counted, node.chunks_written)},
                     {"reason", node.machine.reason()},
                     {"group", node.spec->group},
                     {"boot_order", node.spec->boot_order}});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupStatus& g : Plan().groups) {
    groups.push_back({{"name", g.name},
                      {"waiting_for", g.waiting_for},
                      {"held", g.held},
                      {"timed_out", g.timed_out}});
  }
  return {{"nodes", nodes}, {"groups", groups}, {"totals", counts}};
}

std::string Orchestrator::Metrics() const {
  const nlohmann::json snapshot = Snapshot();
  std::string out =
      "# HELP fleetcast_nodes Inventory nodes by state.\n# TYPE fleetcast_nodes gauge\n";
  for (const char* state :
       {"waiting", "receiving", "verified", "customised", "ready", "released", "up", "failed"}) {
    const int n = snapshot["totals"].value(state, 0);
    out += "fleetcast_nodes{state=\"" + std::string(state) + "\"} " + std::to_string(n) + "\n";
  }
  return out;
}

nlohmann::json Orchestrator::ReportJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [hostname, node] : nodes_) {
    const double seconds = node.done_at > node.started_at ? node.done_at - node.started_at : 0;
    nlohmann::json n = {{"hostname", hostname},
                        {"node", node.spec->mac},
                        {"state", NodeStateName(node.machine.state())},
                        {"digest", node.digest},
                        {"seconds", seconds},
                        {"mbps", seconds > 0 ? options_.image_bytes / seconds / 1e6 : 0.0},
                        {"loss", node.loss},
                        {"chunks_reused", node.chunks_reused},
                        {"chunks_written", node.chunks_written},
                        {"reason", node.machine.reason()}};
    if (node.released_at) n["released_at"] = *node.released_at;
    if (node.up_at) n["up_at"] = *node.up_at;
    if (!node.up_how.empty()) n["up_how"] = node.up_how;
    if (node.machine.state() == NodeState::kWaiting && node.started_at == 0) {
      n["reason"] = "never joined";
    }
    nodes.push_back(n);
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupStatus& g : Plan().groups) groups.push_back(g.ToString());
  return {{"nodes", nodes}, {"groups", groups}};
}

std::string Orchestrator::ReportText() const {
  const nlohmann::json report = ReportJson();
  std::string out =
      "node        state      digest                            s      MB/s"
      "   loss   reused  written  release->up  note\n";
  for (const auto& n : report["nodes"]) {
    char line[256];
    std::string up = "-";
    if (n.contains("released_at") && n.contains("up_at")) {
      char t[32];
      std::snprintf(t, sizeof t, "%.1f s",
                    n["up_at"].get<double>() - n["released_at"].get<double>());
      up = t;
    }
    std::string note = n["reason"].get<std::string>();
    if (n.contains("up_how")) note = "up by " + n["up_how"].get<std::string>();
    std::snprintf(line, sizeof line, "%-11s %-10s %-33s %6.1f %7.1f %5.1f%% %8llu %8llu %12s  %s\n",
                  n["hostname"].get<std::string>().c_str(), n["state"].get<std::string>().c_str(),
                  n["digest"].get<std::string>().c_str(), n["seconds"].get<double>(),
                  n["mbps"].get<double>(), 100 * n["loss"].get<double>(),
                  n["chunks_reused"].get<unsigned long long>(),
                  n["chunks_written"].get<unsigned long long>(), up.c_str(), note.c_str());
    out += line;
  }
  for (const auto& g : report["groups"]) out += g.get<std::string>() + "\n";
  return out;
}

}  // namespace fleetcast
