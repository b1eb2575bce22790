#include "project_job.h"

#include "archives/three_mf.h"
#include "archives/zip_reader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <unistd.h>
#include <vector>

namespace bambusim {
namespace {

constexpr int kDefaultLayers = 50;
constexpr uint64_t kGcodeHeaderBytes = 64 * 1024;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string plateList(const bambuddy::archives::ThreeMfMetadata& metadata) {
  std::string list;
  for (const auto& plate : metadata.plates) {
    if (plate.gcode_entry) {
      list += (list.empty() ? "" : ", ") + std::to_string(plate.index);
    }
  }
  return list.empty() ? "none sliced" : list;
}

// Bambu Studio and OrcaSlicer write "; total layer number: 123" into the G-code's header block.
int layersFromGcode(const std::string& path, const std::string& gcode_entry) {
  try {
    bambuddy::archives::ZipReader zip(bambuddy::archives::ZipReader::FromFile{}, path);
    for (const auto& entry : zip.entries()) {
      if (entry.name != gcode_entry) {
        continue;
      }
      bool complete = false;
      const std::string head = zip.readPrefix(entry, kGcodeHeaderBytes, complete);
      const std::string key = "; total layer number:";
      size_t at = head.find(key);
      if (at == std::string::npos) {
        return kDefaultLayers;
      }
      size_t pos = at + key.size();
      while (pos < head.size() && head[pos] == ' ') {
        ++pos;
      }
      int layers = 0;
      size_t digits = 0;
      while (pos < head.size() && std::isdigit(static_cast<unsigned char>(head[pos])) && digits < 7) {
        layers = layers * 10 + (head[pos++] - '0');
        ++digits;
      }
      return layers >= 1 && layers <= 100000 ? layers : kDefaultLayers;
    }
  } catch (const std::exception&) {
    // The layer count is a nicety: a G-code the reader cannot open was refused earlier anyway.
  }
  return kDefaultLayers;
}

} // namespace

int plateFromParam(const std::string& param) {
  const std::string prefix = "Metadata/plate_";
  const std::string suffix = ".gcode";
  if (param.size() <= prefix.size() + suffix.size() || param.compare(0, prefix.size(), prefix) != 0 ||
      param.compare(param.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return 0;
  }
  const std::string digits = param.substr(prefix.size(), param.size() - prefix.size() - suffix.size());
  if (digits.empty() || digits.size() > 3 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return 0;
  }
  return std::stoi(digits);
}

std::string md5Hex(int fd) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_md5(), nullptr) != 1) {
    return {};
  }
  std::vector<unsigned char> buffer(1 << 16);
  off_t offset = 0;
  while (true) {
    ssize_t n = pread(fd, buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return {};
    }
    if (n == 0) {
      break;
    }
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(n));
    offset += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    return {};
  }
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::string loadProjectJob(const PrinterStorage& storage, const std::string& relative, int plate,
                           const std::string& md5, const JobTiming& timing, ProjectJob& out) {
  const std::string shown = "/" + relative;
  std::string reason;
  FileHandle file = storage.openFile(relative, reason);
  if (!file.valid()) {
    return reason;
  }
  if (!md5.empty()) {
    const std::string actual = md5Hex(file.fd());
    if (actual.empty()) {
      return "cannot read " + shown;
    }
    if (lowercase(md5) != actual) {
      return "md5 mismatch for " + shown + ": the file's is " + actual;
    }
  }
  // The core's reader opens a path; this one is the very file opened above, whatever happens to
  // the name meanwhile.
  const std::string fd_path = "/proc/self/fd/" + std::to_string(file.fd());
  bambuddy::archives::ThreeMfLimits limits;
  limits.max_file_bytes = kMaxStoredFileBytes;
  // The structure and every part read are checked; the MD5 covers the bytes. Decompressing all of
  // a large file here would stall every simulated printer (one thread runs them all).
  limits.verify_all_entries = false;
  bambuddy::archives::ThreeMfMetadata metadata;
  try {
    metadata = bambuddy::archives::parseThreeMfFile(fd_path, limits);
  } catch (const bambuddy::archives::ThreeMfError& e) {
    return "not a valid 3mf: " + shown + ": " + e.what();
  } catch (const std::exception& e) {
    return "cannot read " + shown;
  }
  auto found = std::find_if(metadata.plates.begin(), metadata.plates.end(),
                            [plate](const auto& p) { return p.index == plate; });
  if (found == metadata.plates.end() || !found->gcode_entry) {
    return "plate " + std::to_string(plate) + " is not in " + shown +
           " (sliced plates: " + plateList(metadata) + ")";
  }

  out = ProjectJob{};
  out.plate = plate;
  out.prediction_s = found->print_time_s;
  out.weight_g = found->weight_g;
  if (!out.weight_g) {
    double sum = 0;
    bool any = false;
    for (const auto& filament : found->filaments) {
      if (filament.used_g) {
        sum += *filament.used_g;
        any = true;
      }
    }
    if (any) {
      out.weight_g = sum;
    }
  }
  const size_t slash = relative.find_last_of('/');
  out.job.filename = slash == std::string::npos ? relative : relative.substr(slash + 1);
  // What printers report while printing a 3MF, LAN or cloud (X1C, H2D, P2S, X2D captures).
  out.job.gcode_file = "/data/" + *found->gcode_entry;
  out.job.total_layers = layersFromGcode(fd_path, *found->gcode_entry);
  if (out.prediction_s && *out.prediction_s > 0) {
    const double printed_s = static_cast<double>(*out.prediction_s);
    out.job.duration_s = printed_s * timing.time_scale;
    out.job.prepare_s = std::min(30.0, printed_s * 0.1) * timing.time_scale;
    out.job.report_scale = 1.0 / timing.time_scale;
  } else {
    out.job.duration_s = timing.fallback_duration_s;
  }
  return {};
}

} // namespace bambusim
