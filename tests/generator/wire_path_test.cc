// Differential test of the generator's two input paths: MetricsGenerator::
// PushWire (the ingest tap: the processors read a view walked straight from
// the OTLP wire bytes) must produce exactly the series, values, exemplars
// and service-graph edges that Push of the parsed request produces. Inputs
// are the load generator's traces, randomly mutated: attributes of every
// AnyValue type, duplicated keys, missing service names and statuses, odd
// enum values, unknown fields, sampling ratios, spans outside the time
// window, database and peer attributes for virtual nodes.
//
// A second differential test checks the processors' per-batch grouping of
// registry updates (one update per label set per batch) against one
// registry update per span, under a series limit that overflows.
//
// The third path: the store's split of the pushed bytes records the view
// (SplitSerializedByTrace with a view), and the generator tapped on the
// store reads it instead of walking the bytes again. The recorded view must
// be FromWire's, field by field, and the series those of the walked bytes.
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "andante/otlp.h"
#include "andante/metrics_generator.h"
#include "andante/metrics_registry.h"
#include "andante/service_graph.h"
#include "andante/span_metrics.h"
#include "andante/span_tap.h"
#include "andante/store.h"
#include "bench/loadgen/trace_factory.h"
#include "generator/processor_views.h"
#include "generator/span_batch_view.h"
#include "gtest/gtest.h"
#include "model/span_batch_view.h"
#include "model/trace_split.h"
#include "tests/testing/proto_wire.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::common::v1::AnyValue;
using andante::otlp::common::v1::KeyValue;
using andante::otlp::trace::v1::Span;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// Keys the options below look at, plus noise.
const char* const kKeys[] = {"http.method",
                             "deployment.environment",
                             "attr.any",
                             "sampling.ratio",
                             "peer.service",
                             "db.name",
                             "db.system",
                             "server.address",
                             "network.peer.address",
                             "network.peer.port",
                             "service.namespace",
                             "service.instance.id",
                             "noise",
                             "9starts.with.digit"};

void RandomValue(std::mt19937_64& rng, AnyValue* v, int depth = 0) {
  switch (rng() % (depth < 2 ? 9 : 7)) {
    case 0:
      v->set_string_value(absl::StrCat("s", rng() % 5));
      break;
    case 1:
      v->set_bool_value(rng() % 2 == 0);
      break;
    case 2:
      v->set_int_value(static_cast<int64_t>(rng() % 7) - 2);
      break;
    case 3:
      v->set_double_value(static_cast<double>(rng() % 9) / 4 - 0.5);
      break;
    case 4:
      v->set_bytes_value(std::string("\x01\x00\xff", 3));
      break;
    case 5:
      v->set_string_value("");
      break;
    case 6:
      break;  // no value at all
    case 7:
      for (int i = 0; i < 2; ++i) {
        RandomValue(rng, v->mutable_array_value()->add_values(), depth + 1);
      }
      break;
    case 8: {
      KeyValue* kv = v->mutable_kvlist_value()->add_values();
      kv->set_key("k");
      RandomValue(rng, kv->mutable_value(), depth + 1);
      break;
    }
  }
}

void AddRandomAttr(std::mt19937_64& rng,
                   google::protobuf::RepeatedPtrField<KeyValue>* attrs) {
  KeyValue* kv = attrs->Add();
  kv->set_key(kKeys[rng() % std::size(kKeys)]);
  RandomValue(rng, kv->mutable_value());
}

// Appends unknown fields to `m` (kept by the parse and re-serialized at the
// end, so the span's ByteSizeLong and its wire length agree).
template <class M>
void AddUnknownFields(M* m) {
  std::string bytes = m->SerializeAsString();
  bytes += std::string("\xf8\x06\x07", 3);              // field 111 varint
  bytes += std::string("\x82\x07\x02hi", 5);            // field 112 bytes
  bytes += std::string("\x8d\x07\x01\x02\x03\x04", 6);  // field 113 fixed32
  ASSERT_TRUE(m->ParseFromString(bytes));
}

ExportTraceServiceRequest Mutated(std::mt19937_64& rng,
                                  loadgen::TraceFactory& factory) {
  ExportTraceServiceRequest req = factory.BuildBatch(100, kNow, nullptr);
  for (auto& rs : *req.mutable_resource_spans()) {
    auto* res_attrs = rs.mutable_resource()->mutable_attributes();
    if (rng() % 10 == 0) res_attrs->Clear();  // no service.name
    for (int i = rng() % 3; i > 0; --i) AddRandomAttr(rng, res_attrs);
    if (rng() % 8 == 0) AddUnknownFields(rs.mutable_resource());
    for (auto& ss : *rs.mutable_scope_spans()) {
      for (Span& span : *ss.mutable_spans()) {
        for (int i = rng() % 4; i > 0; --i) {
          AddRandomAttr(rng, span.mutable_attributes());
        }
        switch (rng() % 16) {
          case 0:
            span.clear_status();
            break;
          case 1:
            span.mutable_status()->set_message("boom");
            break;
          case 2:
            span.set_kind(static_cast<Span::SpanKind>(9));  // unknown value
            break;
          case 3:
            span.mutable_status()->set_code(
                static_cast<
                    andante::otlp::trace::v1::Status::StatusCode>(7));
            break;
          case 4:  // ended long ago: outside the slack
            span.set_end_time_unix_nano(span.start_time_unix_nano() -
                                        3600'000'000'000ull);
            break;
          case 5:
            span.clear_name();
            break;
          case 6:
            AddUnknownFields(&span);
            break;
          case 7:
            span.clear_end_time_unix_nano();
            break;
          default:
            break;
        }
      }
    }
  }
  return req;
}

std::vector<std::string> Flatten(
    const std::vector<MetricsGenerator::TenantSamples>& all) {
  std::vector<std::string> out;
  for (const auto& t : all) {
    for (const CollectedSample& s : t.samples) {
      std::string line = absl::StrCat(t.tenant, " ");
      for (const auto& [k, v] : s.labels)
        absl::StrAppend(&line, k, "=", v, ",");
      absl::StrAppend(&line, " ", s.value, " @", s.timestamp_ms);
      if (s.exemplar) {
        absl::StrAppend(&line, " # ");
        for (const auto& [k, v] : s.exemplar->labels) {
          absl::StrAppend(&line, k, "=", v);
        }
        absl::StrAppend(&line, " ", s.exemplar->value);
      }
      out.push_back(std::move(line));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

MetricsGeneratorOptions Options(bool prefix) {
  MetricsGeneratorOptions o;
  o.processors = {"span-metrics", "service-graphs"};
  o.span_metrics.dimensions = {"http.method", "deployment.environment",
                               "attr.any", "db.system"};
  o.span_metrics.intrinsic_dimensions.status_message = true;
  o.span_metrics.enable_target_info = true;
  o.span_metrics.span_multiplier_key = "sampling.ratio";
  o.service_graphs.dimensions = {"deployment.environment", "attr.any"};
  o.service_graphs.enable_client_server_prefix = prefix;
  o.service_graphs.enable_virtual_node_label = true;
  o.service_graphs.span_multiplier_key = "sampling.ratio";
  o.service_graphs.max_items = 40;  // some spans are dropped
  return o;
}

class WirePathTest : public ::testing::TestWithParam<bool> {};

TEST_P(WirePathTest, WireBytesAndParsedTreeProduceTheSameSeries) {
  auto tree = MetricsGenerator::Create(Options(GetParam()));
  auto wire = MetricsGenerator::Create(Options(GetParam()));
  ASSERT_TRUE(tree.ok() && wire.ok());
  std::mt19937_64 rng(GetParam() ? 7 : 11);
  loadgen::TraceFactory factory(GetParam() ? 3 : 5);
  for (int i = 0; i < 12; ++i) {
    const ExportTraceServiceRequest req = Mutated(rng, factory);
    const std::string tenant = i % 3 == 0 ? "a" : "b";
    PushRequest(tree->get(), tenant, req, kNow);
    ASSERT_TRUE((*wire)->PushWire(tenant, req.SerializeAsString(), kNow));
  }
  const absl::Time later = kNow + absl::Minutes(1);
  (*tree)->ExpireEdges(later);
  (*wire)->ExpireEdges(later);
  const std::vector<std::string> want = Flatten((*tree)->Collect(later));
  const std::vector<std::string> got = Flatten((*wire)->Collect(later));
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "sample " << i;
  }
  // Same lines (series order follows each registry's hash table).
  auto lines = [](const std::string& text) {
    std::vector<std::string> v = absl::StrSplit(text, '\n');
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_TRUE(lines((*wire)->ExpositionText()) ==
              lines((*tree)->ExpositionText()));

  // The inputs reached every feature compared above.
  auto has = [&](std::string_view needle) {
    return std::any_of(want.begin(), want.end(), [&](const std::string& l) {
      return l.find(needle) != std::string::npos;
    });
  };
  EXPECT_GT(want.size(), 1000u);
  EXPECT_TRUE(has("traces_spanmetrics_size_total"));
  EXPECT_TRUE(has("traces_target_info"));
  EXPECT_TRUE(has(" # traceID="));
  EXPECT_TRUE(has("connection_type=virtual_node"));
  EXPECT_TRUE(has("connection_type=database"));
  EXPECT_TRUE(has("traces_service_graph_request_total"));
  EXPECT_TRUE(has("traces_service_graph_dropped_spans_total"));
  EXPECT_TRUE(has("traces_service_graph_unpaired_spans_total"));
  EXPECT_TRUE(has("status_message=boom"));
  EXPECT_TRUE(has("attr_any=[")) << "array values stringified";
  EXPECT_TRUE(has("attr_any={")) << "kvlist values stringified";
}

INSTANTIATE_TEST_SUITE_P(ClientServerPrefix, WirePathTest, ::testing::Bool());

TEST(WirePathTest, MalformedBytesAreRefusedAndCountNothing) {
  auto g = MetricsGenerator::Create(Options(false));
  ASSERT_TRUE(g.ok());
  loadgen::TraceFactory factory(1);
  const std::string bytes =
      factory.BuildBatch(20, kNow, nullptr).SerializeAsString();
  EXPECT_FALSE((*g)->PushWire("t", bytes.substr(0, bytes.size() - 3), kNow));
  EXPECT_FALSE((*g)->PushWire("t", "\x0a\x05\x0a", kNow));  // length overruns
  EXPECT_FALSE((*g)->PushWire("t", std::string("\x00", 1), kNow));  // field 0
  EXPECT_EQ((*g)->active_series(), 0);
  EXPECT_TRUE((*g)->PushWire("t", bytes, kNow));
  EXPECT_GT((*g)->active_series(), 0);
}

// A group among unknown fields (wire types 3 and 4), which protobuf accepts
// and the wire reader declines: PushWire parses such bytes instead, so the
// tap still counts them, exactly as PushRequest of the parsed request does.
TEST(WirePathTest, BytesTheReaderDeclinesAreParsed) {
  auto wire = MetricsGenerator::Create(Options(false));
  auto tree = MetricsGenerator::Create(Options(false));
  ASSERT_TRUE(wire.ok() && tree.ok());
  loadgen::TraceFactory factory(1);
  const ExportTraceServiceRequest req = factory.BuildBatch(20, kNow, nullptr);
  // Field 99: start group (99 << 3 | 3 = 795), end group (796), as varints.
  const std::string bytes = req.SerializeAsString() + "\x9b\x06\x9c\x06";
  ExportTraceServiceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes)) << "protobuf accepts the group";
  internal::SpanBatchView view;
  ASSERT_FALSE(view.FromWire(bytes)) << "the wire reader declines it";
  EXPECT_TRUE((*wire)->PushWire("t", bytes, kNow));
  PushRequest(tree->get(), "t", req, kNow);
  EXPECT_GT((*wire)->active_series(), 0);
  EXPECT_EQ(Flatten((*wire)->Collect(kNow)), Flatten((*tree)->Collect(kNow)));
}

// The processors group a batch's updates by label set before they reach the
// registry; feeding them the same spans one at a time (every other span of
// the view marked skip) gives the ungrouped, span-by-span order. Both must
// give the same samples, exemplars, exposition and overflow count, also when
// max_active_series overflows part-way through a batch. Without dimensions
// the processors also find a batch's repeated label sets by the identity of
// their values (no labels built); the second parameter clears them.
class BatchGroupingTest
    : public ::testing::TestWithParam<std::tuple<int64_t, bool>> {};

TEST_P(BatchGroupingTest, GroupedUpdatesEqualSpanBySpanUpdates) {
  const auto [limit, dimensions] = GetParam();
  RegistryOptions ro;
  ro.max_active_series = limit;
  MetricsRegistry grouped_reg(ro), single_reg(ro);
  MetricsGeneratorOptions o = Options(limit % 2 == 0);
  if (!dimensions) {
    o.span_metrics.dimensions.clear();
    o.service_graphs.dimensions.clear();
  }
  SpanMetricsProcessor grouped_sm(o.span_metrics, &grouped_reg);
  SpanMetricsProcessor single_sm(o.span_metrics, &single_reg);
  ServiceGraphProcessor grouped_sg(o.service_graphs, &grouped_reg);
  ServiceGraphProcessor single_sg(o.service_graphs, &single_reg);
  std::mt19937_64 rng(static_cast<uint64_t>(limit));
  loadgen::TraceFactory factory(9);
  internal::SpanBatchView view;
  for (int i = 0; i < 8; ++i) {
    const std::string bytes = Mutated(rng, factory).SerializeAsString();
    ASSERT_TRUE(view.FromWire(bytes));
    ProcessorViews::Push(grouped_sm, view, kNow);
    ProcessorViews::Push(grouped_sg, view, kNow);
    // As MetricsGenerator runs them: span metrics over the whole batch,
    // then service graphs.
    for (int processor = 0; processor < 2; ++processor) {
      for (size_t k = 0; k < view.spans().size(); ++k) {
        for (size_t j = 0; j < view.spans().size(); ++j) {
          view.spans()[j].skip = j != k;
        }
        if (processor == 0) {
          ProcessorViews::Push(single_sm, view, kNow);
        } else {
          ProcessorViews::Push(single_sg, view, kNow);
        }
      }
    }
  }
  // The service graph pairs a batch's spans among themselves first; one
  // span a push pairs every span against the edges kept across pushes.
  EXPECT_EQ(grouped_sg.pending_edges(), single_sg.pending_edges());
  EXPECT_EQ(grouped_sg.dropped_spans(), single_sg.dropped_spans());
  EXPECT_GT(single_sg.dropped_spans(), 0) << "max_items was reached";
  const absl::Time later = kNow + absl::Minutes(1);
  grouped_sg.Expire(later);
  single_sg.Expire(later);
  EXPECT_EQ(grouped_sg.expired_edges(), single_sg.expired_edges());
  EXPECT_EQ(grouped_reg.overflowed(), single_reg.overflowed());
  EXPECT_EQ(grouped_reg.active_series(), single_reg.active_series());
  auto flat = [&](MetricsRegistry& r) {
    MetricsGenerator::TenantSamples t;
    t.tenant = "t";
    t.samples = r.Collect(later);
    return Flatten({t});
  };
  const std::vector<std::string> want = flat(single_reg);
  const std::vector<std::string> got = flat(grouped_reg);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "sample " << i;
  }
  auto lines = [](const std::string& text) {
    std::vector<std::string> v = absl::StrSplit(text, '\n');
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_TRUE(lines(grouped_reg.ExpositionText()) ==
              lines(single_reg.ExpositionText()));
  auto has = [&](std::string_view needle) {
    return std::any_of(want.begin(), want.end(), [&](const std::string& l) {
      return l.find(needle) != std::string::npos;
    });
  };
  EXPECT_GT(want.size(), 200u);
  EXPECT_TRUE(has(" # traceID="));
  EXPECT_TRUE(has("traces_target_info"));
  EXPECT_TRUE(has("connection_type=database"));
  if (limit > 0) {
    EXPECT_GT(grouped_reg.overflowed(), 0) << "the limit was reached";
    EXPECT_TRUE(has("metric_overflow=true"));
  }
}

// 0: no limit; 1500 and 4001: the limit is reached part-way. Without
// dimensions under a limit, several label sets of a batch fold into one
// overflow series, which must still see their updates span by span (the
// registry's LabelSetUpdates::order): the same float sums, the same last
// exemplar.
INSTANTIATE_TEST_SUITE_P(
    SeriesLimit, BatchGroupingTest,
    ::testing::Values(std::make_tuple(0, true), std::make_tuple(0, false),
                      std::make_tuple(1500, true), std::make_tuple(1500, false),
                      std::make_tuple(4001, true),
                      std::make_tuple(4001, false)));

// ---------------------------------------------------------------------------
// The view recorded by the store's split.

using ::andante::testing::Key;
using ::andante::testing::Len;
using ::andante::testing::Varint;

// A span whose encoding repeats fields (name, span_id, status: the last
// scalar wins, statuses merge), puts a KeyValue's value before its key and
// sends the kind as a long varint.
std::string OddSpan(char id) {
  Span span;
  span.set_trace_id(std::string(16, id));
  span.set_span_id(std::string(8, 'x'));
  span.set_name("first");
  span.set_kind(Span::SPAN_KIND_SERVER);
  span.set_start_time_unix_nano(1);
  span.set_end_time_unix_nano(2'000'000);
  span.mutable_status()->set_message("first message");
  span.mutable_status()->set_code(
      andante::otlp::trace::v1::Status::STATUS_CODE_ERROR);
  KeyValue* kv = span.add_attributes();
  kv->set_key("http.method");
  kv->mutable_value()->set_string_value("GET");
  AnyValue value;
  value.set_string_value("late key");
  return span.SerializeAsString() + Len(5, "second") +
         Len(2, std::string(8, id)) +
         Len(15, Key(3, 0) + Varint(1)) +  // code only: message stays
         Len(9, Len(2, value.SerializeAsString()) +
                           Len(1, "attr.any")) +
         Key(6, 0) + Varint(300) + Len(4, std::string(8, 'p'));
}

// A request of odd but valid shapes: a ResourceSpans without a resource,
// one with only the pre-1.0 instrumentation_library_spans (field 1000,
// which the split stores and the generator's view leaves out), one with an
// unknown field, and OddSpan's encodings.
std::string OddRequest() {
  andante::otlp::resource::v1::Resource resource;
  KeyValue* kv = resource.add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("odd");
  const std::string scope_spans = Len(2, OddSpan('a'));
  std::string req;
  req += Len(1, Len(1, resource.SerializeAsString()) +
                           Len(2, scope_spans) + Key(9, 0) + Varint(5));
  req += Len(1, Len(2, Len(2, OddSpan('b'))));
  req += Len(1, Len(1, resource.SerializeAsString()) +
                           Len(1000, Len(2, OddSpan('c'))));
  return req;
}

// Same views: every field equal, every string a view of the same bytes.
void ExpectSameView(const internal::SpanBatchView& got,
                    const internal::SpanBatchView& want) {
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && (a.empty() || a.data() == b.data());
  };
  ASSERT_EQ(got.resources().size(), want.resources().size());
  for (size_t i = 0; i < want.resources().size(); ++i) {
    EXPECT_EQ(got.resources()[i].attr_begin, want.resources()[i].attr_begin);
    EXPECT_EQ(got.resources()[i].attr_end, want.resources()[i].attr_end);
  }
  ASSERT_EQ(got.spans().size(), want.spans().size());
  for (size_t i = 0; i < want.spans().size(); ++i) {
    const internal::SpanView& g = got.spans()[i];
    const internal::SpanView& w = want.spans()[i];
    EXPECT_TRUE(same(g.trace_id, w.trace_id)) << i;
    EXPECT_TRUE(same(g.span_id, w.span_id)) << i;
    EXPECT_TRUE(same(g.parent_span_id, w.parent_span_id)) << i;
    EXPECT_TRUE(same(g.name, w.name)) << i;
    EXPECT_TRUE(same(g.status_message, w.status_message)) << i;
    EXPECT_EQ(g.kind, w.kind) << i;
    EXPECT_EQ(g.status_code, w.status_code) << i;
    EXPECT_EQ(g.start_ns, w.start_ns) << i;
    EXPECT_EQ(g.end_ns, w.end_ns) << i;
    EXPECT_EQ(g.size, w.size) << i;
    EXPECT_EQ(g.resource, w.resource) << i;
    EXPECT_EQ(g.attr_begin, w.attr_begin) << i;
    EXPECT_EQ(g.attr_end, w.attr_end) << i;
    EXPECT_EQ(g.skip, w.skip) << i;
  }
  ASSERT_EQ(got.attr_count(), want.attr_count());
  for (uint32_t i = 0; i < want.attr_count(); ++i) {
    EXPECT_TRUE(same(got.attrs_begin(i)->key, want.attrs_begin(i)->key)) << i;
    EXPECT_TRUE(same(got.attrs_begin(i)->wire, want.attrs_begin(i)->wire))
        << i;
    EXPECT_EQ(got.attrs_begin(i)->tree, nullptr);
  }
}

TEST(RecordedViewTest, SplitRecordsWhatFromWireReads) {
  std::mt19937_64 rng(3);
  loadgen::TraceFactory factory(4);
  std::vector<std::string> requests = {OddRequest()};
  for (int i = 0; i < 10; ++i) {
    requests.push_back(Mutated(rng, factory).SerializeAsString());
  }
  internal::SpanBatchView recorded, wire;
  std::vector<internal::TraceFragment> fragments;
  for (const std::string& bytes : requests) {
    ASSERT_TRUE(internal::SplitSerializedByTrace(bytes, &fragments, &recorded));
    ASSERT_TRUE(wire.FromWire(bytes));
    ExpectSameView(recorded, wire);
  }
  // The odd request's spans read as the last occurrences say.
  ASSERT_TRUE(
      internal::SplitSerializedByTrace(requests[0], &fragments, &recorded));
  ASSERT_EQ(recorded.resources().size(), 3u);
  ASSERT_EQ(recorded.spans().size(), 2u) << "the legacy field is left out";
  const internal::SpanView& s = recorded.spans()[0];
  EXPECT_EQ(s.name, "second");
  EXPECT_EQ(s.span_id, std::string(8, 'a'));
  EXPECT_EQ(s.status_message, "first message");
  EXPECT_EQ(s.status_code, 1);
  EXPECT_EQ(s.kind, 300);
  EXPECT_EQ(s.parent_span_id, std::string(8, 'p'));
  ASSERT_EQ(s.attr_end - s.attr_begin, 2u);
  EXPECT_EQ(recorded.attrs_begin(s.attr_begin + 1)->key, "attr.any");
  EXPECT_EQ(recorded.spans()[1].resource, 1u);
  EXPECT_EQ(fragments.size(), 3u) << "the split keeps the legacy span";
}

// A tap beside the generator: whether the store handed it a recorded view.
class ViewProbe : public SpanTap {
 public:
  void OnSpans(std::string_view, std::string_view request) override {
    ++calls;
    if (internal::RecordedViewOf(request) != nullptr) ++with_view;
  }
  int calls = 0, with_view = 0;
};

TEST(RecordedViewTest, StoreTapGivesTheGeneratorTheRecordedView) {
  testing::TempDir tmp("andante-recorded-view");
  auto store =
      Store::Open(testing::TestStoreOptions(tmp.path(), OpenMemoryBackend()));
  ASSERT_TRUE(store.ok()) << store.status();
  loadgen::TraceFactory factory(6);
  std::mt19937_64 rng(6);
  ViewProbe probe;
  (*store)->AddSpanTap(&probe);
  auto push = [&](const std::string& bytes) {
    absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_TRUE((*store)->Push("t", *batch).ok());
  };
  // Nobody asked for views: none is recorded.
  push(factory.BuildBatch(10, kNow, nullptr).SerializeAsString());
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.with_view, 0);

  // The tap runs at absl::Now(): no time window, so both count every span.
  MetricsGeneratorOptions o = Options(false);
  o.ingestion_time_range_slack = absl::ZeroDuration();
  // `walked` reads the bytes themselves (PushWire outside a tap), the plain
  // path: the same series exactly, also for OddRequest's non-canonical
  // encoding (whose spans' sizes differ from the parsed tree's).
  auto tapped = MetricsGenerator::Create(o);
  auto walked = MetricsGenerator::Create(o);
  ASSERT_TRUE(tapped.ok() && walked.ok());
  (*store)->AddSpanTap(tapped->get());
  std::vector<std::string> requests = {OddRequest()};
  for (int i = 0; i < 12; ++i) {
    requests.push_back(Mutated(rng, factory).SerializeAsString());
  }
  for (const std::string& bytes : requests) {
    push(bytes);
    // At the tap's clock, so that no series is stale for one of them.
    ASSERT_TRUE((*walked)->PushWire("t", bytes, absl::Now()));
  }
  (*store)->RemoveSpanTap(tapped->get());
  (*store)->RemoveSpanTap(&probe);
  EXPECT_EQ(probe.calls, 1 + static_cast<int>(requests.size()));
  EXPECT_EQ(probe.with_view, static_cast<int>(requests.size()));

  const absl::Time later = absl::Now() + absl::Minutes(1);
  (*tapped)->ExpireEdges(later);
  (*walked)->ExpireEdges(later);
  const std::vector<std::string> want = Flatten((*walked)->Collect(later));
  const std::vector<std::string> got = Flatten((*tapped)->Collect(later));
  EXPECT_GT(want.size(), 1000u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "sample " << i;
  }
}

}  // namespace
}  // namespace andante
