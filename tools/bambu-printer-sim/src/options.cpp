#include "options.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace bambusim {
namespace {

int64_t parseInt(const std::string& option, const std::string& value, int64_t min, int64_t max) {
  size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(value, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || parsed < min || parsed > max) {
    throw std::invalid_argument(option + " needs an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got '" + value + "'");
  }
  return parsed;
}

double parseSeconds(const std::string& option, const std::string& value) {
  size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || !(parsed > 0) || parsed > 7 * 24 * 3600) {
    throw std::invalid_argument(option + " needs a positive number of seconds, got '" + value + "'");
  }
  return parsed;
}

double parseScale(const std::string& option, const std::string& value) {
  size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || !(parsed >= 1e-6) || parsed > 1000) {
    throw std::invalid_argument(option + " needs a number from 0.000001 to 1000, got '" + value + "'");
  }
  return parsed;
}

// Bambu serials are 15 characters; the index fills whatever the prefix leaves (at least 4 digits).
std::string makeSerial(const std::string& prefix, int64_t index) {
  std::string digits = std::to_string(index);
  size_t width = prefix.size() < 11 ? 15 - prefix.size() : 4;
  if (digits.size() < width) {
    digits.insert(0, width - digits.size(), '0');
  }
  return prefix + digits;
}

void checkSerial(const std::string& serial) {
  if (serial.empty() || serial.size() > 64) {
    throw std::invalid_argument("a serial must have 1 to 64 characters");
  }
  for (char c : serial) {
    // It becomes part of MQTT topics and of stdout event lines.
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) {
      throw std::invalid_argument("serial '" + serial + "' may only contain letters, digits, '-' and '_'");
    }
  }
}

} // namespace

std::string usage() {
  return "usage: bambu_printer_sim --port N (--cafile CA.pem | --insecure) [--password CODE]\n"
         "                         (--serial S | --count N [--serial-prefix P]) [options]\n"
         "  --host H             broker host (default 127.0.0.1)\n"
         "  --user U             MQTT user (default bblp)\n"
         "  --password CODE      access code; default: $BAMBU_SIM_PASSWORD\n"
         "  --serial S           one printer with serial S (repeatable)\n"
         "  --count N            N printers named <prefix><index> (15 characters)\n"
         "  --serial-prefix P    prefix for --count (default SIM)\n"
         "  --model M            fixture set: x1c (default), a1, a1mini\n"
         "  --interval-ms MS     delta report period (default 1000)\n"
         "  --fixture-dir DIR    read <model>-pushall-idle.json and <model>-get-version.json from DIR\n"
         "  --job-duration-s S   length of jobs started by an MQTT project_file request (default 60);\n"
         "                       with --storage-dir: only for a plate without a predicted time\n"
         "  --storage-dir DIR    each printer's storage is DIR/<serial>/ (cache/ inside, created);\n"
         "                       project_file then prints the 3MF it names from there\n"
         "  --time-scale F       real seconds per printed second for plates with a predicted time\n"
         "                       (default 1; 0.01 prints a 1 h plate in 36 s)\n"
         "  --verbose            print a `report` event line for every published report\n"
         "  --trace              periodic reports carry layer_num = a per-printer counter; print\n"
         "                       `sent <serial> <layer_num> <CLOCK_REALTIME us>` for each\n"
         "stdin: start <file> <duration_s> [total_layers] [prepare_s]\n"
         "       | start <serial> [<3mf path> [plate]] (with --storage-dir) | pause_error [code] | fail "
         "[code]\n"
         "       | hms <attr> <code> | clear_hms | silence on|off | pushall | stats | quit\n"
         "       (prefix a line with @SERIAL to address one printer)\n";
}

bool parseOptions(int argc, char** argv, Options& out) {
  int64_t count = 0;
  std::string prefix = "SIM";
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        throw std::invalid_argument(arg + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage().c_str(), stdout);
      return false;
    } else if (arg == "--host") {
      out.host = value();
    } else if (arg == "--port") {
      out.port = static_cast<int>(parseInt(arg, value(), 1, 65535));
      have_port = true;
    } else if (arg == "--cafile") {
      out.ca_file = value();
    } else if (arg == "--insecure") {
      out.insecure = true;
    } else if (arg == "--user") {
      out.user = value();
    } else if (arg == "--password") {
      out.password = value();
    } else if (arg == "--serial") {
      out.serials.push_back(value());
    } else if (arg == "--count") {
      count = parseInt(arg, value(), 1, 100000);
    } else if (arg == "--serial-prefix") {
      prefix = value();
    } else if (arg == "--model") {
      out.model = value();
    } else if (arg == "--interval-ms") {
      out.interval_ms = parseInt(arg, value(), 10, 3600 * 1000);
    } else if (arg == "--fixture-dir") {
      out.fixture_dir = value();
    } else if (arg == "--job-duration-s") {
      out.job_duration_s = parseSeconds(arg, value());
    } else if (arg == "--storage-dir") {
      out.storage_dir = value();
      if (out.storage_dir.empty()) {
        throw std::invalid_argument("--storage-dir needs a directory");
      }
    } else if (arg == "--time-scale") {
      out.time_scale = parseScale(arg, value());
    } else if (arg == "--verbose") {
      out.verbose = true;
    } else if (arg == "--trace") {
      out.trace = true;
    } else {
      throw std::invalid_argument("unknown option '" + arg + "'");
    }
  }
  if (!have_port) {
    throw std::invalid_argument("--port is required");
  }
  if (out.ca_file.empty() == !out.insecure) {
    throw std::invalid_argument("give exactly one of --cafile and --insecure");
  }
  if (count > 0 && !out.serials.empty()) {
    throw std::invalid_argument("give either --serial or --count, not both");
  }
  for (int64_t i = 1; i <= count; ++i) {
    out.serials.push_back(makeSerial(prefix, i));
  }
  if (out.serials.empty()) {
    throw std::invalid_argument("give --serial S or --count N");
  }
  for (const auto& s : out.serials) {
    checkSerial(s);
  }
  if (out.password.empty()) {
    const char* env = std::getenv("BAMBU_SIM_PASSWORD");
    out.password = env != nullptr ? env : "";
  }
  if (out.password.empty()) {
    throw std::invalid_argument("no password: give --password or set BAMBU_SIM_PASSWORD");
  }
  if (out.model.empty() || out.model.find('/') != std::string::npos) {
    throw std::invalid_argument("--model must be a plain name such as x1c");
  }
  return true;
}

} // namespace bambusim
