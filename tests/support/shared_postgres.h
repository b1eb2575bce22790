// One PostgreSQL server for a whole ctest run, shared by the test processes of the suite's
// PostgreSQL pass (a server per test process would cost an initdb each). ctest starts it once,
// the `postgresql` fixture (tests/support/fixture/postgres_fixture.cpp, `start STATE_FILE`), and
// stops it after the last test that needs it (`stop STATE_FILE`). The tests of that pass run with
// BAMBUDDY_TEST_POSTGRESQL=STATE_FILE: ServerProcess then gives every server data directory a
// database of its own there, so a test that restarts its server finds its data again.
#pragma once

#include <string>

namespace bambuddy::testing {

// The state file named by BAMBUDDY_TEST_POSTGRESQL; "" when unset (the SQLite pass).
std::string sharedPostgresStateFile();
inline bool onSharedPostgres() {
  return !sharedPostgresStateFile().empty();
}

// Starts the shared server (a cluster in a new temp dir) and writes STATE_FILE.
void startSharedPostgres(const std::string& state_file);
// Stops it, removes its cluster and STATE_FILE. Nothing to do when STATE_FILE is missing.
void stopSharedPostgres(const std::string& state_file);

// The URL of the database for `key` (a data directory) on the shared server, created on first
// use: postgresql://USER@127.0.0.1:PORT/t_<hash of key>. Throws std::runtime_error when the
// state file is missing or the server refuses.
std::string sharedPostgresDatabase(const std::string& key);
// libpq's key=value connection string for the same database (for tests that read it directly).
std::string sharedPostgresConnectionString(const std::string& key);

} // namespace bambuddy::testing
