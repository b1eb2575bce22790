// The PostgreSQL test server itself (tests/support/postgres_server): a private cluster that
// starts, takes real connections, makes databases, restarts after a SIGKILL with its data, and
// listens on loopback only.
#include "support/postgres_server.h"

#include <libpq-fe.h>

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::storage {
namespace postgres_server_test {

using testing::PostgresServer;

std::string scalar(const std::string& connection, const std::string& sql) {
  PGconn* conn = PQconnectdb(connection.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* result = PQexec(conn, sql.c_str());
  std::string value;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
    value = PQgetvalue(result, 0, 0);
  } else if (PQresultStatus(result) != PGRES_COMMAND_OK) {
    ADD_FAILURE() << sql << ": " << PQerrorMessage(conn);
  }
  PQclear(result);
  PQfinish(conn);
  return value;
}

TEST(PostgresServerTest, StartsMakesDatabasesAndKeepsThemAcrossAKill) {
  ASSERT_FALSE(PostgresServer::binDir().empty()) << "PostgreSQL 15 is not installed: run scripts/setup";
  PostgresServer server;
  server.start();
  ASSERT_TRUE(server.running());
  const std::string url = server.createDatabase("farm_one");
  EXPECT_EQ(url, "postgresql://bambuddy@127.0.0.1:" + std::to_string(server.port()) + "/farm_one");
  EXPECT_EQ(scalar(server.connectionString("farm_one"), "SHOW server_version_num").substr(0, 2), "15");
  EXPECT_EQ(scalar(server.connectionString("farm_one"), "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(scalar(server.connectionString("farm_one"), "SHOW lc_collate"), "C") << "text compares bytewise";
  scalar(server.connectionString("farm_one"), "CREATE TABLE t (v TEXT)");
  scalar(server.connectionString("farm_one"), "INSERT INTO t VALUES ('kept')");
  EXPECT_THROW(server.createDatabase("Bad-Name"), std::runtime_error);

  server.kill();
  EXPECT_FALSE(server.running());
  server.start(); // recovers from the crash on the same port
  EXPECT_EQ(scalar(server.connectionString("farm_one"), "SELECT v FROM t"), "kept");
  server.stop();
  EXPECT_FALSE(server.running());
}

} // namespace postgres_server_test
} // namespace bambuddy::storage
