// Cost of checking a request body against its route's JSON Schema (api::JsonBodySchema, valijson)
// next to the parse the route did anyway, on the hot write route's body (print/start: a print
// with options). The schema is compiled once, as at server start.
// Prints figures; never fails on time.
//
//   build/tests/bench/body_schema_bench
#include "api/body_fragments.h"
#include "api/json_body.h"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace {

using bambuddy::api::JsonBodySchema;

// The schema of POST /api/v1/printers/{id}/print/start, composed as printer_routes.cpp does.
std::shared_ptr<const JsonBodySchema> printStartSchema() {
  nlohmann::json properties = bambuddy::api::withProperties(
      bambuddy::api::printOptionProperties(), {{"archive_id", {{"type", "integer"}, {"minimum", 1}}}});
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"required", {"archive_id"}},
                               {"properties", properties}});
}

const std::string kStartBody =
    R"({"archive_id": 42, "plate": 2, "use_ams": true, "ams_mapping": [0, 1, -1, 254],
  "bed_leveling": true, "timelapse": false, "bed_type": "textured_plate"})";
const std::string kBadStartBody = R"({"archive_id": 0, "ams_mapping": [0, 256], "colour": "red"})";

bambuddy::http::Request requestWith(const std::string& body) {
  bambuddy::http::Request request;
  request.body = body;
  return request;
}

// Before: what a route did with its body (parse into an object; the hand checks were a few
// comparisons on top).
void parseOnly(benchmark::State& state, const std::string& body) {
  bambuddy::http::Request request = requestWith(body);
  for (auto _ : state) {
    bambuddy::http::Response error;
    auto parsed = bambuddy::api::parseJsonObject(request, error);
    benchmark::DoNotOptimize(parsed);
  }
}

// After: parse and check against the route's schema, as the server does before the handler.
void parseAndCheck(benchmark::State& state, const JsonBodySchema& schema, const std::string& body) {
  bambuddy::http::Request request = requestWith(body);
  for (auto _ : state) {
    auto refused = schema.admit(request);
    benchmark::DoNotOptimize(refused);
    benchmark::DoNotOptimize(request.json_body);
  }
}

// The schema check alone, on an already parsed body.
void checkOnly(benchmark::State& state, const JsonBodySchema& schema, const std::string& body) {
  nlohmann::json doc = nlohmann::json::parse(body);
  for (auto _ : state) {
    auto refused = schema.check(doc);
    benchmark::DoNotOptimize(refused);
  }
}

void compile(benchmark::State& state) {
  for (auto _ : state) {
    auto schema = printStartSchema();
    benchmark::DoNotOptimize(schema);
  }
}

} // namespace

int main(int argc, char** argv) {
  static const auto start = printStartSchema();
  benchmark::RegisterBenchmark("print_start/parse_only (before)", parseOnly, kStartBody);
  benchmark::RegisterBenchmark("print_start/parse_and_schema (after)", parseAndCheck, std::cref(*start),
                               kStartBody);
  benchmark::RegisterBenchmark("print_start/schema_only", checkOnly, std::cref(*start), kStartBody);
  benchmark::RegisterBenchmark("print_start/schema_refusal_3_issues", checkOnly, std::cref(*start),
                               kBadStartBody);
  benchmark::RegisterBenchmark("compile_print_start_schema (once at startup)", compile);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
