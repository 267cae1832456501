#include "core/inf_parser.h"

#include <gtest/gtest.h>

namespace fleetcast {
namespace {

using Values = std::vector<std::string>;

InfFile Parse(std::string_view text) {
  Result<InfFile> inf = ParseInf(text);
  EXPECT_TRUE(inf.ok()) << inf.status().ToString();
  return inf.ok() ? std::move(inf).value() : InfFile();
}

// The lines of a section as "key=v1|v2" strings, for whole-section asserts.
std::vector<std::string> Lines(const InfFile& inf, std::string_view section) {
  std::vector<std::string> out;
  const InfSection* s = inf.Section(section);
  if (s == nullptr) return {"<no section>"};
  for (const InfLine& line : s->lines) {
    std::string text = line.key + "=";
    for (size_t i = 0; i < line.values.size(); ++i) text += (i ? "|" : "") + line.values[i];
    out.push_back(text);
  }
  return out;
}

TEST(InfParser, KeysValuesAndBareLists) {
  const InfFile inf = Parse(
      "[Version]\r\n"
      "Signature=\"$Windows NT$\"\r\n"
      "Class = SCSIAdapter\r\n"
      "\r\n"
      "[symmpi_Files]\r\n"
      "symmpi.sys\r\n"
      "a ,  b c , ,d\r\n");
  EXPECT_EQ(Lines(inf, "Version"), (Values{"Signature=$Windows NT$", "Class=SCSIAdapter"}));
  EXPECT_EQ(Lines(inf, "symmpi_Files"), (Values{"=symmpi.sys", "=a|b c||d"}));
  EXPECT_EQ(inf.Section("Version")->lines[1].line_number, 3);
  EXPECT_EQ(inf.Section("symmpi_files")->ValueOf("missing"), "");
}

TEST(InfParser, QuotedStringsKeepCommasSemicolonsAndDoubledQuotes) {
  const InfFile inf = Parse(
      "[Strings]\n"
      "Disk = \"LSI Logic, Inc. \"\"Ultra320\"\" Disk; v1\"   ; the disk\n"
      "Spaced = \"  padded  \" , x\n"
      "Empty = \"\",\n"
      "Mixed = abc\"d,e\"f\n");
  EXPECT_EQ(Lines(inf, "Strings"), (Values{"Disk=LSI Logic, Inc. \"Ultra320\" Disk; v1",
                                           "Spaced=  padded  |x", "Empty=|", "Mixed=abcd,ef"}));
}

TEST(InfParser, CommentsAndBlankLinesAreSkipped) {
  const InfFile inf = Parse(
      "; written by hand\n"
      "\n"
      "[Manufacturer] ; who makes it\n"
      "   ; indented comment\n"
      "%LSI% = LSI, NTx86 ; decorated\n"
      "\t\n");
  EXPECT_EQ(Lines(inf, "Manufacturer"), (Values{"%LSI%=LSI|NTx86"}));
}

TEST(InfParser, TrailingBackslashContinuesTheLine) {
  const InfFile inf = Parse(
      "[LSI.NTx86]\n"
      "%Dev% = symmpi_Inst, PCI\\VEN_1000&DEV_0030, \\\n"
      "        PCI\\VEN_1000&DEV_0032 \\  ; comment after the backslash\n"
      "        , PCI\\VEN_1000&DEV_0050\n"
      "Path = \"\\\"\n"
      "Dir = a\\b\n");
  const InfSection* s = inf.Section("lsi.ntx86");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->lines.size(), 3u);
  EXPECT_EQ(s->lines[0].values, (Values{"symmpi_Inst", "PCI\\VEN_1000&DEV_0030",
                                        "PCI\\VEN_1000&DEV_0032", "PCI\\VEN_1000&DEV_0050"}));
  EXPECT_EQ(s->lines[0].line_number, 2);
  EXPECT_EQ(s->lines[1].values, Values{"\\"});  // a quoted backslash is a value
  EXPECT_EQ(s->lines[1].line_number, 5);
  EXPECT_EQ(s->lines[2].values, Values{"a\\b"});
}

TEST(InfParser, StringsAreSubstitutedInKeysAndValues) {
  const InfFile inf = Parse(
      "[Manufacturer]\n"
      "%LSI% = LSI\n"
      "[LSI]\n"
      "%DevDesc% = symmpi_Inst, %HwId%\n"
      "Binary = %12%\\symmpi.sys\n"
      "Ratio = 100%%, %unknown%, %lsi%-%LSI%\n"
      "[strings]\n"
      "lsi = \"LSI Logic\"\n"
      "DEVDESC = \"LSI Logic Ultra320 SCSI, PCI-X\"\n"
      "HwId = PCI\\VEN_1000&DEV_0030\n");
  EXPECT_EQ(Lines(inf, "Manufacturer"), (Values{"LSI Logic=LSI"}));
  EXPECT_EQ(Lines(inf, "LSI"),
            (Values{"LSI Logic Ultra320 SCSI, PCI-X=symmpi_Inst|PCI\\VEN_1000&DEV_0030",
                    "Binary=%12%\\symmpi.sys", "Ratio=100%|%unknown%|LSI Logic-LSI Logic"}));
  // [Strings] itself is left as written.
  EXPECT_EQ(inf.Section("Strings")->ValueOf("HWID"), "PCI\\VEN_1000&DEV_0030");
}

TEST(InfParser, LocalizedStringsFillGaps) {
  const InfFile inf = Parse(
      "[Models]\n"
      "%A% = a, %B%\n"
      "[Strings]\n"
      "A = plain\n"
      "[Strings.0409]\n"
      "A = localized\n"
      "B = only-here\n");
  EXPECT_EQ(Lines(inf, "Models"), (Values{"plain=a|only-here"}));
}

TEST(InfParser, SectionsCompareIgnoringCaseAndMerge) {
  const InfFile inf = Parse(
      "[SourceDisksNames]\n"
      "1 = \"Disk 1\"\n"
      "[Version]\n"
      "Class = SCSIAdapter\n"
      "[sourcedisksnames]\n"
      "2 = \"Disk 2\"\n");
  ASSERT_EQ(inf.sections().size(), 2u);
  EXPECT_EQ(inf.sections()[0].name, "SourceDisksNames");
  EXPECT_EQ(Lines(inf, "SOURCEDISKSNAMES"), (Values{"1=Disk 1", "2=Disk 2"}));
  EXPECT_EQ(inf.Section("version")->ValueOf("CLASS"), "SCSIAdapter");
  EXPECT_EQ(inf.Section("Strings"), nullptr);
}

std::string Utf16Le(std::u16string_view text) {
  std::string bytes = "\xFF\xFE";
  for (char16_t c : text) {
    bytes.push_back(static_cast<char>(c & 0xFF));
    bytes.push_back(static_cast<char>(c >> 8));
  }
  return bytes;
}

TEST(InfParser, Utf16LeWithBomIsConvertedToUtf8) {
  const InfFile inf =
      Parse(Utf16Le(u"[Version]\r\nProvider = %Mfg%\r\n[Strings]\r\nMfg = \"Soci\u00e9t\u00e9 "
                    u"\u6771\u829d \U0001F4BE\"\r\n"));
  EXPECT_EQ(inf.Section("Version")->ValueOf("Provider"),
            "Soci\xC3\xA9t\xC3\xA9 \xE6\x9D\xB1\xE8\x8A\x9D \xF0\x9F\x92\xBE");
}

TEST(InfParser, Utf8BomIsSkippedAndCtrlZEndsTheFile) {
  const InfFile inf = Parse("\xEF\xBB\xBF[Version]\nClass=HDC\n\x1A garbage");
  EXPECT_EQ(Lines(inf, "Version"), (Values{"Class=HDC"}));
}

TEST(InfParser, Errors) {
  EXPECT_EQ(ParseInf("[Version]\nClass=x\n[Manufacturer\n").status().message(),
            "line 3: section header '[Manufacturer' has no closing ']'; add the ']'");
  EXPECT_EQ(ParseInf("; ok\nClass=x\n[Version]\n").status().message(),
            "line 2: text before the first [section]; remove it or add a header");
  EXPECT_EQ(ParseInf(std::string("\xFF\xFE[\0V", 5)).status().message(),
            "UTF-16 text ends in half a character; save the file again as UTF-16 or UTF-8");
  EXPECT_EQ(ParseInf(std::string("\xFE\xFF\0[", 4)).status().message(),
            "UTF-16 big-endian text is not supported; save the file as UTF-16LE or UTF-8");
  EXPECT_EQ(ParseInf("[Version]\n").status().code(), Status::Code::kOk);
  EXPECT_TRUE(ParseInf("").ok());
}

}  // namespace
}  // namespace fleetcast
