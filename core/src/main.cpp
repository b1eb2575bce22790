// Composition root: arguments, config, run, exit status. Nothing else lives here.
//
// Exit status: 0 clean shutdown or successful check, 1 runtime failure (port in use, database),
// 2 configuration error or bad usage, 3 a required plugin was refused.
#include "app/app.h"
#include "app/data_dir.h"
#include "app/fd_limit.h"
#include "app/signals.h"
#include "common/logger.h"
#include "config/config_error.h"
#include "config/core_config.h"
#include "plugins/abi_rules.h"
#include "plugins/plugin_host.h"
#include "storage/sqlite_to_postgresql.h"

#include <bambuddy/abi.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;
constexpr int kExitPlugin = 3;
constexpr const char* kDefaultConfig = "config/bambuddy.yaml";
constexpr const char* kVersion = "0.1.0";

enum class Mode { Run, CheckConfig, ListPlugins, MigrateSqliteToPostgresql, Help, Version };

struct Arguments {
  Mode mode = Mode::Run;
  std::string config_path = kDefaultConfig;
  bool config_given = false;
  std::string sqlite_path; // --migrate-sqlite-to-postgresql FILE URL
  std::string postgresql_url;
};

void printUsage(std::ostream& out) {
  out << "usage: bambuddy [--config FILE]        run the server (default " << kDefaultConfig << ")\n"
      << "       bambuddy --check-config FILE    validate FILE and the plugin blocks in it, then exit\n"
      << "       bambuddy --list-plugins [--config FILE]  list the plugins on the search path\n"
      << "       bambuddy --migrate-sqlite-to-postgresql FILE URL\n"
      << "                                       copy the SQLite database FILE (server stopped) into\n"
      << "                                       the empty PostgreSQL database URL, then compare the\n"
      << "                                       row counts (URL: postgresql://user@host:5432/db; the\n"
      << "                                       password from PGPASSWORD or PGPASSFILE)\n"
      << "       bambuddy --version | --help\n"
      << "environment: BAMBUDDY_DATA_DIR overrides data_dir, BAMBUDDY_LISTEN overrides server.listen,\n"
      << "             BAMBUDDY_DATABASE_URL overrides database.url;\n"
      << "             string values in FILE may use ${VAR} and ${VAR:-default}, and secret fields\n"
      << "             <field>_file (see docs/secrets.md)\n";
}

bool parseArguments(int argc, char** argv, Arguments& args, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> bool {
      if (i + 1 >= argc) {
        error = std::string(flag) + " needs a file name";
        return false;
      }
      args.config_path = argv[++i];
      args.config_given = true;
      return true;
    };
    if (a == "--config" || a == "-c") {
      if (!value("--config")) {
        return false;
      }
    } else if (a == "--check-config") {
      args.mode = Mode::CheckConfig;
      if (!value("--check-config")) {
        return false;
      }
    } else if (a == "--migrate-sqlite-to-postgresql") {
      if (i + 2 >= argc) {
        error = "--migrate-sqlite-to-postgresql needs the SQLite file and the PostgreSQL URL";
        return false;
      }
      args.mode = Mode::MigrateSqliteToPostgresql;
      args.sqlite_path = argv[++i];
      args.postgresql_url = argv[++i];
    } else if (a == "--list-plugins") {
      args.mode = Mode::ListPlugins;
    } else if (a == "--help" || a == "-h") {
      args.mode = Mode::Help;
    } else if (a == "--version") {
      args.mode = Mode::Version;
    } else {
      error = "unknown argument '" + a + "'";
      return false;
    }
  }
  return true;
}

void printConfigErrors(const bambuddy::config::ConfigException& e) {
  for (const auto& error : e.errors()) {
    std::cerr << error.format() << "\n";
  }
}

int checkConfig(const Arguments& args, const bambuddy::config::Environment& env) {
  try {
    auto config = bambuddy::config::loadCoreConfig(args.config_path, env);
    auto problems = bambuddy::plugins::PluginHost::check(config);
    for (const auto& p : problems) {
      std::cerr << p.format() << "\n";
    }
    if (!problems.empty()) {
      return kExitConfig;
    }
    std::cout << args.config_path << ": OK (" << config.plugins.size() << " plugin(s))\n";
    return kExitOk;
  } catch (const bambuddy::config::ConfigException& e) {
    printConfigErrors(e);
    return kExitConfig;
  }
}

int listPlugins(const Arguments& args, const bambuddy::config::Environment& env) {
  std::vector<std::string> search_path;
  try {
    search_path = bambuddy::config::loadCoreConfig(args.config_path, env).plugin_search_path;
  } catch (const bambuddy::config::ConfigException& e) {
    if (args.config_given) {
      printConfigErrors(e);
      return kExitConfig;
    }
    // No usable default config: fall back to the built-in search path.
    search_path = bambuddy::config::parseCoreConfig("", "(defaults)", env).plugin_search_path;
  }
  std::cout << "search path:";
  for (const auto& dir : search_path) {
    std::cout << " " << dir;
  }
  std::cout << "\n";
  for (const auto& found : bambuddy::plugins::discoverPlugins(search_path)) {
    if (found.summary) {
      const auto& s = *found.summary;
      std::cout << s.name << "\t" << s.version << "\t" << s.kind << "\tABI " << s.abi << "\t" << found.path;
      if (!s.description.empty()) {
        std::cout << "\t" << s.description;
      }
    } else {
      std::cout << "?\t-\t-\t-\t" << found.path;
    }
    if (!found.problem.empty()) {
      std::cout << "\tREFUSED: " << found.problem;
    }
    std::cout << "\n";
  }
  return kExitOk;
}

int migrateSqliteToPostgresql(const Arguments& args) {
  bambuddy::Logger logger;
  try {
    auto report = bambuddy::storage::copySqliteToPostgresql(args.sqlite_path, args.postgresql_url, logger);
    bambuddy::storage::printReport(report, std::cout);
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "bambuddy: " << e.what()
              << "\nbambuddy: nothing was copied; the target database is as it was\n";
    return kExitRuntime;
  }
}

void logOpenFileLimit(const bambuddy::app::FdLimit& fds, bambuddy::Logger& logger) {
  // Every printer connection holds a descriptor; below this a large farm hits EMFILE.
  constexpr uint64_t kComfortable = 4096;
  if (!fds.error.empty()) {
    logger.warn("app",
                "cannot raise the open-file limit from " + std::to_string(fds.before) + ": " + fds.error);
  } else if (fds.after != fds.before) {
    logger.info("app", "open-file limit raised from " + std::to_string(fds.before) + " to " +
                           std::to_string(fds.after));
  }
  if (fds.after < kComfortable) {
    logger.warn("app", "the open-file limit is " + std::to_string(fds.after) +
                           " (the hard limit): each printer needs one, so large farms need more "
                           "(systemd LimitNOFILE=, or ulimit -Hn)");
  }
}

int run(const Arguments& args, const bambuddy::config::Environment& env) {
  // Block the shutdown signals before any thread exists so only sigwait() sees them.
  bambuddy::app::ShutdownSignals signals;
  bambuddy::Logger logger;
  bambuddy::config::CoreConfig config;
  try {
    config = bambuddy::config::loadCoreConfig(args.config_path, env);
  } catch (const bambuddy::config::ConfigException& e) {
    printConfigErrors(e);
    return kExitConfig;
  }
  logger.setLevel(config.log_level);
  logger.info("app", std::string("bambuddy ") + kVersion + " (plugin ABI " +
                         bambuddy::plugins::abiString(BB_ABI_MAJOR, BB_ABI_MINOR) + ") using " +
                         config.config_file);
  logOpenFileLimit(bambuddy::app::raiseOpenFileLimit(), logger);
  bambuddy::app::App app(config, logger);
  try {
    app.start();
  } catch (const bambuddy::plugins::PluginLoadError& e) {
    logger.error("app", std::string("startup failed: ") + e.what());
    return e.configError() ? kExitConfig : kExitPlugin;
  } catch (const bambuddy::config::ConfigException& e) {
    printConfigErrors(e);
    return kExitConfig;
  } catch (const std::exception& e) {
    logger.error("app", std::string("startup failed: ") + e.what());
    return kExitRuntime;
  }
  int signal_number = signals.wait();
  logger.info("app", std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                         ", shutting down");
  app.stop();
  logger.info("app", "stopped");
  return kExitOk;
}

} // namespace

int main(int argc, char** argv) {
  // Files the server creates hold secrets (database, blobs, key files): none is for other users.
  bambuddy::app::restrictFileCreationMask();
  Arguments args;
  std::string error;
  if (!parseArguments(argc, argv, args, error)) {
    std::cerr << "bambuddy: " << error << "\n";
    printUsage(std::cerr);
    return kExitConfig;
  }
  try {
    auto env = bambuddy::config::Environment::fromProcess();
    switch (args.mode) {
    case Mode::Help:
      printUsage(std::cout);
      return kExitOk;
    case Mode::Version:
      std::cout << "bambuddy " << kVersion << " (plugin ABI "
                << bambuddy::plugins::abiString(BB_ABI_MAJOR, BB_ABI_MINOR) << ")\n";
      return kExitOk;
    case Mode::CheckConfig:
      return checkConfig(args, env);
    case Mode::ListPlugins:
      return listPlugins(args, env);
    case Mode::MigrateSqliteToPostgresql:
      return migrateSqliteToPostgresql(args);
    case Mode::Run:
      return run(args, env);
    }
  } catch (const bambuddy::config::ConfigException& e) {
    printConfigErrors(e);
    return kExitConfig;
  } catch (const std::exception& e) {
    std::cerr << "bambuddy: " << e.what() << "\n";
    return kExitRuntime;
  }
  return kExitOk;
}
