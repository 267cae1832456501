// InfFile: a Windows setup information (.inf) file read the way SetupAPI reads
// it, for the parts fleetcast needs: sections, `key = value, value` lines and
// bare value lists, with [Strings] tokens already substituted. Used to find a
// driver's hardware IDs, service and source disk (core/mass_storage.h).
//
// Syntax accepted, as Windows accepts it: section names and keys are
// case-insensitive; `;` starts a comment outside quotes; "..." quotes a field,
// "" inside quotes is one "; an unquoted `\` last on a line (comments and
// spaces after it aside) joins the next line; sections of the same name are
// merged. %strkey% is replaced from [Strings] in keys and values (unknown
// tokens such as the dirid %12% stay as written; %% is a literal %). Text may
// be UTF-8 (BOM skipped), ANSI, or UTF-16LE with a BOM (converted to UTF-8).
// Immutable after ParseInf; safe to share between threads.
#ifndef FLEETCAST_CORE_INF_PARSER_H_
#define FLEETCAST_CORE_INF_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace fleetcast {

/// One logical line of a section, continuations joined.
struct InfLine {
  std::string key;                  // "" for a bare value list
  std::vector<std::string> values;  // unquoted and substituted; empty fields kept
  int line_number = 0;              // 1-based, of the line's first physical line

  /// values[i], or "" when the line has fewer fields.
  const std::string& Value(size_t i) const;
};

struct InfSection {
  std::string name;  // as first written
  std::vector<InfLine> lines;

  /// The first line whose key equals `key` ignoring case, or nullptr.
  const InfLine* Find(std::string_view key) const;
  /// That line's first value, or "" when there is no such line.
  const std::string& ValueOf(std::string_view key) const;
};

class InfFile {
 public:
  /// The section named `name` ignoring case, or nullptr.
  const InfSection* Section(std::string_view name) const;
  /// Sections in the order they first appear.
  const std::vector<InfSection>& sections() const { return sections_; }

 private:
  friend Result<InfFile> ParseInf(std::string_view text);
  InfSection* MutableSection(std::string_view name);

  std::vector<InfSection> sections_;
};

/// Parses a whole INF file. Fails (kCorruption, "line N: ...") on a section
/// header without `]`, text before the first section, or UTF-16 of an odd
/// length; kNotSupported for big-endian UTF-16. The caller adds the file name.
Result<InfFile> ParseInf(std::string_view text);

/// ASCII case-insensitive equality, as INF names compare.
bool InfEqual(std::string_view a, std::string_view b);

}  // namespace fleetcast

#endif  // FLEETCAST_CORE_INF_PARSER_H_
