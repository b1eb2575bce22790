#include "simulator.h"

#include "project_job.h"
#include "request_handler.h"
#include "three_mf_writer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <limits>
#include <sstream>
#include <unistd.h>

namespace bambusim {
namespace {

constexpr int64_t kFirstRetryMs = 100;
constexpr int64_t kMaxRetryMs = 2000;
constexpr int64_t kMaxSleepMs = 1000;

std::vector<std::string> splitWords(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) {
    words.push_back(w);
  }
  return words;
}

// Decimal or 0x-prefixed hex, 0 .. 2^32-1 (HMS attr/code and print_error are 32-bit).
bool parseU32(const std::string& text, uint32_t& out) {
  try {
    size_t used = 0;
    unsigned long long v = std::stoull(text, &used, 0);
    if (used != text.size() || v > 0xFFFFFFFFULL || text[0] == '-') {
      return false;
    }
    out = static_cast<uint32_t>(v);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parsePositive(const std::string& text, double& out) {
  try {
    size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size() && out > 0 && out < 7 * 24 * 3600;
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t wallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t wallUs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

Simulator::Simulator(Options options, const FixtureSet& fixtures, EventOut& events)
    : options_(std::move(options)), events_(events) {
  const int64_t now = steadyMs();
  const size_t count = options_.serials.size();
  printers_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    Printer& p = printers_[i];
    if (!options_.storage_dir.empty()) {
      p.storage = std::make_unique<PrinterStorage>(options_.storage_dir + "/" + options_.serials[i]);
    }
    p.model = std::make_unique<PrinterModel>(options_.serials[i], fixtures, now);
    p.link = std::make_unique<PrinterLink>(options_, i, options_.serials[i], *this);
    // Spread the printers over the period so a large fleet does not report in bursts.
    p.next_report_ms = now + options_.interval_ms * static_cast<int64_t>(i + 1) / static_cast<int64_t>(count);
  }
}

Simulator::~Simulator() {
  // Links first: their Paho callbacks post into this object.
  for (auto& p : printers_) {
    p.link.reset();
  }
}

void Simulator::post(LinkEvent event) {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    link_queue_.push_back(std::move(event));
  }
  queue_changed_.notify_one();
}

void Simulator::postControl(std::string line) {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    control_queue_.push_back(std::move(line));
  }
  queue_changed_.notify_one();
}

void Simulator::requestQuit() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    quit_requested_ = true;
  }
  queue_changed_.notify_one();
}

void Simulator::run() {
  while (!quit_) {
    std::deque<LinkEvent> link_events;
    std::deque<std::string> control_lines;
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      const int64_t now = steadyMs();
      const int64_t wake = nextWakeMs(now);
      if (link_queue_.empty() && control_queue_.empty() && !quit_requested_ && wake > now) {
        queue_changed_.wait_for(lock, std::chrono::milliseconds(wake - now));
      }
      link_events.swap(link_queue_);
      control_lines.swap(control_queue_);
      quit_ = quit_ || quit_requested_;
    }
    for (const auto& event : link_events) {
      handleLinkEvent(event, steadyMs());
    }
    for (const auto& line : control_lines) {
      if (!quit_) {
        handleControl(line, steadyMs());
      }
    }
    if (!quit_) {
      step(steadyMs());
    }
  }
  for (auto& p : printers_) {
    p.link->disconnect(1000);
  }
  events_.emit(statsLine());
  events_.emit("bye");
}

int64_t Simulator::nextWakeMs(int64_t now_ms) const {
  int64_t wake = now_ms + kMaxSleepMs;
  for (const auto& p : printers_) {
    wake = std::min(wake, p.next_report_ms);
    wake = std::min(wake, p.model->nextPhaseChangeMs());
    if (!p.connected && !p.connecting) {
      wake = std::min(wake, p.retry_at_ms);
    }
  }
  return wake;
}

void Simulator::scheduleRetry(Printer& printer, int64_t now_ms) {
  printer.retry_delay_ms =
      printer.retry_delay_ms == 0 ? kFirstRetryMs : std::min(kMaxRetryMs, printer.retry_delay_ms * 2);
  printer.retry_at_ms = now_ms + printer.retry_delay_ms;
}

void Simulator::publish(Printer& printer, const nlohmann::json& message, const char* kind) {
  if (!printer.connected) {
    ++printer.dropped;
    return;
  }
  const std::string payload = message.dump();
  // Taken right before the hand-over to Paho: a --trace latency covers Paho's send path too.
  const int64_t publish_us = wallUs();
  if (!printer.link->publish(payload)) {
    ++printer.dropped;
    return;
  }
  printer.last_publish_us = publish_us;
  if (message.contains("print") && message["print"].contains("gcode_state")) {
    printer.state_publish_us = publish_us;
  }
  ++printer.published;
  if (options_.verbose) {
    std::string sequence = "-";
    for (const char* section : {"print", "info", "system"}) {
      if (message.contains(section) && message[section].contains("sequence_id")) {
        const auto& id = message[section]["sequence_id"];
        sequence = id.is_string() ? id.get<std::string>() : id.dump();
      }
    }
    events_.emit("report " + printer.model->serial() + " " + kind + " " + sequence);
  }
}

void Simulator::emitState(const Printer& printer) {
  std::string line = "state " + printer.model->serial() + " " + printer.model->gcodeState();
  if (options_.trace) {
    line += " " + std::to_string(printer.state_publish_us); // report -> lifecycle event latency
  }
  events_.emit(line);
}

void Simulator::publishFull(Printer& printer) {
  if (printer.silent || !printer.connected) {
    return;
  }
  publish(printer, printer.model->fullReport(wallMs()), "full");
}

void Simulator::publishDelta(Printer& printer) {
  // While silent or offline nothing is reported; the changes pile up for the next delta.
  if (printer.silent || !printer.connected) {
    return;
  }
  if (auto delta = printer.model->deltaReport(wallMs())) {
    publish(printer, *delta, "delta");
  }
}

void Simulator::publishPeriodic(Printer& printer) {
  if (!options_.trace) {
    publishDelta(printer);
    return;
  }
  if (printer.silent || !printer.connected) {
    return; // no new trace value: a value is only used by a report that goes out
  }
  // A new layer_num every period, so the driver sees a change and reports every single one.
  printer.model->setTraceLayer(++printer.trace_layer);
  const uint64_t before = printer.published;
  publishDelta(printer);
  if (printer.published != before) {
    events_.emit("sent " + printer.model->serial() + " " + std::to_string(printer.trace_layer) + " " +
                 std::to_string(printer.last_publish_us));
  }
}

void Simulator::handleLinkEvent(const LinkEvent& event, int64_t now_ms) {
  Printer& p = printers_.at(event.printer);
  const std::string& serial = p.model->serial();
  switch (event.kind) {
  case LinkEvent::Kind::Connected:
    p.connecting = false;
    p.retry_delay_ms = 0;
    p.link->subscribeRequests();
    break;
  case LinkEvent::Kind::ConnectFailed:
    p.connecting = false;
    events_.emit("connect_failed " + serial + " " + event.text);
    scheduleRetry(p, now_ms);
    break;
  case LinkEvent::Kind::SubscribeFailed:
    events_.emit("subscribe_failed " + serial + " " + event.text);
    [[fallthrough]]; // reports still flow; the request topic stays deaf
  case LinkEvent::Kind::Subscribed:
    p.connected = true;
    if (p.ever_connected) {
      ++p.reconnects;
    }
    p.ever_connected = true;
    publishFull(p); // what a printer sends when it comes up
    events_.emit("connected " + serial);
    if (!ready_announced_ &&
        std::all_of(printers_.begin(), printers_.end(), [](const Printer& x) { return x.ever_connected; })) {
      ready_announced_ = true;
      events_.emit("ready");
    }
    break;
  case LinkEvent::Kind::Lost:
    p.connected = false;
    p.connecting = false;
    events_.emit("disconnected " + serial + " " + event.text);
    scheduleRetry(p, now_ms);
    break;
  case LinkEvent::Kind::Message:
    handleRequestMessage(p, event.text, now_ms);
    break;
  }
}

void Simulator::handleRequestMessage(Printer& printer, const std::string& payload, int64_t now_ms) {
  const std::string before = printer.model->gcodeState();
  RequestOutcome outcome;
  RequestContext context;
  context.job_duration_s = options_.job_duration_s;
  context.timing = JobTiming{options_.time_scale, options_.job_duration_s};
  context.storage = printer.storage.get();
  try {
    outcome = handleRequest(*printer.model, payload, now_ms, context);
  } catch (const std::exception&) {
    outcome = RequestOutcome{};
    outcome.command = "invalid"; // a request the handler could not digest must not stop the printer
  }
  events_.emit("request " + printer.model->serial() + " " + outcome.command);
  if (!outcome.project_file_event.empty()) {
    events_.emit("project_file " + printer.model->serial() + " " + outcome.project_file_event);
  }
  if (printer.silent) {
    return; // a hung printer neither acks nor reports
  }
  for (const auto& reply : outcome.replies) {
    publish(printer, reply, "ack");
  }
  if (outcome.send_full_report) {
    publishFull(printer);
  } else if (outcome.state_changed) {
    publishDelta(printer);
  }
  if (printer.model->gcodeState() != before) {
    emitState(printer);
  }
}

void Simulator::step(int64_t now_ms) {
  for (auto& p : printers_) {
    if (!p.connected && !p.connecting && now_ms >= p.retry_at_ms) {
      p.connecting = true;
      p.link->connect();
    }
    // The model is touched only when a phase change or a report is due: reports are staggered,
    // so the loop wakes about once per printer per period, and updating every printer's JSON
    // state at each wake cost most of a core at 1,000 printers (seen in the soak bench).
    const bool report_due = now_ms >= p.next_report_ms;
    bool state_changed = false;
    if (report_due || now_ms >= p.model->nextPhaseChangeMs()) {
      state_changed = p.model->advance(now_ms); // also brings progress up to date for the report
      if (state_changed) {
        publishDelta(p);
      }
    }
    if (report_due) {
      p.model->drift(now_ms);
      publishPeriodic(p);
      p.next_report_ms += options_.interval_ms;
      if (p.next_report_ms <= now_ms) {
        p.next_report_ms = now_ms + options_.interval_ms; // fell behind: do not burst to catch up
      }
    }
    if (state_changed) {
      emitState(p);
    }
  }
}

std::string Simulator::statsLine() const {
  uint64_t published = 0, dropped = 0, reconnects = 0;
  size_t connected = 0;
  for (const auto& p : printers_) {
    published += p.published;
    dropped += p.dropped;
    reconnects += p.reconnects;
    connected += p.connected ? 1 : 0;
  }
  return "stats printers=" + std::to_string(printers_.size()) + " connected=" + std::to_string(connected) +
         " published=" + std::to_string(published) + " dropped=" + std::to_string(dropped) +
         " reconnects=" + std::to_string(reconnects);
}

void Simulator::handleControl(const std::string& line, int64_t now_ms) {
  std::vector<std::string> words = splitWords(line);
  if (words.empty()) {
    return;
  }
  std::vector<Printer*> targets;
  const bool addressed = words[0][0] == '@';
  if (addressed) {
    const std::string serial = words[0].substr(1);
    for (auto& p : printers_) {
      if (p.model->serial() == serial) {
        targets.push_back(&p);
      }
    }
    words.erase(words.begin());
    if (targets.empty() || words.empty()) {
      events_.emit(targets.empty() ? "error unknown printer " + serial
                                   : "error missing command after @" + serial);
      return;
    }
  } else {
    for (auto& p : printers_) {
      targets.push_back(&p);
    }
  }
  const std::string verb = words[0];
  const size_t args = words.size() - 1;
  auto fail = [&](const std::string& why) { events_.emit("error " + verb + " " + why); };

  // Applies `action` to every target; reports the printers that refused and why.
  auto apply = [&](const std::function<std::string(PrinterModel&)>& action) {
    std::string refusals;
    for (Printer* p : targets) {
      const std::string before = p->model->gcodeState();
      std::string why = action(*p->model);
      if (!why.empty()) {
        refusals += (refusals.empty() ? "" : "; ") + p->model->serial() + ": " + why;
        continue;
      }
      publishDelta(*p);
      if (p->model->gcodeState() != before) {
        emitState(*p);
      }
    }
    if (refusals.empty()) {
      events_.emit("ok " + verb);
    } else {
      fail(refusals);
    }
  };

  if (verb == "quit") {
    quit_ = true;
  } else if (verb == "start" && args >= 1 && findPrinter(words[1]) != nullptr) {
    Printer* named = findPrinter(words[1]);
    if (addressed && targets.front() != named) {
      fail("@" + targets.front()->model->serial() + " and start " + words[1] + " name different printers");
      return;
    }
    startStoredJob(*named, std::vector<std::string>(words.begin() + 2, words.end()), now_ms);
  } else if (verb == "start") {
    JobSpec job;
    double layers = 50;
    if (args < 2 || args > 4 || !parsePositive(words[2], job.duration_s) ||
        (args >= 3 && (!parsePositive(words[3], layers) || layers > 100000)) ||
        (args >= 4 && !parsePositive(words[4], job.prepare_s))) {
      fail("usage: start <filename> <duration_s> [total_layers] [prepare_s]");
      return;
    }
    job.filename = words[1];
    job.total_layers = static_cast<int>(layers);
    apply([&](PrinterModel& m) { return m.startJob(job, now_ms); });
  } else if (verb == "pause_error" || verb == "fail") {
    uint32_t code = kPrintErrorDefault;
    if (args > 1 || (args == 1 && (!parseU32(words[1], code) || code == 0))) {
      fail("usage: " + verb + " [print_error (non-zero, decimal or 0x hex)]");
      return;
    }
    if (verb == "fail") {
      apply([&](PrinterModel& m) { return m.fail(now_ms, code); });
    } else {
      apply([&](PrinterModel& m) { return m.pause(now_ms, code); });
    }
  } else if (verb == "hms") {
    uint32_t attr = 0, code = 0;
    if (args != 2 || !parseU32(words[1], attr) || !parseU32(words[2], code)) {
      fail("usage: hms <attr> <code> (decimal or 0x hex)");
      return;
    }
    apply([&](PrinterModel& m) {
      m.addHms(attr, code);
      return std::string();
    });
  } else if (verb == "clear_hms" && args == 0) {
    apply([&](PrinterModel& m) {
      m.clearHms();
      return std::string();
    });
  } else if (verb == "silence" && args == 1 && (words[1] == "on" || words[1] == "off")) {
    for (Printer* p : targets) {
      p->silent = words[1] == "on";
      publishDelta(*p); // coming back: report what changed meanwhile
    }
    events_.emit("ok silence");
  } else if (verb == "pushall" && args == 0) {
    for (Printer* p : targets) {
      publishFull(*p);
    }
    events_.emit("ok pushall");
  } else if (verb == "stats" && args == 0) {
    events_.emit(statsLine());
  } else {
    fail("unknown command or wrong arguments (see --help)");
  }
}

Simulator::Printer* Simulator::findPrinter(const std::string& serial) {
  for (auto& p : printers_) {
    if (p.model->serial() == serial) {
      return &p;
    }
  }
  return nullptr;
}

void Simulator::reportStateChange(Printer& printer, const std::string& before) {
  publishDelta(printer);
  if (printer.model->gcodeState() != before) {
    emitState(printer);
  }
}

void Simulator::startStoredJob(Printer& printer, const std::vector<std::string>& args, int64_t now_ms) {
  const std::string& serial = printer.model->serial();
  auto fail = [&](const std::string& why) { events_.emit("error start " + serial + ": " + why); };
  int plate = 1;
  if (args.size() > 2 ||
      (args.size() == 2 && (plate = plateFromParam("Metadata/plate_" + args[1] + ".gcode")) == 0)) {
    fail("usage: start <serial> [<path to a 3mf> [plate 1..999]]");
    return;
  }
  if (!printer.storage) {
    fail("start <serial> needs --storage-dir");
    return;
  }
  if (printer.model->busy()) {
    fail("busy (" + printer.model->gcodeState() + ")");
    return;
  }
  std::string name;
  if (args.empty()) {
    // A name not yet on the card, as a slicer export with a fresh name would be.
    do {
      name = "SimPrint-" + std::to_string(++generated_files_) + ".3mf";
    } while (access(printer.storage->cachePath(name).c_str(), F_OK) == 0);
    SampleProject sample;
    sample.title = name.substr(0, name.size() - 4);
    sample.prediction_s = std::max<int64_t>(1, std::llround(options_.job_duration_s / options_.time_scale));
    const std::string temp = printer.storage->cacheTempPath(name);
    unlink(temp.c_str());
    std::string why = writeSampleThreeMf(temp, sample);
    if (why.empty() && rename(temp.c_str(), printer.storage->cachePath(name).c_str()) != 0) {
      why = "cannot move " + temp + " into cache/";
      unlink(temp.c_str());
    }
    if (!why.empty()) {
      fail(why);
      return;
    }
  } else {
    const std::string& source = args[0];
    const size_t slash = source.find_last_of('/');
    name = slash == std::string::npos ? source : source.substr(slash + 1);
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".3mf") != 0) {
      name += ".3mf";
    }
    if (std::string why = printer.storage->copyIntoCache(source, name); !why.empty()) {
      fail(why);
      return;
    }
  }
  // From here on the file is on the card, as it stays on a real one whether or not it prints.
  const std::string relative = "cache/" + name;
  ProjectJob project;
  std::string why = loadProjectJob(*printer.storage, relative, plate, "",
                                   JobTiming{options_.time_scale, options_.job_duration_s}, project);
  if (!why.empty()) {
    fail(why);
    return;
  }
  project.job.subtask_name = name.substr(0, name.size() - 4);
  const std::string before = printer.model->gcodeState();
  why = printer.model->startJob(project.job, now_ms);
  if (!why.empty()) {
    fail(why);
    return;
  }
  events_.emit("started " + serial + " " + describeProjectJob(relative, project));
  reportStateChange(printer, before);
  events_.emit("ok start");
}

} // namespace bambusim
