#include "core/control_message.h"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <variant>

namespace fleetcast::control {

namespace {

using nlohmann::json;

json ToJson(const Hello& m) {
  return {{"type", "hello"}, {"node", m.node}, {"version", m.version}, {"token", m.token}};
}
json ToJson(const Session& m) {
  return {{"type", "session"},
          {"session", m.session},
          {"group", m.group},
          {"port", m.port},
          {"shard_size", m.shard_size},
          {"max_data_shards", m.max_data_shards},
          {"manifest", json::binary(m.manifest)},
          {"data_key", json::binary(Bytes(m.data_key.begin(), m.data_key.end()))},
          {"encrypt", m.encrypt}};
}
json ToJson(const Report& m) {
  std::vector<uint32_t> flat;
  flat.reserve(m.needs.size() * 3);
  for (const BlockNeed& n : m.needs) {
    flat.insert(flat.end(), {n.chunk, n.block, n.missing});
  }
  return {{"type", "report"},
          {"pass", m.pass},
          {"needs", flat},
          {"chunks_done", m.chunks_done},
          {"datagrams", m.datagrams},
          {"rejected", m.rejected},
          {"forged", m.forged}};
}
json ToJson(const Progress& m) {
  return {{"type", "progress"}, {"pass", m.pass}, {"received", m.received}, {"lost", m.lost}};
}
json ToJson(const PassEnd& m) { return {{"type", "pass_end"}, {"pass", m.pass}}; }
json ToJson(const Have& m) {
  json j = {{"type", "have"}, {"chunks", json::binary(m.chunks)}};
  if (m.scanned) j["scanned"] = *m.scanned;
  return j;
}
json ToJson(const Done& m) {
  return {{"type", "done"}, {"digest", m.digest}, {"reused", m.reused}, {"written", m.written}};
}
json ToJson(const Error& m) { return {{"type", "error"}, {"message", m.message}}; }
json ToJson(const Release& m) { return {{"type", "release"}, {"action", m.action}}; }
json ToJson(const Identity& m) {
  json files = json::array();
  for (const AnswerFile& f : m.files) files.push_back({f.path, json::binary(f.data)});
  return {{"type", "identity"},
          {"hostname", m.hostname},
          {"files", files},
          {"next_token", m.next_token}};
}
json ToJson(const Netcheck& m) {
  return {{"type", "netcheck"},
          {"session", m.session},
          {"group", m.group},
          {"port", m.port},
          {"data_key", json::binary(Bytes(m.data_key.begin(), m.data_key.end()))},
          {"rates", m.rates},
          {"sizes", m.sizes}};
}
json ToJson(const NetcheckReady&) { return {{"type", "netcheck_ready"}}; }
json ToJson(const NetcheckEnd& m) { return {{"type", "netcheck_end"}, {"sent", m.sent}}; }
json ToJson(const NetcheckReport& m) {
  std::vector<uint64_t> flat;
  for (const netcheck::StepStats& s : m.steps) {
    flat.insert(flat.end(), {s.sent, s.received, s.longest_burst, s.reordered, s.duplicates,
                             s.rate_bits, s.jitter_ns});
  }
  const netcheck::ReceiverHealth& h = m.health;
  return {{"type", "netcheck_report"},
          {"steps", flat},
          {"querier", static_cast<uint8_t>(h.querier)},
          {"querier_address", h.querier_address},
          {"listened_ms", h.listened_ms},
          {"interface", h.interface},
          {"mtu", h.mtu}};
}

// Reads a field of the right type, or records which one was wrong.
class Fields {
 public:
  explicit Fields(const json& j) : j_(j) {}

  template <typename T>
  T Unsigned(const char* key) {
    const auto it = j_.find(key);
    if (it == j_.end() || !it->is_number_unsigned() || it->get<uint64_t>() > T(~T{0})) {
      Fail(key);
      return T{};
    }
    return static_cast<T>(it->get<uint64_t>());
  }
  // Fields added after a message's first version: absent is `fallback`.
  template <typename T>
  T OptionalUnsigned(const char* key, T fallback) {
    return j_.contains(key) ? Unsigned<T>(key) : fallback;
  }
  std::string OptionalString(const char* key) { return j_.contains(key) ? String(key) : ""; }
  // A field whose absence means something of its own.
  template <typename T>
  std::optional<T> OptionalUnsigned(const char* key) {
    if (!j_.contains(key)) return std::nullopt;
    return Unsigned<T>(key);
  }
  std::string String(const char* key) {
    const auto it = j_.find(key);
    if (it == j_.end() || !it->is_string()) {
      Fail(key);
      return {};
    }
    return it->get<std::string>();
  }
  Bytes Binary(const char* key) {
    const auto it = j_.find(key);
    if (it == j_.end() || !it->is_binary()) {
      Fail(key);
      return {};
    }
    return it->get_binary();
  }
  bool Bool(const char* key) {
    const auto it = j_.find(key);
    if (it == j_.end() || !it->is_boolean()) {
      Fail(key);
      return false;
    }
    return it->get<bool>();
  }
  wire::DataKey Key(const char* key) {
    const Bytes b = Binary(key);
    wire::DataKey k{};
    if (b.size() != k.size()) {
      Fail(key);
      return k;
    }
    std::copy(b.begin(), b.end(), k.begin());
    return k;
  }
  std::vector<BlockNeed> Needs(const char* key) {
    const auto it = j_.find(key);
    std::vector<BlockNeed> needs;
    if (it == j_.end() || !it->is_array() || it->size() % 3 != 0) {
      Fail(key);
      return needs;
    }
    for (size_t i = 0; i < it->size(); i += 3) {
      const json& c = (*it)[i];
      const json& b = (*it)[i + 1];
      const json& m = (*it)[i + 2];
      if (!c.is_number_unsigned() || !b.is_number_unsigned() || !m.is_number_unsigned() ||
          c.get<uint64_t>() > UINT32_MAX || b.get<uint64_t>() > UINT16_MAX ||
          m.get<uint64_t>() > UINT16_MAX) {
        Fail(key);
        return {};
      }
      needs.push_back({static_cast<uint32_t>(c.get<uint64_t>()),
                       static_cast<uint16_t>(b.get<uint64_t>()),
                       static_cast<uint16_t>(m.get<uint64_t>())});
    }
    return needs;
  }
  std::vector<AnswerFile> Files(const char* key) {
    const auto it = j_.find(key);
    std::vector<AnswerFile> files;
    if (it == j_.end() || !it->is_array()) {
      Fail(key);
      return files;
    }
    for (const json& pair : *it) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_binary()) {
        Fail(key);
        return {};
      }
      files.push_back({pair[0].get<std::string>(), pair[1].get_binary()});
    }
    return files;
  }
  template <typename T>
  std::vector<T> Unsigneds(const char* key) {
    const auto it = j_.find(key);
    std::vector<T> out;
    if (it == j_.end() || !it->is_array()) {
      Fail(key);
      return out;
    }
    for (const json& v : *it) {
      if (!v.is_number_unsigned() || v.get<uint64_t>() > T(~T{0})) {
        Fail(key);
        return {};
      }
      out.push_back(static_cast<T>(v.get<uint64_t>()));
    }
    return out;
  }
  // netcheck_report's steps: 7 numbers per step, in StepStats's order.
  std::vector<netcheck::StepStats> Steps(const char* key) {
    const std::vector<uint64_t> flat = Unsigneds<uint64_t>(key);
    std::vector<netcheck::StepStats> steps;
    if (flat.size() % 7 != 0) {
      Fail(key);
      return steps;
    }
    for (size_t i = 0; i < flat.size(); i += 7) {
      steps.push_back(
          {flat[i], flat[i + 1], flat[i + 2], flat[i + 3], flat[i + 4], flat[i + 5], flat[i + 6]});
    }
    return steps;
  }
  const Status& status() const { return status_; }

 private:
  void Fail(const char* key) {
    if (status_.ok())
      status_ = Status::Corruption(std::string("control message: bad field '") + key + "'");
  }

  const json& j_;
  Status status_;
};

// netcheck_report's optional health fields; a querier state this build
// does not know (a newer client's) reads as unknown.
netcheck::ReceiverHealth Health(Fields* f) {
  netcheck::ReceiverHealth h;
  const auto querier = f->OptionalUnsigned<uint8_t>("querier", 0);
  if (querier <= static_cast<uint8_t>(netcheck::Querier::kNoAccess)) {
    h.querier = static_cast<netcheck::Querier>(querier);
  }
  h.querier_address = f->OptionalString("querier_address");
  h.listened_ms = f->OptionalUnsigned<uint32_t>("listened_ms", 0);
  h.interface = f->OptionalString("interface");
  h.mtu = f->OptionalUnsigned<uint32_t>("mtu", 0);
  return h;
}

Result<Message> FromJson(const json& j) {
  Fields f(j);
  const std::string type = f.String("type");
  Message m;
  if (type == "hello") {
    m = Hello{f.String("node"), f.Unsigned<uint32_t>("version"), f.String("token")};
  } else if (type == "session") {
    m = Session{f.Unsigned<uint32_t>("session"),
                f.String("group"),
                f.Unsigned<uint16_t>("port"),
                f.Unsigned<uint32_t>("shard_size"),
                f.Unsigned<uint32_t>("max_data_shards"),
                f.Binary("manifest"),
                f.Key("data_key"),
                f.Bool("encrypt")};
  } else if (type == "report") {
    m = Report{f.Unsigned<uint32_t>("pass"),        f.Needs("needs"),
               f.Unsigned<uint64_t>("chunks_done"), f.Unsigned<uint64_t>("datagrams"),
               f.Unsigned<uint64_t>("rejected"),    f.Unsigned<uint64_t>("forged")};
  } else if (type == "progress") {
    m = Progress{f.Unsigned<uint32_t>("pass"), f.Unsigned<uint64_t>("received"),
                 f.Unsigned<uint64_t>("lost")};
  } else if (type == "pass_end") {
    m = PassEnd{f.Unsigned<uint32_t>("pass")};
  } else if (type == "done") {
    m = Done{f.String("digest"), f.Unsigned<uint64_t>("reused"), f.Unsigned<uint64_t>("written")};
  } else if (type == "have") {
    m = Have{f.Binary("chunks"), f.OptionalUnsigned<uint32_t>("scanned")};
  } else if (type == "error") {
    m = Error{f.String("message")};
  } else if (type == "release") {
    m = Release{f.String("action")};
  } else if (type == "identity") {
    m = Identity{f.String("hostname"), f.Files("files"), f.String("next_token")};
  } else if (type == "netcheck") {
    m = Netcheck{f.Unsigned<uint32_t>("session"), f.String("group"),
                 f.Unsigned<uint16_t>("port"),    f.Key("data_key"),
                 f.Unsigneds<uint64_t>("rates"),  f.Unsigneds<uint32_t>("sizes")};
  } else if (type == "netcheck_ready") {
    m = NetcheckReady{};
  } else if (type == "netcheck_end") {
    m = NetcheckEnd{f.Unsigneds<uint64_t>("sent")};
  } else if (type == "netcheck_report") {
    m = NetcheckReport{f.Steps("steps"), Health(&f)};
  } else if (f.status().ok()) {
    return Status::Corruption("control message: unknown type '" + type + "'");
  }
  if (!f.status().ok()) return f.status();
  return m;
}

// nlohmann's DOM builder, refusing arrays and maps nested deeper than any
// message's (map, "files" array, [path, data] pair). Its CBOR reader recurses
// per level, so a body of a few hundred KB of nested arrays would otherwise
// overflow the stack of whoever reads the socket.
class BoundedDomParser : public nlohmann::detail::json_sax_dom_parser<json> {
 public:
  static constexpr int kMaxDepth = 8;

  explicit BoundedDomParser(json* result)
      : json_sax_dom_parser(*result, /*allow_exceptions_=*/false) {}

  bool start_object(size_t length) {
    return ++depth_ <= kMaxDepth && json_sax_dom_parser::start_object(length);
  }
  bool end_object() {
    --depth_;
    return json_sax_dom_parser::end_object();
  }
  bool start_array(size_t length) {
    return ++depth_ <= kMaxDepth && json_sax_dom_parser::start_array(length);
  }
  bool end_array() {
    --depth_;
    return json_sax_dom_parser::end_array();
  }

 private:
  int depth_ = 0;
};

// The body as a JSON value, or a discarded value if it is not CBOR or nests
// too deep. Even with exceptions off, the DOM builder throws when a CBOR
// header announces more elements than a container can hold ("excessive
// array size"); nothing may escape a decoder that reads the network.
json ParseBody(ByteView body) {
  json result;
  BoundedDomParser parser(&result);
  try {
    if (json::sax_parse(body.begin(), body.end(), &parser, json::input_format_t::cbor,
                        /*strict=*/true)) {
      return result;
    }
  } catch (const json::exception&) {
  }
  return json(json::value_t::discarded);
}

}  // namespace

Bytes EncodeBody(const Message& m) {
  return json::to_cbor(std::visit([](const auto& v) { return ToJson(v); }, m));
}

void AppendFrame(const Message& m, Bytes* out) {
  const Bytes body = EncodeBody(m);
  PutFixed32(out, static_cast<uint32_t>(body.size()));
  PutBytes(out, body);
}

Result<Message> DecodeBody(ByteView body) {
  const json j = ParseBody(body);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("control message: not a CBOR map");
  }
  return FromJson(j);
}

std::string TypeName(const Message& m) {
  static const char* const kNames[] = {
      "hello",    "session",        "report",       "pass_end",       "done",
      "error",    "release",        "progress",     "identity",       "have",
      "netcheck", "netcheck_ready", "netcheck_end", "netcheck_report"};
  static_assert(std::size(kNames) == std::variant_size_v<Message>);
  return kNames[m.index()];
}

}  // namespace fleetcast::control
