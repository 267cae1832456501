#include "core/inf_parser.h"

#include <cctype>
#include <map>
#include <utility>

namespace fleetcast {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Lone surrogates become U+FFFD rather than an error: Windows displays them
// and installs the driver anyway.
Result<std::string> Utf16LeToUtf8(std::string_view bytes) {
  if (bytes.size() % 2 != 0) {
    return Status::Corruption(
        "UTF-16 text ends in half a character; save the file again as UTF-16 or UTF-8");
  }
  auto unit = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[2 * i]) |
                                 static_cast<unsigned char>(bytes[2 * i + 1]) << 8);
  };
  std::string out;
  out.reserve(bytes.size() / 2);
  const size_t count = bytes.size() / 2;
  for (size_t i = 0; i < count; ++i) {
    uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < count && unit(i + 1) >= 0xDC00 &&
        unit(i + 1) < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(i + 1) - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    AppendUtf8(cp, &out);
  }
  return out;
}

// UTF-8 text, ANSI text, or UTF-16LE with a BOM, as UTF-8 (or ANSI) bytes. A
// Ctrl-Z ends the file, as in INFs written by DOS-era tools.
Result<std::string> DecodeText(std::string_view text) {
  std::string decoded;
  if (text.starts_with("\xFF\xFE")) {
    Result<std::string> utf8 = Utf16LeToUtf8(text.substr(2));
    if (!utf8.ok()) return utf8.status();
    decoded = std::move(*utf8);
  } else if (text.starts_with("\xFE\xFF")) {
    return Status::NotSupported(
        "UTF-16 big-endian text is not supported; save the file as UTF-16LE or UTF-8");
  } else if (text.starts_with("\xEF\xBB\xBF")) {
    decoded = text.substr(3);
  } else {
    decoded = text;
  }
  if (size_t eof = decoded.find('\x1A'); eof != std::string::npos) decoded.resize(eof);
  return decoded;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// True if nothing but spaces or a comment follows: a `\` there continues the line.
bool RestIsBlank(std::string_view rest) {
  rest = TrimLeft(rest);
  return rest.empty() || rest.front() == ';';
}

// Splits logical lines into key and fields. Unquoted spaces around a field
// are dropped, quoted ones kept; a line continued with `\` is fed in pieces.
class LineScanner {
 public:
  /// Scans one physical line; true if the logical line goes on in the next.
  bool Scan(std::string_view text);
  /// True if the logical line so far holds nothing (blank or comment only).
  bool blank() const { return !seen_; }
  /// The finished line; the scanner is ready for the next.
  InfLine Take(int line_number);

 private:
  void Append(char c, bool significant) {
    if (!significant && field_.empty()) return;
    field_.push_back(c);
    if (significant) keep_ = field_.size();
    seen_ = true;
  }
  std::string EndField() {
    field_.resize(keep_);
    keep_ = 0;
    return std::exchange(field_, {});
  }
  bool ScanUnquoted(std::string_view text, size_t i);

  std::string key_;
  bool has_key_ = false;
  std::vector<std::string> fields_;
  std::string field_;
  size_t keep_ = 0;  // field_'s length without its unquoted trailing spaces
  bool seen_ = false;
};

bool LineScanner::Scan(std::string_view text) {
  text = TrimLeft(text);
  bool quoted = false;  // an unclosed quote closes at the end of the physical line
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        Append(c, true);
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        Append('"', true);
        ++i;
      } else {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      seen_ = true;
      keep_ = field_.size();  // spaces before an opening quote are inside the field
    } else if (c == ';') {
      return false;
    } else if (c == '\\' && RestIsBlank(text.substr(i + 1))) {
      return true;
    } else if (!ScanUnquoted(text, i)) {
      Append(c, !IsSpace(c));
    }
  }
  return false;
}

// Handles `,` and the first `=`; false for an ordinary character.
bool LineScanner::ScanUnquoted(std::string_view text, size_t i) {
  if (text[i] == ',') {
    fields_.push_back(EndField());
  } else if (text[i] == '=' && !has_key_ && fields_.empty()) {
    key_ = EndField();
    has_key_ = true;
  } else {
    return false;
  }
  seen_ = true;
  return true;
}

InfLine LineScanner::Take(int line_number) {
  InfLine line;
  line.key = std::exchange(key_, {});
  fields_.push_back(EndField());
  line.values = std::exchange(fields_, {});
  line.line_number = line_number;
  has_key_ = false;
  seen_ = false;
  return line;
}

using StringTable = std::map<std::string, std::string>;  // upper-case key → text

bool IsLocalizedStrings(std::string_view name) {
  return name.size() > 8 && InfEqual(name.substr(0, 8), "Strings.");
}

// [Strings] first; a localized [Strings.0409] fills in what [Strings] lacks.
StringTable CollectStrings(const std::vector<InfSection>& sections) {
  StringTable table;
  for (int pass = 0; pass < 2; ++pass) {
    for (const InfSection& s : sections) {
      const bool plain = InfEqual(s.name, "Strings");
      const bool localized = IsLocalizedStrings(s.name);
      if ((pass == 0 && !plain) || (pass == 1 && !localized)) continue;
      for (const InfLine& line : s.lines) {
        std::string text;
        for (size_t i = 0; i < line.values.size(); ++i) {
          text += (i == 0 ? "" : ", ") + line.values[i];
        }
        table.emplace(Upper(line.key), std::move(text));
      }
    }
  }
  return table;
}

std::string Substitute(std::string_view s, const StringTable& strings) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = s.find('%', i);
    const size_t end = start == std::string_view::npos ? start : s.find('%', start + 1);
    if (end == std::string_view::npos) break;
    out += s.substr(i, start - i);
    const std::string_view token = s.substr(start + 1, end - start - 1);
    if (token.empty()) {
      out += '%';
    } else if (auto it = strings.find(Upper(token)); it != strings.end()) {
      out += it->second;
    } else {
      out += s.substr(start, end - start + 1);  // a dirid such as %12%, or not a token
    }
    i = end + 1;
  }
  out += s.substr(i);
  return out;
}

void SubstituteStrings(std::vector<InfSection>* sections) {
  const StringTable strings = CollectStrings(*sections);
  for (InfSection& s : *sections) {
    if (InfEqual(s.name, "Strings") || IsLocalizedStrings(s.name)) continue;
    for (InfLine& line : s.lines) {
      line.key = Substitute(line.key, strings);
      for (std::string& v : line.values) v = Substitute(v, strings);
    }
  }
}

Result<std::string> SectionName(std::string_view line, int number) {
  const size_t close = line.find(']');
  if (close == std::string_view::npos) {
    return Status::Corruption("line " + std::to_string(number) + ": section header '" +
                              std::string(Trim(line)) + "' has no closing ']'; add the ']'");
  }
  return std::string(Trim(line.substr(1, close - 1)));
}

}  // namespace

bool InfEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const std::string& InfLine::Value(size_t i) const {
  static const std::string kEmpty;
  return i < values.size() ? values[i] : kEmpty;
}

const InfLine* InfSection::Find(std::string_view key) const {
  for (const InfLine& line : lines) {
    if (InfEqual(line.key, key)) return &line;
  }
  return nullptr;
}

const std::string& InfSection::ValueOf(std::string_view key) const {
  static const std::string kEmpty;
  const InfLine* line = Find(key);
  return line == nullptr ? kEmpty : line->Value(0);
}

const InfSection* InfFile::Section(std::string_view name) const {
  for (const InfSection& s : sections_) {
    if (InfEqual(s.name, name)) return &s;
  }
  return nullptr;
}

InfSection* InfFile::MutableSection(std::string_view name) {
  for (InfSection& s : sections_) {
    if (InfEqual(s.name, name)) return &s;
  }
  sections_.push_back({std::string(name), {}});
  return &sections_.back();
}

Result<InfFile> ParseInf(std::string_view text) {
  Result<std::string> decoded = DecodeText(text);
  if (!decoded.ok()) return decoded.status();
  InfFile inf;
  InfSection* section = nullptr;  // only used until the next MutableSection
  LineScanner scanner;
  bool continuing = false;
  int first = 0;
  const std::vector<std::string_view> lines = SplitLines(*decoded);
  for (size_t i = 0; i <= lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    if (i < lines.size() && !continuing) first = number;
    if (i < lines.size() && !continuing && TrimLeft(lines[i]).starts_with('[')) {
      Result<std::string> name = SectionName(TrimLeft(lines[i]), number);
      if (!name.ok()) return name.status();
      section = inf.MutableSection(*name);
      continue;
    }
    continuing = i < lines.size() && scanner.Scan(lines[i]);
    if (continuing || scanner.blank()) continue;
    if (section == nullptr) {
      return Status::Corruption("line " + std::to_string(first) +
                                ": text before the first [section]; remove it or add a header");
    }
    section->lines.push_back(scanner.Take(first));
  }
  SubstituteStrings(&inf.sections_);
  return inf;
}

}  // namespace fleetcast
