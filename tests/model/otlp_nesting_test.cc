#include "model/otlp_nesting.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/traceql.h"
#include "gtest/gtest.h"
#include "model/otlp_json.h"
#include "model/span_batch.h"
#include "model/trace_combiner.h"
#include "model/trace_json.h"
#include "model/trace_split.h"
#include "nlohmann/json.hpp"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;

const std::string kTraceId(16, '\x7a');

// Sets `v` to `depth` nested key-value lists (or arrays) around "leaf".
void Nest(AnyValue* v, int depth, bool kvlist) {
  for (int i = 0; i < depth; ++i) {
    if (kvlist) {
      auto* kv = v->mutable_kvlist_value()->add_values();
      kv->set_key(absl::StrCat("k", i));
      v = kv->mutable_value();
    } else {
      v = v->mutable_array_value()->add_values();
    }
  }
  v->set_string_value("leaf");
}

// The depth down to the string leaf of a value built by Nest; -1 if the
// shape differs.
int Depth(const AnyValue& value) {
  const AnyValue* v = &value;
  int depth = 0;
  while (!v->has_string_value()) {
    if (v->has_kvlist_value() && v->kvlist_value().values_size() == 1) {
      v = &v->kvlist_value().values(0).value();
    } else if (v->has_array_value() && v->array_value().values_size() == 1) {
      v = &v->array_value().values(0);
    } else {
      return -1;
    }
    ++depth;
  }
  return v->string_value() == "leaf" ? depth : -1;
}

// One span whose attribute, event attribute, link attribute, resource and
// scope attributes all nest `depth` levels.
ExportTraceServiceRequest NestedRequest(int depth, bool kvlist) {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  Nest(rs->mutable_resource()->add_attributes()->mutable_value(), depth,
       kvlist);
  auto* ss = rs->add_scope_spans();
  Nest(ss->mutable_scope()->add_attributes()->mutable_value(), depth, kvlist);
  Span* span = ss->add_spans();
  span->set_trace_id(kTraceId);
  span->set_span_id(std::string(8, '\x01'));
  span->set_name("nested");
  Nest(span->add_attributes()->mutable_value(), depth, kvlist);
  Nest(span->add_events()->add_attributes()->mutable_value(), depth, kvlist);
  auto* link = span->add_links();
  link->set_trace_id(std::string(16, '\x02'));
  link->set_span_id(std::string(8, '\x02'));
  Nest(link->add_attributes()->mutable_value(), depth, kvlist);
  return req;
}

void ExpectNested(const TracesData& trace, int depth) {
  ASSERT_EQ(trace.resource_spans_size(), 1);
  const auto& rs = trace.resource_spans(0);
  EXPECT_EQ(Depth(rs.resource().attributes(0).value()), depth);
  EXPECT_EQ(Depth(rs.scope_spans(0).scope().attributes(0).value()), depth);
  const Span& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(Depth(span.attributes(0).value()), depth);
  EXPECT_EQ(Depth(span.events(0).attributes(0).value()), depth);
  EXPECT_EQ(Depth(span.links(0).attributes(0).value()), depth);
}

// Stores `bytes` as SpanBatch::FromProto does and reads the trace back as
// the read path does.
TracesData StoreAndRead(std::string_view bytes) {
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  EXPECT_TRUE(batch.ok()) << batch.status();
  if (!batch.ok()) return {};
  const auto& fragments = GetSpanBatchRep(*batch).fragments;
  EXPECT_EQ(fragments.size(), 1u);
  TraceCombiner combiner(fragments.at(0).id);
  EXPECT_TRUE(combiner.Add(fragments.at(0).data).ok());
  uint64_t spans = 0;
  TracesData trace = combiner.Finish(&spans);
  EXPECT_EQ(spans, 1u);
  return trace;
}

TEST(OtlpNestingTest, LimitsCoverTheAdvertisedNesting) {
  // The deepest attribute (event or link) value sits at 6; key-value lists
  // cost 3 levels each, arrays 2 (otlp_nesting.h).
  static_assert(6 + 3 * kMinAnyValueNesting <= kMaxOtlpMessageDepth);
  // In JSON the event value object is at 12 and a list level costs 4.
  static_assert(12 + 4 * kMinAnyValueNesting <= kMaxOtlpJsonDepth);
}

TEST(OtlpNestingTest, ProtobufNestingOf100IsStoredAndReadBack) {
  for (bool kvlist : {true, false}) {
    for (int depth : {31, 32, 50, kMinAnyValueNesting}) {
      SCOPED_TRACE(::testing::Message()
                   << (kvlist ? "kvlist " : "array ") << depth);
      const std::string bytes =
          NestedRequest(depth, kvlist).SerializeAsString();
      // protobuf's default recursion limit (100) is what used to refuse it.
      if (kvlist && depth >= 32) {
        EXPECT_FALSE(ExportTraceServiceRequest().ParseFromString(bytes));
      }
      ExportTraceServiceRequest parsed;
      ASSERT_TRUE(ParseOtlpMessage(bytes, &parsed));
      std::vector<TraceFragment> fragments;
      EXPECT_TRUE(SplitSerializedByTrace(bytes, &fragments));
      ExpectNested(StoreAndRead(bytes), depth);
    }
  }
}

// The whole promise, through a store: pushed, flushed into a block of
// each version (v2's columns and its wire-bytes encoder included), found
// by ID from the block, next to an ordinary trace of the same block.
TEST(OtlpNestingTest, NestingOf100SurvivesEveryBlockVersion) {
  for (uint32_t version : {1u, 2u}) {
    for (bool kvlist : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "v" << version
                                      << (kvlist ? " kvlist" : " array"));
      ::andante::testing::TempDir dir("andante-nesting");
      StoreOptions options = ::andante::testing::TestStoreOptions(
          dir.path(), std::shared_ptr<Backend>(OpenMemoryBackend()));
      options.block.version = version;
      absl::StatusOr<std::unique_ptr<Store>> store =
          Store::Open(std::move(options));
      ASSERT_TRUE(store.ok()) << store.status();
      ExportTraceServiceRequest plain = NestedRequest(1, kvlist);
      const std::string plain_id(16, '\x11');
      plain.mutable_resource_spans(0)
          ->mutable_scope_spans(0)
          ->mutable_spans(0)
          ->set_trace_id(plain_id);
      for (const ExportTraceServiceRequest& request :
           {NestedRequest(kMinAnyValueNesting, kvlist), plain}) {
        absl::StatusOr<SpanBatch> batch =
            SpanBatch::FromProto(request.SerializeAsString());
        ASSERT_TRUE(batch.ok()) << batch.status();
        ASSERT_TRUE((*store)->Push(kSingleTenant, *batch).ok());
      }
      ASSERT_TRUE((*store)->Flush().ok());
      EXPECT_EQ((*store)->Stats().blocks_flushed, 1u);
      for (const auto& [id, depth] :
           {std::pair{kTraceId, kMinAnyValueNesting}, std::pair{plain_id, 1}}) {
        absl::StatusOr<TraceId> trace_id = TraceId::FromBytes(id);
        ASSERT_TRUE(trace_id.ok());
        absl::StatusOr<FoundTrace> found =
            (*store)->FindTraceById(kSingleTenant, *trace_id);
        ASSERT_TRUE(found.ok()) << found.status();
        ASSERT_EQ(found->span_count, 1u);
        TracesData trace;
        ASSERT_TRUE(ParseOtlpMessage(found->SerializeAsTracesData(), &trace));
        ExpectNested(trace, depth);
      }
      // Search reads the block too: both traces match, the deep one too.
      for (const char* q : {R"({ name = "nested" })",
                            R"({ name =~ "nest.*" && kind = unspecified })"}) {
        SCOPED_TRACE(q);
        absl::StatusOr<traceql::Query> query = traceql::Query::Parse(q);
        ASSERT_TRUE(query.ok()) << query.status();
        SearchOptions search;
        search.limit = 10;
        absl::StatusOr<SearchResult> result =
            (*store)->Search(kSingleTenant, *query, search);
        ASSERT_TRUE(result.ok()) << result.status();
        EXPECT_EQ(result->traces.size(), 2u);
      }
    }
  }
}

TEST(OtlpNestingTest, QueryResponsesKeepTheWholeNesting) {
  const std::string bytes =
      NestedRequest(kMinAnyValueNesting, true).SerializeAsString();
  const TracesData trace = StoreAndRead(bytes);
  // Protobuf responses parse back (with the raised limit).
  TracesData v1;
  ASSERT_TRUE(ParseOtlpMessage(TraceToProtoV1(trace), &v1));
  ExpectNested(v1, kMinAnyValueNesting);
  // JSON responses hold every level down to the leaf.
  const auto json = nlohmann::json::parse(TraceToJsonV1(trace));
  const nlohmann::json* v = &json["batches"][0]["scopeSpans"][0]["spans"][0]
                                 ["events"][0]["attributes"][0]["value"];
  int depth = 0;
  while (v->contains("kvlistValue")) {
    v = &(*v)["kvlistValue"]["values"][0]["value"];
    ++depth;
  }
  EXPECT_EQ(depth, kMinAnyValueNesting);
  EXPECT_EQ((*v)["stringValue"], "leaf");
  EXPECT_NE(TraceByIdResponseJsonV2(trace, 1).find("\"leaf\""),
            std::string::npos);
}

TEST(OtlpNestingTest, DeeperProtobufIsRefusedNamingTheLimit) {
  // Event attribute lists: 6 + 3 * 105 = 321 levels.
  const std::string bytes = NestedRequest(105, true).SerializeAsString();
  std::vector<TraceFragment> fragments;
  EXPECT_FALSE(SplitSerializedByTrace(bytes, &fragments));
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.status().message(),
            "proto: cannot parse invalid wire-format data: messages nested "
            "deeper than 320 levels");
  ExportTraceServiceRequest parsed;
  EXPECT_EQ(ParseOtlpRequest(bytes, &parsed).message(),
            batch.status().message());
}

TEST(OtlpNestingTest, HostileNestingNeverExhaustsTheStack) {
  // A million levels of AnyValue{array_value{values{...}}}, written from the
  // inside out: protobuf and the walkers must stop at their limits.
  constexpr int kLevels = 1000000;
  std::string buf(kLevels * 12 + 64, '\0');
  size_t pos = buf.size();
  auto prepend_header = [&](int field, size_t length) {
    char varint[10];
    int n = 0;
    do {
      varint[n++] =
          static_cast<char>((length & 0x7f) | (length > 0x7f ? 0x80 : 0));
      length >>= 7;
    } while (length != 0);
    pos -= n;
    std::copy(varint, varint + n, buf.begin() + pos);
    buf[--pos] = static_cast<char>(field << 3 | 2);
  };
  const size_t end = buf.size();
  for (int i = 0; i < kLevels; ++i) {
    prepend_header(1, end - pos);  // ArrayValue.values
    prepend_header(5, end - pos);  // AnyValue.array_value
  }
  // KeyValue{value}, Span{attributes, ids}, ScopeSpans, ResourceSpans, request.
  std::string value = buf.substr(pos);
  auto len = [](int field, const std::string& payload) {
    std::string out(1, static_cast<char>(field << 3 | 2));
    size_t n = payload.size();
    do {
      out.push_back(static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0)));
      n >>= 7;
    } while (n != 0);
    out.append(payload);
    return out;
  };
  const std::string span =
      len(1, kTraceId) + len(2, std::string(8, '\x01')) + len(9, len(2, value));
  const std::string request = len(1, len(2, len(2, span)));
  std::vector<TraceFragment> fragments;
  EXPECT_FALSE(SplitSerializedByTrace(request, &fragments));
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(request);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("nested deeper than 320"),
            std::string::npos)
      << batch.status();
  TraceCombiner combiner;
  EXPECT_FALSE(combiner.Add(request).ok());
}

// The request as OTLP/JSON, nesting `depth` lists in the span's event.
std::string NestedJson(int depth) {
  std::string value = R"({"stringValue":"leaf"})";
  for (int i = depth - 1; i >= 0; --i) {
    value = absl::StrCat(R"({"kvlistValue":{"values":[{"key":"k)", i,
                         R"(","value":)", value, "}]}}");
  }
  return absl::StrCat(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":")",
      std::string(32, 'a'), R"(","spanId":"0102030405060708","name":"n",)",
      R"("events":[{"name":"e","attributes":[{"key":"deep","value":)", value,
      "}]}]}]}]}]}");
}

TEST(OtlpNestingTest, JsonNestingOf100IsAcceptedAndStored) {
  for (int depth : {13, 14, 50, kMinAnyValueNesting}) {
    SCOPED_TRACE(depth);
    ExportTraceServiceRequest req;
    absl::Status s = ParseOtlpJson(NestedJson(depth), &req);
    ASSERT_TRUE(s.ok()) << s;
    const auto& event = req.resource_spans(0).scope_spans(0).spans(0).events(0);
    EXPECT_EQ(Depth(event.attributes(0).value()), depth);
    // What JSON accepts is storable as protobuf.
    const TracesData trace = StoreAndRead(req.SerializeAsString());
    EXPECT_EQ(Depth(trace.resource_spans(0)
                        .scope_spans(0)
                        .spans(0)
                        .events(0)
                        .attributes(0)
                        .value()),
              depth);
  }
  // Past the limit (12 + 4 * 103 = 424 levels): refused, naming it.
  ExportTraceServiceRequest req;
  absl::Status s = ParseOtlpJson(NestedJson(103), &req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid JSON: JSON nesting deeper than 420 levels");
}

}  // namespace
}  // namespace andante::internal
