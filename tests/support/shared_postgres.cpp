#include "support/shared_postgres.h"

#include "support/postgres_server.h"

#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace bambuddy::testing {
namespace shared_postgres {

struct State {
  std::string directory;
  int port = 0;
  std::string user;
};

State readState(const std::string& state_file) {
  std::ifstream in(state_file);
  State state;
  if (!(in >> state.directory >> state.port >> state.user)) {
    throw std::runtime_error("no shared PostgreSQL server: cannot read " + state_file +
                             " (the ctest fixture postgresql.start writes it)");
  }
  return state;
}

std::string databaseName(const std::string& key) {
  uint64_t hash = 1469598103934665603ULL; // FNV-1a: a stable, valid name for any path
  for (unsigned char c : key) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  char name[24];
  std::snprintf(name, sizeof name, "t_%016llx", static_cast<unsigned long long>(hash));
  return name;
}

std::string conninfo(const State& state, const std::string& database) {
  return "host=127.0.0.1 port=" + std::to_string(state.port) + " user=" + state.user + " dbname=" + database +
         " connect_timeout=5";
}

void ensureDatabase(const State& state, const std::string& name) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(conninfo(state, "postgres").c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("shared PostgreSQL server: " + std::string(PQerrorMessage(conn.get())));
  }
  const char* params[] = {name.c_str()};
  std::unique_ptr<PGresult, void (*)(PGresult*)> found(
      PQexecParams(conn.get(), "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr, params, nullptr,
                   nullptr, 0),
      PQclear);
  if (PQresultStatus(found.get()) == PGRES_TUPLES_OK && PQntuples(found.get()) > 0) {
    return;
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> created(
      PQexec(conn.get(), ("CREATE DATABASE " + name).c_str()), PQclear);
  if (PQresultStatus(created.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error("CREATE DATABASE " + name + ": " + PQerrorMessage(conn.get()));
  }
}

} // namespace shared_postgres

std::string sharedPostgresStateFile() {
  const char* value = std::getenv("BAMBUDDY_TEST_POSTGRESQL");
  return value == nullptr ? "" : value;
}

void startSharedPostgres(const std::string& state_file) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/bambuddy-pg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  PostgresServer server;
  server.startDetached(pattern);
  std::ofstream out(state_file, std::ios::trunc);
  out << pattern << ' ' << server.port() << ' ' << server.user() << '\n';
  if (!out.flush()) {
    PostgresServer::stopDetached(pattern);
    throw std::runtime_error("cannot write " + state_file);
  }
}

void stopSharedPostgres(const std::string& state_file) {
  if (!std::filesystem::exists(state_file)) {
    return;
  }
  const shared_postgres::State state = shared_postgres::readState(state_file);
  PostgresServer::stopDetached(state.directory);
  std::filesystem::remove(state_file);
}

std::string sharedPostgresDatabase(const std::string& key) {
  const shared_postgres::State state = shared_postgres::readState(sharedPostgresStateFile());
  const std::string name = shared_postgres::databaseName(key);
  shared_postgres::ensureDatabase(state, name);
  return "postgresql://" + state.user + "@127.0.0.1:" + std::to_string(state.port) + "/" + name;
}

std::string sharedPostgresConnectionString(const std::string& key) {
  const shared_postgres::State state = shared_postgres::readState(sharedPostgresStateFile());
  return shared_postgres::conninfo(state, shared_postgres::databaseName(key));
}

} // namespace bambuddy::testing
