// The HMS text table compiled into the plugin: its shape, and look-ups by code and model.
#include "bambu_test_util.h"

#include "hms_table.h"

#include <regex>
#include <set>
#include <tuple>

namespace bambuddy::printer_bambu::test {
namespace hms_table_test {

struct Line {
  std::string code, models, text;
};

// The table's entry lines (comments left out), split at the tabs.
std::vector<Line> entryLines(std::string_view text) {
  std::vector<Line> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t t1 = line.find('\t');
    size_t t2 = line.find('\t', t1 + 1);
    EXPECT_NE(t2, std::string::npos) << line;
    if (t2 == std::string::npos) {
      continue;
    }
    out.push_back({line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)});
  }
  return out;
}

TEST(BambuHmsTable, EmbeddedTextIsTheCommittedFile) {
  EXPECT_EQ(std::string(embeddedHmsTableText()),
            readText(std::string(PRINTER_BAMBU_SCHEMA_DIR) + "/../data/hms_en.tsv"));
}

TEST(BambuHmsTable, EmbeddedTableIsSortedWithoutDuplicatesAndEveryLineIndexed) {
  const std::vector<Line> lines = entryLines(embeddedHmsTableText());
  const HmsTable& table = HmsTable::builtin();
  EXPECT_EQ(table.skippedLines(), 0u);
  EXPECT_EQ(table.size(), lines.size());

  // The header counts both kinds; the lines must agree with it.
  size_t print_errors = 0, hms = 0;
  for (const Line& l : lines) {
    (l.code.size() == 9 ? print_errors : hms) += 1;
  }
  const std::string header =
      "# Entries: " + std::to_string(print_errors) + " print_error, " + std::to_string(hms) + " HMS\n";
  EXPECT_NE(std::string(embeddedHmsTableText()).find(header), std::string::npos) << header;
  // Bambu's list had 946 print_error and 4998 HMS codes when the table was made: a table much
  // smaller than that is a broken conversion.
  EXPECT_GT(print_errors, 900u);
  EXPECT_GT(hms, 4900u);

  const std::regex code_re("^[0-9A-F]{4}_[0-9A-F]{4}(_[0-9A-F]{4}_[0-9A-F]{4})?$");
  const std::regex models_re("^(\\*|[A-Z0-9]+(,[A-Z0-9]+)*)$");
  std::set<std::string> with_generic;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    SCOPED_TRACE(l.code + " " + l.models);
    EXPECT_TRUE(std::regex_match(l.code, code_re));
    EXPECT_TRUE(std::regex_match(l.models, models_re));
    EXPECT_FALSE(l.text.empty());
    EXPECT_EQ(l.text.find_first_of("\t\r"), std::string::npos);
    EXPECT_TRUE(!l.text.empty() && l.text.front() != ' ' && l.text.back() != ' ') << "untrimmed";
    if (l.models == "*") {
      EXPECT_TRUE(with_generic.insert(l.code).second) << "two generic texts";
    }
    if (i > 0) {
      const Line& p = lines[i - 1];
      // print_error codes first, then HMS; by code; the generic text before model-specific ones.
      auto key = [](const Line& x) {
        return std::make_tuple(x.code.size(), x.code, x.models != "*", x.models);
      };
      EXPECT_LT(key(p), key(l)) << "not sorted, or a duplicate";
    }
  }
  // Almost every code has a text for every model; the few without one have a model-specific text.
  EXPECT_GT(with_generic.size(), lines.size() - 200);
}

TEST(BambuHmsTable, KnownCodesGiveBambusText) {
  const HmsTable& t = HmsTable::builtin();
  EXPECT_EQ(
      t.hmsText(0x05000500u, 0x00010007u),
      "MQTT Command verification failed. Please update Studio (including the network plugin) or Handy to "
      "the latest version, then restart the software and try again.");
  EXPECT_EQ(t.hmsText(0x05010400u, 0x00030002u), "Threaded rods need lubrication now.");
  EXPECT_EQ(t.hmsText(0x05000400u, 0x00030057u),
            "The print job has been completed. Automatic air purification is in progress.");
  EXPECT_EQ(t.hmsText(0x03000100u, 0x00010007u),
            "The heatbed temperature is abnormal; the sensor may have an open circuit.");
  EXPECT_EQ(t.printErrorText(0x0300400Cu), "The task was canceled.");
  EXPECT_EQ(t.printErrorText(0x03004006u), "The nozzle is clogged.");
  EXPECT_EQ(t.printErrorText(0x07008004u),
            "AMS failed to pull back filament. This could be due to a stuck spool or "
            "the end of the filament being stuck in the path.");
}

TEST(BambuHmsTable, UnknownCodesHaveNoText) {
  const HmsTable& t = HmsTable::builtin();
  // Seen on P2S and X2D printers; Bambu's list has the code with an empty text.
  EXPECT_EQ(t.hmsText(0x05000600u, 0x00020070u), std::nullopt);
  EXPECT_EQ(t.hmsText(0u, 0u), std::nullopt);
  EXPECT_EQ(t.hmsText(0xFFFFFFFFu, 0xFFFFFFFFu), std::nullopt);
  EXPECT_EQ(t.printErrorText(0u), std::nullopt);
  EXPECT_EQ(t.printErrorText(0xFFFFFFFFu), std::nullopt);
  // The two kinds never mix: an HMS code's halves are not a print_error code.
  EXPECT_EQ(t.printErrorText(0x05000500u), std::nullopt);
  EXPECT_EQ(t.hmsText(0u, 0x0300400Cu), std::nullopt);
}

TEST(BambuHmsTable, ModelSpecificTextsWinForTheirModelOnly) {
  const HmsTable& t = HmsTable::builtin();
  const std::string generic = "The nozzle temperature is abnormal; the heater may have a short circuit.";
  const std::string h2d = "The right nozzle temperature is abnormal; the heater may have a short circuit.";
  EXPECT_EQ(t.hmsText(0x03000200u, 0x00010001u), generic);
  EXPECT_EQ(t.hmsText(0x03000200u, 0x00010001u, "P1S"), generic);
  EXPECT_EQ(t.hmsText(0x03000200u, 0x00010001u, "H2D"), h2d);
  EXPECT_EQ(t.hmsText(0x03000200u, 0x00010001u, "h2d"), h2d);
  // A print_error code with a text for three models (USB drive instead of MicroSD card).
  EXPECT_EQ(t.printErrorText(0x0500C010u, "X1-Carbon"),
            "MicroSD Card read/write exception: please reinsert or replace the MicroSD Card.");
  EXPECT_EQ(t.printErrorText(0x0500C010u, "P2S"),
            "USB flash drive read-write exception; please reinsert or replace it.");
  // A text for other models only is no text: 0500_C011 is about the P1P's and P1S's SD card.
  EXPECT_EQ(
      t.printErrorText(0x0500C011u, "P1S"),
      "SD card performance has degraded, which may affect printing, logging, and video. Try formatting it. "
      "If issues persist, please replace the SD card.");
  EXPECT_EQ(t.printErrorText(0x0500C011u, "X1-Carbon"), std::nullopt);
  EXPECT_EQ(t.printErrorText(0x0500C011u), std::nullopt);
  // The status says "A1 mini"; the table says A1MINI.
  EXPECT_EQ(normalizeModel("A1 mini"), "A1MINI");
  EXPECT_EQ(normalizeModel("X1-Carbon"), "X1CARBON");
  EXPECT_NE(t.hmsText(0x03001100u, 0x00020002u, "A1 mini"), t.hmsText(0x03001100u, 0x00020002u, "X1-Carbon"));
  EXPECT_EQ(t.hmsText(0x03001100u, 0x00020002u, "A1 mini"), t.hmsText(0x03001100u, 0x00020002u, "A1"));
}

TEST(BambuHmsTable, AHandWrittenTableIsSortedOnLoadAndBadLinesAreSkipped) {
  const std::string text = "# comment\n"
                           "0300_0100_0001_0007\tH2D\tright\n"
                           "0300_0100_0001_0007\t*\tgeneric\n"
                           "0300_400C\t*\tcancelled\n"
                           "0300_400c\t*\tlower-case hex\n"
                           "0300_0100_0001\t*\tthree groups\n"
                           "0300_400D\t*\t\n"
                           "0300_400E\tno text field\n"
                           "03004010\t*\tno underscore\n"
                           "\n"
                           "0100_0000_0000_0001\t*\tlast line without newline";
  HmsTable t(text);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.skippedLines(), 5u);
  EXPECT_EQ(t.hmsText(0x03000100u, 0x00010007u), "generic");
  EXPECT_EQ(t.hmsText(0x03000100u, 0x00010007u, "H2D"), "right");
  EXPECT_EQ(t.hmsText(0x01000000u, 0x00000001u), "last line without newline");
  EXPECT_EQ(t.printErrorText(0x0300400Cu), "cancelled");
  EXPECT_EQ(t.printErrorText(0x0300400Du), std::nullopt);
  HmsTable empty("");
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.hmsText(0x03000100u, 0x00010007u), std::nullopt);
}

} // namespace hms_table_test
} // namespace bambuddy::printer_bambu::test
