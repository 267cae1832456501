// ScanFrontier: how far the clients' disk scans have got, so the server can
// stream the first pass while they scan (docs/protocol.md, "A deployment").
// Each client scanning sends `have` messages with its frontier: chunks below
// it are decided (held or not), and chunk c may be planned once every
// client's frontier is past it. The first pass follows the lowest frontier;
// TakeSendable hands out each chunk range once.
//
// Only clients added before the first pass starts are waited for: a client
// joining later is planned as holding nothing past its frontier, as is any
// client still scanning when Expire is called (the have timeout).
// Pure value type; the caller serialises access.
#ifndef FLEETCAST_CORE_SCAN_FRONTIER_H_
#define FLEETCAST_CORE_SCAN_FRONTIER_H_

#include <cstdint>
#include <map>
#include <string>

namespace fleetcast {

class ScanFrontier {
 public:
  /// A half-open range of chunk indices [begin, end).
  struct Range {
    uint32_t begin = 0;
    uint32_t end = 0;
    bool empty() const { return begin >= end; }
    bool operator==(const Range&) const = default;
  };

  explicit ScanFrontier(uint32_t chunk_count = 0) : chunk_count_(chunk_count) {}

  /// A client that starts scanning: nothing of its disk is decided yet.
  /// Adding it again (it reconnected) starts it over.
  void Add(const std::string& client);
  /// A client gone: it holds the others back no longer.
  void Remove(const std::string& client);
  /// A client's `have` with chunks [0, scanned) decided; a complete `have`
  /// is scanned = chunk_count. A frontier never moves back; a client not
  /// added is ignored.
  void Advance(const std::string& client, uint32_t scanned);
  /// Stops waiting: every client still scanning counts as done scanning.
  void Expire();

  /// The lowest frontier of the clients (chunk_count if none scans).
  uint32_t frontier() const;
  /// True when every chunk is decided for every client.
  bool complete() const { return frontier() >= chunk_count_; }
  /// Clients still scanning.
  size_t scanning() const;
  /// The chunks decided for every client and not handed out before; the
  /// next call starts where this range ends.
  Range TakeSendable();

 private:
  uint32_t chunk_count_;
  std::map<std::string, uint32_t> frontiers_;
  uint32_t taken_ = 0;  // chunks [0, taken_) were handed out
};

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_SCAN_FRONTIER_H_
