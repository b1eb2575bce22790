// Uses the installed plugins/common libraries the way a third-party notifier would: a template,
// a provider URL, and the SSRF guard refusing the cloud metadata address. Exit 0 only when each
// gives the documented answer.
#include "net/ssrf_guard.h"
#include "net/target_url.h"
#include "text/template.h"

#include <iostream>
#include <optional>
#include <string>

int main() {
  using bambuddy::common::net::GuardResult;
  auto text = bambuddy::common::text::Template::parse("{{filename}} on {{printer|a printer}}")
                  .render([](const std::string& name) -> std::optional<std::string> {
                    return name == "filename" ? std::optional<std::string>("cube.3mf") : std::nullopt;
                  });
  auto url = bambuddy::common::net::parseTargetUrl("https://example.com:8443/hook", {"https"});
  bambuddy::common::net::SsrfPolicy policy;
  auto guard = bambuddy::common::net::resolveAndCheck(policy, "169.254.169.254", 80);

  std::cout << "template: " << text << "\nurl: " << url.host << ":" << url.port << "\nguard: " << guard.error
            << "\n";
  bool ok = text == "cube.3mf on a printer" && url.host == "example.com" && url.port == 8443 &&
            guard.kind == GuardResult::Kind::Refused;
  return ok ? 0 : 1;
}
