// Control-plane messages between a client and the server, over one TCP
// connection per client. Each message is a CBOR map (nlohmann-json) with a
// "type" key, framed by a fixed32 length; docs/protocol.md lists the fields.
#ifndef FLEETCAST_CORE_CONTROL_MESSAGE_H_
#define FLEETCAST_CORE_CONTROL_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/coding.h"
#include "core/datagram_seal.h"
#include "core/netcheck_health.h"
#include "core/netcheck_stats.h"
#include "core/status.h"

namespace fleetcast::control {

// 2: the control connection runs inside core/secure_channel.h.
constexpr uint32_t kProtocolVersion = 2;
/// Largest body accepted; a manifest of 2^24 chunks fits.
constexpr uint32_t kMaxMessageLength = 1u << 30;
constexpr size_t kFrameHeaderLength = 4;

/// Client -> server, first: who the node is.
struct Hello {
  std::string node;  // MAC of the receiving interface, or a name given by option
  uint32_t version = kProtocolVersion;
  // The node's one-time token (serve --tokens), or the next one the server
  // gave this client in `identity`; "" for none.
  std::string token = {};
  bool operator==(const Hello&) const = default;
};

/// Server -> client: everything needed to join the stream.
struct Session {
  uint32_t session = 0;
  std::string group;
  uint16_t port = 0;
  uint32_t shard_size = 0;
  uint32_t max_data_shards = 0;
  Bytes manifest;  // the image's manifest bytes (core/image_format.h)
  // Seals every datagram of the session (core/datagram_seal.h): fresh for
  // each serve run. Secret: it proves datagrams came from the server.
  wire::DataKey data_key{};
  bool encrypt = false;  // payloads encrypted, not only authenticated
  bool operator==(const Session&) const = default;
};

/// How many shards a client still needs in one FEC block.
struct BlockNeed {
  uint32_t chunk = 0;
  uint16_t block = 0;
  uint16_t missing = 0;
  bool operator==(const BlockNeed&) const = default;
};

/// Client -> server after a pass ends: what it still needs.
struct Report {
  uint32_t pass = 0;
  std::vector<BlockNeed> needs;  // empty: every chunk is written
  uint64_t chunks_done = 0;
  uint64_t datagrams = 0;  // shard datagrams accepted this pass
  uint64_t rejected = 0;   // garbage or foreign datagrams, since start
  uint64_t forged = 0;     // datagrams of the session whose tag failed, since start
  bool operator==(const Report&) const = default;
};

/// Client -> server, several times a second during a pass: datagrams of the
/// pass received so far and the gaps in their sequence numbers (lost).
struct Progress {
  uint32_t pass = 0;
  uint64_t received = 0;
  uint64_t lost = 0;
  bool operator==(const Progress&) const = default;
};

/// Server -> clients: pass `pass` is over; report.
struct PassEnd {
  uint32_t pass = 0;
  bool operator==(const PassEnd&) const = default;
};

/// Client -> server, while and once it has scanned its disk (and again after
/// a reconnect), before the server plans its first pass for it: the chunks
/// already correct there, which no pass needs to send it.
struct Have {
  Bytes chunks;  // a HaveSet's bytes (core/have_set.h): one bit per chunk index
  // The scan frontier: chunks [0, scanned) are decided, no bit at or past it
  // is set. Absent: the scan is complete (as from clients before it existed).
  std::optional<uint32_t> scanned;
  bool operator==(const Have&) const = default;
};

/// Client -> server: the disk is written and re-read; its image digest.
struct Done {
  std::string digest;    // 32 hex digits
  uint64_t reused = 0;   // chunks found correct on the disk and not written
  uint64_t written = 0;  // chunks written
  bool operator==(const Done&) const = default;
};

/// Either way: a fatal problem, one line.
struct Error {
  std::string message;
  bool operator==(const Error&) const = default;
};

/// Server -> client: the deployment is over for this node.
struct Release {
  std::string action;  // "exit", "reboot", "poweroff"
  bool operator==(const Release&) const = default;
};

/// One file of a node's answers: a path relative to the answer set
/// ("sysprep.inf", "nocloud/user-data", "drivers/lsi/symmpi.inf") and its bytes.
struct AnswerFile {
  std::string path;
  Bytes data;
  bool operator==(const AnswerFile&) const = default;
};

/// Server -> one client, on its own connection only (answer files carry
/// passwords): what to write into the new system after the verified copy.
struct Identity {
  std::string hostname;
  std::vector<AnswerFile> files;
  // With serve --tokens: the token this client's next hello (a reconnect)
  // must carry; the one it came with is spent.
  std::string next_token = {};
  bool operator==(const Identity&) const = default;
};

/// Server -> client, in answer to hello when the server runs a netcheck
/// (docs/protocol.md, "Netcheck"): the test traffic's group and key, and the
/// steps it will send. The client joins and answers `netcheck_ready`.
struct Netcheck {
  uint32_t session = 0;  // the probe datagrams' session id
  std::string group;
  uint16_t port = 0;
  wire::DataKey data_key{};     // seals the probe datagrams
  std::vector<uint64_t> rates;  // each step's offered rate, wire bits per second
  std::vector<uint32_t> sizes;  // each step's datagram bytes (a jumbo step's are larger)
  bool operator==(const Netcheck&) const = default;
};

/// Client -> server: joined the netcheck's group; send when all are.
struct NetcheckReady {
  bool operator==(const NetcheckReady&) const = default;
};

/// Server -> clients: the test traffic is over; how many datagrams each
/// step sent. The client answers `netcheck_report`.
struct NetcheckEnd {
  std::vector<uint64_t> sent;
  bool operator==(const NetcheckEnd&) const = default;
};

/// Client -> server: what arrived in each step, and what it saw of its
/// segment (optional fields: a report from an older client has none).
struct NetcheckReport {
  std::vector<netcheck::StepStats> steps;
  netcheck::ReceiverHealth health = {};
  bool operator==(const NetcheckReport&) const = default;
};

using Message = std::variant<Hello, Session, Report, PassEnd, Done, Error, Release, Progress,
                             Identity, Have, Netcheck, NetcheckReady, NetcheckEnd, NetcheckReport>;

/// The CBOR body of m.
Bytes EncodeBody(const Message& m);
/// Appends the length-prefixed CBOR frame of m.
void AppendFrame(const Message& m, Bytes* out);
/// Decodes one frame body (without its length prefix).
Result<Message> DecodeBody(ByteView body);
/// The type name of a message, for logs: "hello", "report", ...
std::string TypeName(const Message& m);

}  // namespace fleetcast::control

#endif  // FLEETCAST_CORE_CONTROL_MESSAGE_H_
