#include "metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "andante/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::net {
namespace {

using ::testing::Contains;
using ::testing::UnorderedElementsAre;

bool HasText(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

// Lines of the exposition, in the order rendered. prometheus-cpp orders
// families by type and label names alphabetically (as Prometheus' Go client
// does); the tests compare sets of lines.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(MetricsTest, CounterWithoutLabelsRendersZeroFromTheStart) {
  MetricsRegistry r;
  r.AddCounter("things_total", "Things seen.");
  EXPECT_THAT(Lines(r.Render()),
              UnorderedElementsAre("# HELP things_total Things seen.",
                                   "# TYPE things_total counter",
                                   "things_total 0"));
}

TEST(MetricsTest, LabeledSeriesAreFormatted) {
  MetricsRegistry r;
  CounterFamily* c = r.AddCounter("req_total", "Requests.", {"method", "code"});
  c->WithLabels({"POST", "200"})->Inc(3);
  c->WithLabels({"GET", "404"})->Inc();
  c->WithLabels({"GET", "404"})->Inc(0.5);
  GaugeFamily* g = r.AddGauge("temp", "Temperature.", {"room"});
  g->WithLabels({"a"})->Set(-2.25);
  EXPECT_THAT(Lines(r.Render()),
              UnorderedElementsAre("# HELP req_total Requests.",
                                   "# TYPE req_total counter",
                                   "req_total{code=\"404\",method=\"GET\"} 1.5",
                                   "req_total{code=\"200\",method=\"POST\"} 3",
                                   "# HELP temp Temperature.",
                                   "# TYPE temp gauge",
                                   "temp{room=\"a\"} -2.25"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRegistry r;
  GaugeFamily* g = r.AddGauge("g", "G.", {"v"});
  g->WithLabels({"a\"b\\c\nd"})->Set(1);
  EXPECT_THAT(Lines(r.Render()), Contains("g{v=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry r;
  HistogramFamily* h =
      r.AddHistogram("lat_seconds", "Latency.", {"route"}, {0.25, 0.5, 1});
  Histogram* x = h->WithLabels({"x"});
  x->Observe(0.125);
  x->Observe(0.25);  // upper bounds are inclusive
  x->Observe(0.375);
  x->Observe(7);
  EXPECT_THAT(Lines(r.Render()),
              UnorderedElementsAre(
                  "# HELP lat_seconds Latency.",
                  "# TYPE lat_seconds histogram",
                  "lat_seconds_bucket{route=\"x\",le=\"0.25\"} 2",
                  "lat_seconds_bucket{route=\"x\",le=\"0.5\"} 3",
                  "lat_seconds_bucket{route=\"x\",le=\"1\"} 3",
                  "lat_seconds_bucket{route=\"x\",le=\"+Inf\"} 4",
                  "lat_seconds_sum{route=\"x\"} 7.75",
                  "lat_seconds_count{route=\"x\"} 4"));
}

TEST(MetricsTest, UnlabeledHistogram) {
  MetricsRegistry r;
  HistogramFamily* h = r.AddHistogram("h", "H.", {}, {1});
  h->WithLabels({})->Observe(2);
  EXPECT_THAT(Lines(r.Render()),
              UnorderedElementsAre("# HELP h H.", "# TYPE h histogram",
                                   "h_bucket{le=\"1\"} 0", "h_bucket{le=\"+Inf\"} 1",
                                   "h_sum 2", "h_count 1"));
}

TEST(MetricsTest, MirroredCountersFollowTheirSource) {
  MetricsRegistry r;
  CounterFamily* c = r.AddCounter("mirrored_total", "M.");
  uint64_t source = 5;
  r.AddCollector([&] { c->WithLabels({})->Set(static_cast<double>(source)); });
  EXPECT_THAT(Lines(r.Render()), Contains("mirrored_total 5"));
  source = 12;
  EXPECT_THAT(Lines(r.Render()), Contains("mirrored_total 12"));
}

TEST(MetricsTest, CollectorsRunBeforeRender) {
  MetricsRegistry r;
  GaugeFamily* g = r.AddGauge("g", "G.");
  int calls = 0;
  r.AddCollector([&] { g->WithLabels({})->Set(++calls); });
  EXPECT_THAT(Lines(r.Render()), Contains("g 1"));
  EXPECT_THAT(Lines(r.Render()), Contains("g 2"));
}

TEST(MetricsTest, ConcurrentUpdatesAreCounted) {
  MetricsRegistry r;
  CounterFamily* c = r.AddCounter("c_total", "C.", {"t"});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([c] {
      for (int j = 0; j < 10000; ++j) c->WithLabels({"x"})->Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->WithLabels({"x"})->Value(), 40000);
}

TEST(MetricsTest, RouteLabelsFollowTempo) {
  EXPECT_EQ(RouteLabel("/api/traces/{traceID}"), "api_traces_traceid");
  EXPECT_EQ(RouteLabel("/api/v2/traces/{traceID}"), "api_v2_traces_traceid");
  EXPECT_EQ(RouteLabel("/api/search/tag/{tagName}/values"),
            "api_search_tag_tagname_values");
  EXPECT_EQ(RouteLabel("/v1/traces"), "v1_traces");
  EXPECT_EQ(
      RouteLabel("/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
      "opentelemetry_proto_collector_trace_v1_traceservice_export");
  EXPECT_EQ(RouteLabel("/ready"), "ready");
}

TEST(MetricsTest, ServerMetricsUseTempoNames) {
  ServerMetrics m({"0.1.0", "abc", "main", "none"}, "single-tenant");
  m.ObserveRequest("GET", "api_traces_traceid", "200", 0.002);
  m.RecordPush("http", "single-tenant", 10, 1000, "ok", true, 2);
  m.RecordPush("grpc", "", 5, 0, "unavailable", false, 0);
  StoreStats stats;
  stats.live_traces = 7;
  stats.traces_created = 9;
  stats.blocks_flushed = 3;
  stats.wal_bytes_written = 4096;
  stats.wal_bytes_on_disk = 1024;
  stats.blocks_in_backend = 2;
  // Discarded spans come from the store's per-tenant, per-reason counts.
  stats.discarded_spans["single-tenant"]["trace_too_large"] = 2;
  m.UpdateFromStore(stats);
  std::string text = m.registry.Render();
  for (const char* line : {
           "tempo_build_info{branch=\"main\",goversion=\"none\",revision="
           "\"abc\","
           "version=\"0.1.0\"} 1\n",
           "tempo_request_duration_seconds_bucket{method=\"GET\",route=\"api_"
           "traces_traceid\",status_code=\"200\",ws=\"false\",le=\"0.005\"} "
           "1\n",
           "tempo_request_duration_seconds_count{method=\"GET\",route=\"api_"
           "traces_traceid\",status_code=\"200\",ws=\"false\"} 1\n",
           "tempo_distributor_spans_received_total{tenant=\"single-tenant\"} "
           "10\n",
           "tempo_distributor_bytes_received_total{tenant=\"single-tenant\"} "
           "1000\n",
           "tempo_receiver_accepted_spans{receiver=\"otlp\",transport=\"http\"}"
           " 10\n",
           "tempo_receiver_refused_spans{receiver=\"otlp\",transport=\"grpc\"} "
           "5\n",
           "andante_distributor_pushes_total{status=\"ok\",transport=\"http\"} "
           "1\n",
           "andante_distributor_pushes_total{status=\"unavailable\",transport="
           "\"grpc\"} 1\n",
           "tempo_discarded_spans_total{reason=\"trace_too_large\",tenant="
           "\"single-tenant\"} 2\n",
           "tempo_ingester_live_traces{tenant=\"single-tenant\"} 7\n",
           "tempo_ingester_traces_created_total{tenant=\"single-tenant\"} 9\n",
           "tempo_ingester_blocks_flushed_total 3\n",
           "andante_wal_bytes_written_total 4096\n",
           "andante_wal_bytes_on_disk 1024\n",
           "tempodb_blocklist_length{tenant=\"single-tenant\"} 2\n",
       }) {
    EXPECT_TRUE(HasText(text, line)) << line << "\n---\n" << text;
  }

  // Per-tenant block counts, compaction and poll counters from the store.
  stats.blocklist_length = {{"single-tenant", 5}, {"team-b", 1}};
  stats.compaction_blocks = 6;
  stats.compaction_objects_written = 40;
  stats.retention_deleted = 2;
  stats.backend_aborted_uploads = 3;
  stats.pending_block_bytes = 512;
  stats.search_blocks = 9;
  stats.search_blocks_skipped = 7;
  stats.search_inspected_bytes = 1234;
  m.UpdateFromStore(stats);
  stats.blocklist_length = {{"single-tenant", 5}};  // team-b's blocks gone
  m.UpdateFromStore(stats);
  text = m.registry.Render();
  for (const char* line : {
           "tempodb_blocklist_length{tenant=\"single-tenant\"} 5\n",
           "tempodb_blocklist_length{tenant=\"team-b\"} 0\n",
           "tempodb_compaction_blocks_total 6\n",
           "tempodb_compaction_objects_written_total 40\n",
           "tempodb_retention_deleted_total 2\n",
           "andante_backend_aborted_uploads_total 3\n",
           "andante_pending_block_bytes 512\n",
           "andante_search_blocks_total 9\n",
           "andante_search_blocks_skipped_total 7\n",
           "andante_search_inspected_bytes_total 1234\n",
       }) {
    EXPECT_TRUE(HasText(text, line)) << line << "\n---\n" << text;
  }
}

// The series the alert rules and monitoring queries of seed 003 name
// (docs/self-monitoring.md): the trace-by-ID route also under its template,
// the ingester push step, the ingester and compactor series.
TEST(MetricsTest, SeedAlertSeries) {
  ServerMetrics m({"0.1.0", "abc", "main", "none"}, "single-tenant");
  m.ObserveRequest("GET", "api_traces_traceid", "404", 0.3);
  m.ObserveRequest("GET", "api_search", "200", 0.3);
  m.ObserveIngesterPush(absl::OkStatus(), 0.004);
  m.ObserveIngesterPush(absl::ResourceExhaustedError("rate limited"), 0.001);
  m.ObserveIngesterPush(absl::CancelledError("gone"), 0.001);
  m.RecordPush("http", "team-a", 10, 1000, "ok", true, 0);
  m.RecordPush("http", "team-a", 10, 500, "resource_exhausted", false, 0);
  StoreStats stats;
  stats.blocks_flushed = 4;
  stats.compaction_blocks = 6;
  stats.compaction_seconds = 0.25;
  m.UpdateFromStore(stats);
  const std::string text = m.registry.Render();
  for (const char* line : {
           "tempo_request_duration_seconds_count{method=\"GET\",route=\"api_"
           "traces_traceid\",status_code=\"404\",ws=\"false\"} 1\n",
           "tempo_request_duration_seconds_count{method=\"GET\",route=\"/api/"
           "traces/{traceID}\",status_code=\"404\",ws=\"false\"} 1\n",
           "tempo_request_duration_seconds_bucket{method=\"gRPC\",route=\"/"
           "tempo.Pusher/PushSpans\",status_code=\"success\",ws=\"false\","
           "le=\"0.005\"} 1\n",
           "tempo_request_duration_seconds_count{method=\"gRPC\",route=\"/"
           "tempo.Pusher/PushSpans\",status_code=\"error\",ws=\"false\"} 1\n",
           "tempo_request_duration_seconds_count{method=\"gRPC\",route=\"/"
           "tempo.Pusher/PushSpans\",status_code=\"cancel\",ws=\"false\"} 1\n",
           // Accepted bytes only.
           "tempo_ingester_bytes_received_total{data_type=\"trace\",tenant="
           "\"team-a\"} 1000\n",
           "tempo_ingester_blocks_total 4\n",
           "tempo_compactor_blocks_compacted_total 6\n",
           "tempo_compactor_compaction_duration_seconds 0.25\n",
       }) {
    EXPECT_TRUE(HasText(text, line)) << line << "\n---\n" << text;
  }
  // Only the aliased routes are reported twice.
  EXPECT_FALSE(HasText(text, "route=\"/api/search\""));
}

}  // namespace
}  // namespace andante::net
