// Secrets outside the YAML (issue 16, part 3), through the real server binary and plugins:
// ${VAR} references and `<field>_file` members are resolved when the config is read, problems
// are reported by --check-config (and at start) with file:line and exit 2, and the values reach
// the plugins (a real ntfy receiver sees the token) but never the log or an API answer.
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace config_secrets_test {

using nlohmann::json;

const std::string kAdminKey = "bb_tgZq_dhm5ClcPrRuuqzIGQ-9vIBnbjeRCumm1bib6f8";
// Distinct texts, so a leak of any of them is found in the log or an answer.
const std::string kNtfyToken = "tk_fromfile5e9d1c0a";
const std::string kAccessCode = "envcode8a41";
const std::string kWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

class ConfigSecretsTest : public ::testing::Test {
protected:
  // A config that loads the notifier and printer plugins; `instances` is appended to the plugin
  // list as written.
  std::string writeConfig(const std::string& instances, const std::string& name = "bambuddy.yaml") {
    return dir_.write(name, "server:\n  listen: 127.0.0.1:0\n  web_ui: false\n"
                            "log:\n  level: debug\n"
                            "data_dir: " +
                                dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                                "]\n  load:\n"
                                "    - name: storage.local\n"
                                "    - name: auth.apikey\n" +
                                instances);
  }

  HttpResult get(const ServerProcess& server, const std::string& path) {
    return httpRequest("127.0.0.1", server.port(), "GET", path, "", {{"X-API-Key", kAdminKey}}, 15000);
  }

  TempDir dir_;
};

TEST_F(ConfigSecretsTest, CheckConfigNamesMissingVariablesAndFilesWithTheirLines) {
  dir_.write("secrets/code", kAccessCode + "\n");
  // Lines 1-11 are writeConfig's; the printer entry starts on line 12.
  std::string config = writeConfig("    - name: printer.bambu\n"
                                   "      instances:\n"
                                   "        - id: x1c\n"
                                   "          settings:\n"
                                   "            host: ${PRINTER_HOST}\n"
                                   "            serial: 01P00A451601106\n"
                                   "            access_code_file: nope\n"
                                   "        - id: p1s\n"
                                   "          settings:\n"
                                   "            host: ${P1S_HOST:-p1s.lan}\n"
                                   "            serial: 01S00C371700385\n"
                                   "            access_code: inline\n"
                                   "            access_code_file: secrets/code\n");
  ProcessResult r = runProcess({serverBinary(), "--check-config", config}, {{"PRINTER_HOST", "printer.lan"}});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(config +
                               ":18 plugins.load[2].instances[0].settings.access_code_file: cannot read "
                               "secret file " +
                               dir_.file("nope") + ": No such file or directory"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(config +
                               ":24 plugins.load[2].instances[1].settings.access_code_file: give either "
                               "access_code or access_code_file, not both"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("required"), std::string::npos) << "no follow-up 'required' error\n"
                                                               << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find(kAccessCode), std::string::npos) << r.stderr_text;

  // Without PRINTER_HOST the core loader stops at the variable (line 16), naming it only.
  r = runProcess({serverBinary(), "--check-config", config}, {{"P1S_HOST", "secret-host-value"}});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(config +
                               ":16 plugins.load[2].instances[0].settings.host: environment variable "
                               "PRINTER_HOST is not set"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("secret-host-value"), std::string::npos) << r.stderr_text;

  // Starting the server reports the same and exits 2 before listening.
  r = runProcess({serverBinary(), "--config", config}, {{"PRINTER_HOST", "printer.lan"}});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(":18 plugins.load[2].instances[0].settings.access_code_file: cannot read"),
            std::string::npos)
      << r.stderr_text;

  // Fixed, the same file passes; a value read from a file that breaks the schema is reported at
  // the _file line.
  dir_.write("secrets/short", "has space\n");
  config = writeConfig("    - name: printer.bambu\n"
                       "      instances:\n"
                       "        - id: x1c\n"
                       "          settings:\n"
                       "            host: ${PRINTER_HOST}\n"
                       "            serial: 01P00A451601106\n"
                       "            access_code_file: secrets/code\n"
                       "        - id: p1s\n"
                       "          settings:\n"
                       "            host: p1s.lan\n"
                       "            serial: 01S00C371700385\n"
                       "            access_code_file: secrets/short\n",
                       "second.yaml");
  r = runProcess({serverBinary(), "--check-config", config}, {{"PRINTER_HOST", "printer.lan"}});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(config +
                               ":23 plugins.load[2].instances[1].settings.access_code_file: does not match "
                               "pattern"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("(the value read from the file)"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("has space"), std::string::npos) << r.stderr_text;
  dir_.write("secrets/short", kAccessCode + "\n");
  r = runProcess({serverBinary(), "--check-config", config}, {{"PRINTER_HOST", "printer.lan"}});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("OK"), std::string::npos) << r.stdout_text;
}

TEST_F(ConfigSecretsTest, SecretsFromFilesAndVariablesReachPluginsButNeverTheLogOrAnswers) {
  HttpReceiver ntfy;
  dir_.write("secrets/ntfy", kNtfyToken + "\n");
  std::string webhook_secret = dir_.write("run/whsec", kWebhookSecret);
  std::string config = writeConfig("    - name: notifier.ntfy\n"
                                   "      instances:\n"
                                   "        - id: phone\n"
                                   "          settings:\n"
                                   "            server: ${NTFY_SERVER}\n"
                                   "            topic: prints\n"
                                   "            token_file: secrets/ntfy\n"
                                   "    - name: notifier.webhook\n"
                                   "      instances:\n"
                                   "        - id: hook\n"
                                   "          settings:\n"
                                   "            url: ${NTFY_SERVER}/hook\n"
                                   "            secret_file: ${CREDENTIALS_DIRECTORY}/whsec\n"
                                   "    - name: printer.bambu\n"
                                   "      config: {reconnect_min_ms: 100, reconnect_max_ms: 200}\n"
                                   "      instances:\n"
                                   "        - id: x1c\n"
                                   "          settings:\n"
                                   "            host: 127.0.0.1\n"
                                   "            port: 1\n"
                                   "            serial: 01P00A451601106\n"
                                   "            access_code: ${X1C_ACCESS_CODE}\n");
  ServerProcess server(serverBinary(), {"--config", config},
                       {{"BAMBUDDY_ADMIN_KEY", kAdminKey},
                        {"NTFY_SERVER", "http://127.0.0.1:" + std::to_string(ntfy.port())},
                        {"CREDENTIALS_DIRECTORY", dir_.file("run")},
                        {"X1C_ACCESS_CODE", kAccessCode}});
  ASSERT_TRUE(server.waitReady()) << server.log();

  HttpResult list = get(server, "/api/v1/notifications");
  ASSERT_EQ(list.status, 200) << list.body;
  json providers = json::parse(list.body);
  int64_t phone_id = 0;
  int64_t hook_id = 0;
  for (const json& p : providers["items"]) {
    (p["instance_id"] == "phone" ? phone_id : hook_id) = p["id"].get<int64_t>();
  }
  ASSERT_NE(phone_id, 0) << list.body;
  ASSERT_NE(hook_id, 0) << list.body;

  // The token read from the file is what ntfy receives; the signing secret signs the webhook.
  HttpResult test = httpRequest("127.0.0.1", server.port(), "POST",
                                "/api/v1/notifications/" + std::to_string(phone_id) + "/test", "",
                                {{"X-API-Key", kAdminKey}}, 15000);
  ASSERT_EQ(test.status, 202) << test.body;
  test = httpRequest("127.0.0.1", server.port(), "POST",
                     "/api/v1/notifications/" + std::to_string(hook_id) + "/test", "",
                     {{"X-API-Key", kAdminKey}}, 15000);
  ASSERT_EQ(test.status, 202) << test.body;
  ASSERT_TRUE(ntfy.waitForRequests(2, 15000)) << server.log();
  bool saw_token = false;
  bool saw_signature = false;
  for (const ReceivedRequest& request : ntfy.requests()) {
    if (request.path == "/prints") {
      saw_token = request.header("authorization") == "Bearer " + kNtfyToken;
    } else if (request.path == "/hook") {
      saw_signature = request.header("webhook-signature").rfind("v1,", 0) == 0;
    }
  }
  EXPECT_TRUE(saw_token);
  EXPECT_TRUE(saw_signature);

  // The printer got its access code from the environment: it is listed, its settings are not
  // shown with the code.
  HttpResult printers = get(server, "/api/v1/printers");
  ASSERT_EQ(printers.status, 200) << printers.body;
  json printer_list = json::parse(printers.body);
  ASSERT_EQ(printer_list["items"].size(), 1u) << printers.body;
  std::string printer_path = "/api/v1/printers/" + printer_list["items"][0]["id"].dump();

  // The API never reads a file for a client: `_file` in API settings is an unknown key (400),
  // and the file's content appears nowhere.
  const std::string secret_path = dir_.file("secrets/ntfy");
  HttpResult via_api = httpRequest(
      "127.0.0.1", server.port(), "POST", "/api/v1/printers",
      json{{"name", "api"},
           {"driver", "printer.bambu"},
           {"settings", {{"host", "127.0.0.1"}, {"serial", "S1"}, {"access_code_file", secret_path}}}}
          .dump(),
      {{"X-API-Key", kAdminKey}, {"Content-Type", "application/json"}}, 15000);
  EXPECT_EQ(via_api.status, 400) << via_api.body;
  EXPECT_NE(via_api.body.find("access_code_file"), std::string::npos) << via_api.body;
  HttpResult provider_via_api = httpRequest(
      "127.0.0.1", server.port(), "POST", "/api/v1/notifications",
      json{{"name", "api"},
           {"type", "ntfy"},
           {"settings", {{"server", "http://127.0.0.1:1"}, {"topic", "t"}, {"token_file", secret_path}}}}
          .dump(),
      {{"X-API-Key", kAdminKey}, {"Content-Type", "application/json"}}, 15000);
  EXPECT_EQ(provider_via_api.status, 400) << provider_via_api.body;

  // Every answer that describes these providers and the printer, then the whole log.
  std::vector<std::string> answers = {list.body, printers.body, via_api.body, provider_via_api.body};
  for (const std::string& path : {printer_path, "/api/v1/notifications/" + std::to_string(phone_id),
                                  "/api/v1/notifications/" + std::to_string(hook_id),
                                  std::string("/api/v1/plugins"), std::string("/api/v1/settings")}) {
    HttpResult r = get(server, path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    answers.push_back(r.body);
  }
  // Wait for the printer driver to have tried (and failed) its connection, so its log lines exist.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.log().find("01P00A451601106") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.stop(), 0);
  const std::string log = server.log();
  for (const std::string& secret : {kNtfyToken, kAccessCode, kWebhookSecret}) {
    for (const std::string& answer : answers) {
      EXPECT_EQ(answer.find(secret), std::string::npos) << secret << " in " << answer;
    }
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log:\n" << log;
  }
  EXPECT_NE(log.find("01P00A451601106"), std::string::npos) << "the printer was loaded:\n" << log;
}

} // namespace config_secrets_test
} // namespace bambuddy::testing
