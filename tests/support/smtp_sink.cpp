#include "support/smtp_sink.h"

#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

namespace bambuddy::testing {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

std::string smtpSinkScript() {
  return std::string(BAMBUDDY_SOURCE_DIR) + "/tests/support/smtp_sink.py";
}

std::vector<std::pair<std::string, std::string>> ReceivedMail::headers() const {
  std::vector<std::pair<std::string, std::string>> out;
  size_t end = data.find("\r\n\r\n");
  std::string head = data.substr(0, end == std::string::npos ? data.size() : end);
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) {
      eol = head.size();
    }
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += line; // unfold: the CRLF goes, the whitespace stays (RFC 5322 2.2.3)
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') {
      value.erase(0, 1);
    }
    out.emplace_back(line.substr(0, colon), value);
  }
  return out;
}

std::string ReceivedMail::header(const std::string& name) const {
  std::string key = lower(name);
  for (const auto& [k, v] : headers()) {
    if (lower(k) == key) {
      return v;
    }
  }
  return "";
}

std::string ReceivedMail::body() const {
  size_t end = data.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : data.substr(end + 4);
}

SmtpSink::SmtpSink(const std::string& dir, SmtpSinkOptions options)
    : dir_(dir), record_path_(dir + "/smtp-sink.jsonl"), options_(std::move(options)) {}

SmtpSink::~SmtpSink() {
  stop();
}

bool SmtpSink::start(int64_t timeout_ms) {
  std::vector<std::string> args{smtpSinkScript(), "--record", record_path_};
  if (!options_.tls_cert.empty()) {
    args.insert(args.end(), {"--tlscert", options_.tls_cert, "--tlskey", options_.tls_key});
  }
  if (options_.require_starttls) {
    args.push_back("--require-starttls");
  }
  if (options_.implicit_tls) {
    args.push_back("--smtps");
  }
  if (!options_.auth_user.empty()) {
    args.insert(args.end(), {"--auth", options_.auth_user + ":" + options_.auth_password});
  }
  for (const auto& [address, reply] : options_.reject_rcpt) {
    args.insert(args.end(), {"--reject-rcpt", address + "=" + reply});
  }
  if (!options_.data_reply.empty()) {
    args.insert(args.end(), {"--data-reply", options_.data_reply});
  }
  process_ = std::make_unique<ServerProcess>("/usr/bin/python3", args);
  return process_->waitReady(timeout_ms);
}

uint16_t SmtpSink::port() const {
  return process_ ? process_->port() : 0;
}

std::vector<ReceivedMail> SmtpSink::messages() const {
  std::vector<ReceivedMail> out;
  std::istringstream lines(readFile(record_path_));
  std::string line;
  while (std::getline(lines, line)) {
    // A line still being written has no newline yet; getline returns it only at end of file.
    if (line.empty() || lines.eof()) {
      continue;
    }
    nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded()) {
      continue;
    }
    ReceivedMail mail;
    mail.mail_from = record.value("mail_from", "");
    mail.rcpt_tos = record.value("rcpt_tos", std::vector<std::string>{});
    mail.data = record.value("data", "");
    mail.tls = record.value("tls", false);
    if (record.contains("auth_user") && record["auth_user"].is_string()) {
      mail.auth_user = record["auth_user"].get<std::string>();
    }
    mail.parsed = record.value("parsed", nlohmann::json::object());
    out.push_back(std::move(mail));
  }
  return out;
}

bool SmtpSink::waitForMessages(size_t count, int64_t timeout_ms) const {
  int64_t deadline = steadyMs() + timeout_ms;
  while (true) {
    if (messages().size() >= count) {
      return true;
    }
    if (steadyMs() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10)); // polling a file: no event to wait on
  }
}

std::string SmtpSink::log() const {
  return process_ ? process_->log() : "";
}

void SmtpSink::stop() {
  if (process_ && process_->running()) {
    process_->stop(5000);
  }
}

} // namespace bambuddy::testing
