// Tags and tag values of complete v2 blocks answered from their tag summaries
// (the `tags` object, block/tag_summary.h) against the same requests
// answered from the blocks' data (the path of blocks written before
// summaries, taken here by deleting the objects): equal answers over every
// scope, typed values, arrays, events, links, intrinsics and names with more
// values than a summary keeps; a damaged summary is logged, counted and
// read around.
#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "andante/backend.h"
#include "andante/search.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/traceql.h"
#include "block/block_format.h"
#include "block/v2_block_writer.h"
#include "gtest/gtest.h"
#include "query/tag_summaries.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using andante::otlp::common::v1::AnyValue;
using andante::otlp::common::v1::KeyValue;
using andante::otlp::trace::v1::Span;

constexpr uint64_t kBase = 1'700'000'000'000'000'000ull;  // ns

// More distinct values than a summary keeps for one name.
constexpr int kUserIds = internal::kTagSummaryMaxValuesPerName + 200;

KeyValue* Attr(google::protobuf::RepeatedPtrField<KeyValue>* attrs,
               const std::string& key) {
  KeyValue* kv = attrs->Add();
  kv->set_key(key);
  return kv;
}

// Every tags request and the answer, as text, in a fixed order.
struct Answers {
  std::vector<std::string> lines;
  uint64_t inspected_bytes = 0;
  bool operator==(const Answers& o) const { return lines == o.lines; }
};

class TagSummaryTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    internal::SetV2KeyedSpanAttributesForTesting(GetParam());
    backend_ = OpenMemoryBackend();
    StoreOptions options = testing::TestStoreOptions(tmp_.path(), backend_);
    ASSERT_EQ(options.block.version, 2u);
    auto store = Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    Push();
    ASSERT_TRUE(store_->Flush().ok());
    ASSERT_GT(store_->Stats().blocks_flushed, 0u);
    query::DropTagCachesForTesting();
  }
  void TearDown() override {
    internal::SetV2KeyedSpanAttributesForTesting(true);
    query::DropTagCachesForTesting();
  }

  // Varied traces: three services with typed resource attributes, two
  // scopes with attributes, typed span attributes (arrays, kvlists, values
  // without a value), events and links with attributes, every status and
  // several kinds, a trace without a root span, and a name (user.id) with
  // more values than a summary keeps.
  void Push() {
    static const char* const kServices[] = {"cart", "checkout", "email"};
    int user = 0;
    for (int i = 0; i < 60; ++i) {
      ExportTraceServiceRequest req;
      auto* rs = testing::AddResource(req, kServices[i % 3]);
      auto* res = rs->mutable_resource()->mutable_attributes();
      Attr(res, "host.name")->mutable_value()->set_string_value(
          absl::StrCat("host-", i % 4));
      Attr(res, "pod.index")->mutable_value()->set_int_value(i % 5);
      auto* scope = rs->mutable_scope_spans(0)->mutable_scope();
      scope->set_version(i % 2 ? "1.2.0" : "");
      Attr(scope->mutable_attributes(), "scope.flag")
          ->mutable_value()
          ->set_bool_value(i % 2 == 0);
      const TraceId id = testing::RandomTraceId(rng_);
      const uint64_t start = kBase + static_cast<uint64_t>(i) * 1'000'000'000;
      const SpanId root_id = testing::RandomSpanId(rng_);
      // Every 10th trace has no root: its first span's parent is not stored.
      const bool orphan = i % 10 == 9;
      Span* root = testing::AddSpan(
          rs, id, root_id, orphan ? "orphan" : absl::StrCat("GET /r", i % 7),
          start);
      if (orphan) {
        root->set_parent_span_id(testing::RandomSpanId(rng_).ToBytes());
      }
      root->mutable_status()->set_code(
          static_cast<andante::otlp::trace::v1::Status::StatusCode>(i % 3));
      if (i % 3 == 2) root->mutable_status()->set_message("boom");
      root->set_kind(static_cast<Span::SpanKind>(i % 6));
      auto* a = root->mutable_attributes();
      Attr(a, "http.status_code")->mutable_value()->set_int_value(200 + i % 4);
      Attr(a, "ratio")->mutable_value()->set_double_value(0.25 * (i % 3));
      Attr(a, "cached")->mutable_value()->set_bool_value(i % 2 == 1);
      auto* arr = Attr(a, "tags")->mutable_value()->mutable_array_value();
      arr->add_values()->set_string_value(absl::StrCat("t", i % 3));
      arr->add_values()->set_int_value(i % 2);
      arr->add_values()->mutable_kvlist_value();  // not a scalar: skipped
      Attr(a, "empty.array")->mutable_value()->mutable_array_value();
      auto* kvl = Attr(a, "only.kvlist")->mutable_value()->mutable_kvlist_value();
      Attr(kvl->mutable_values(), "x")->mutable_value()->set_int_value(1);
      Attr(a, "no.value");
      Attr(a, "bytes.value")->mutable_value()->set_bytes_value("\x01\x02");
      // The same key as a resource attribute: unscoped `.host.name` merges.
      if (i % 5 == 0) {
        Attr(a, "host.name")->mutable_value()->set_string_value("span-host");
      }
      for (int k = 0; k < 50; ++k, ++user) {
        Span* child = testing::AddSpan(rs, id, testing::RandomSpanId(rng_),
                                       k % 2 ? "db" : "cache", start + k);
        child->set_parent_span_id(root_id.ToBytes());
        Attr(child->mutable_attributes(), "user.id")
            ->mutable_value()
            ->set_string_value(absl::StrCat("u-", user % kUserIds));
        if (k == 0) {
          auto* ev = child->add_events();
          ev->set_name(i % 2 ? "exception" : "");
          Attr(ev->mutable_attributes(), "exception.type")
              ->mutable_value()
              ->set_string_value(absl::StrCat("E", i % 3));
          Attr(ev->mutable_attributes(), "attempt")
              ->mutable_value()
              ->set_int_value(i % 2);
          auto* ln = child->add_links();
          ln->set_trace_id(std::string(testing::RandomTraceId(rng_).bytes()));
          ln->set_span_id(testing::RandomSpanId(rng_).ToBytes());
          Attr(ln->mutable_attributes(), "link.kind")
              ->mutable_value()
              ->set_string_value(i % 2 ? "follows" : "child");
        }
      }
      // A second scope on another resource, without attributes.
      auto* rs2 = testing::AddResource(req, "email");
      rs2->mutable_scope_spans(0)->mutable_scope()->set_name("other-scope");
      testing::AddSpan(rs2, id, testing::RandomSpanId(rng_), "send", start + 5)
          ->set_parent_span_id(root_id.ToBytes());
      ASSERT_TRUE(store_->Push(kSingleTenant, req).ok());
      if (i == 29) {
        ASSERT_TRUE(store_->Flush().ok());  // two blocks
      }
    }
  }

  std::vector<std::string> TagsObjects() {
    std::vector<std::string> keys;
    auto blocks = backend_->List(kSingleTenant);
    EXPECT_TRUE(blocks.ok());
    for (const std::string& b : *blocks) {
      const std::string prefix = std::string(kSingleTenant) + "/" + b;
      auto objects = backend_->List(prefix);
      EXPECT_TRUE(objects.ok());
      for (const std::string& o : *objects) {
        if (o == internal::kTagSummaryObjectName) {
          keys.push_back(absl::StrCat(prefix, "/", o));
        }
      }
    }
    return keys;
  }

  // Every request, each answered cold (caches dropped first).
  Answers Ask() {
    Answers out;
    auto cold = [] { query::DropTagCachesForTesting(); };
    const TagScope scopes[] = {TagScope::kAll, TagScope::kResource,
                               TagScope::kSpan, TagScope::kEvent,
                               TagScope::kLink, TagScope::kInstrumentation};
    std::set<std::string> identifiers = {
        "name",      "status",   "kind",        "statusMessage",
        "rootName",  "rootServiceName",         "event:name",
        "instrumentation:name", "instrumentation:version", "duration",
        "span:id",   ".nothing", "resource.nothing"};
    for (TagScope scope : scopes) {
      cold();
      auto tags = store_->SearchTags(kSingleTenant, scope, {});
      EXPECT_TRUE(tags.ok()) << tags.status();
      if (!tags.ok()) continue;
      out.inspected_bytes += tags->inspected_bytes;
      auto list = [&](const char* what, const std::vector<std::string>& v,
                      const char* prefix) {
        out.lines.push_back(absl::StrCat(static_cast<int>(scope), " ", what,
                                         ": ", absl::StrJoin(v, ",")));
        for (const std::string& n : v) {
          identifiers.insert(absl::StrCat(prefix, n));
          identifiers.insert(absl::StrCat(".", n));
        }
      };
      list("resource", tags->resource, "resource.");
      list("span", tags->span, "span.");
      list("event", tags->event, "event.");
      list("link", tags->link, "link.");
      list("instrumentation", tags->instrumentation, "instrumentation.");
    }
    for (const std::string& text : identifiers) {
      auto tag = TagName::Parse(text);
      if (!tag.ok()) continue;  // e.g. a name TraceQL cannot spell
      cold();
      auto values = store_->SearchTagValues(kSingleTenant, *tag, {});
      EXPECT_TRUE(values.ok()) << text << ": " << values.status();
      if (!values.ok()) continue;
      out.inspected_bytes += values->inspected_bytes;
      std::vector<std::string> shown;
      for (const traceql::Value& v : values->values) {
        shown.push_back(absl::StrCat(static_cast<int>(v.type), ":",
                                     traceql::ValueToString(v)));
      }
      out.lines.push_back(
          absl::StrCat(text, " = ", shown.size(), " ", absl::StrJoin(shown, ",")));
    }
    return out;
  }

  testing::TempDir tmp_{"andante-tag-summary"};
  std::shared_ptr<Backend> backend_;
  std::unique_ptr<Store> store_;
  std::mt19937_64 rng_{11};
};

TEST_P(TagSummaryTest, SummaryAnswersEqualTheDataAnswers) {
  const std::vector<std::string> objects = TagsObjects();
  ASSERT_EQ(objects.size(), 2u);  // one per block
  const Answers from_summaries = Ask();
  for (const std::string& key : objects) ASSERT_TRUE(backend_->Delete(key).ok());
  const Answers from_data = Ask();
  EXPECT_EQ(from_summaries.lines, from_data.lines);
  // The summaries answered without reading the data (user.id, over the
  // cap, is read from it in both).
  EXPECT_LT(from_summaries.inspected_bytes * 2, from_data.inspected_bytes);
  EXPECT_EQ(store_->Stats().tag_summaries_damaged, 0u);

  // Expectations written by hand, next to the comparison.
  auto has = [&](const std::string& line) {
    return std::find(from_summaries.lines.begin(), from_summaries.lines.end(),
                     line) != from_summaries.lines.end();
  };
  EXPECT_TRUE(has("span.cached = 2 4:false,4:true"));
  EXPECT_TRUE(has("span.empty.array = 0 "));
  EXPECT_TRUE(has("span.tags = 5 1:0,1:1,3:t0,3:t1,3:t2"));
  EXPECT_TRUE(has("span.ratio = 3 2:0,2:0.25,2:0.5"));
  EXPECT_TRUE(has("status = 3 6:unset,6:ok,6:error"));
  EXPECT_TRUE(has("event:name = 2 3:,3:exception"));
  EXPECT_TRUE(has("link.link.kind = 2 3:child,3:follows"));
  EXPECT_TRUE(has("instrumentation.scope.flag = 2 4:false,4:true"));
  EXPECT_TRUE(has("instrumentation:name = 2 3:other-scope,3:test-scope"));
  EXPECT_TRUE(has("instrumentation:version = 1 3:1.2.0"));
  EXPECT_TRUE(has("statusMessage = 1 3:boom"));
  EXPECT_TRUE(has("rootServiceName = 3 3:cart,3:checkout,3:email"));
  EXPECT_TRUE(has("rootName = 7 3:GET /r0,3:GET /r1,3:GET /r2,3:GET /r3,"
                  "3:GET /r4,3:GET /r5,3:GET /r6"));
  EXPECT_TRUE(has("name = 11 3:GET /r0,3:GET /r1,3:GET /r2,3:GET /r3,"
                  "3:GET /r4,3:GET /r5,3:GET /r6,3:cache,3:db,3:orphan,3:send"));
  EXPECT_TRUE(has(".host.name = 5 3:host-0,3:host-1,3:host-2,3:host-3,"
                  "3:span-host"));
  EXPECT_TRUE(has("resource.host.name = 4 3:host-0,3:host-1,3:host-2,"
                  "3:host-3"));
  const std::string users = absl::StrCat(".user.id = ", kUserIds, " ");
  EXPECT_TRUE(std::any_of(
      from_summaries.lines.begin(), from_summaries.lines.end(),
      [&](const std::string& l) { return l.rfind(users, 0) == 0; }));
  EXPECT_FALSE(has(".only.kvlist = 0 "));  // not a tag
}

TEST_P(TagSummaryTest, DamagedSummaryIsCountedAndReadAround) {
  const std::vector<std::string> objects = TagsObjects();
  ASSERT_FALSE(objects.empty());
  const Answers intact = Ask();
  for (const std::string& key : objects) {
    auto bytes = backend_->Read(key);
    ASSERT_TRUE(bytes.ok());
    std::string damaged = *bytes;
    damaged[damaged.size() / 2] ^= 0x40;
    ASSERT_TRUE(backend_->Write(key, damaged).ok());
  }
  const Answers read_around = Ask();
  EXPECT_EQ(intact.lines, read_around.lines);
  EXPECT_GE(store_->Stats().tag_summaries_damaged, objects.size());
  // Truncated to nothing but a header: the same.
  for (const std::string& key : objects) {
    ASSERT_TRUE(backend_->Write(key, "TGS1").ok());
  }
  EXPECT_EQ(intact.lines, Ask().lines);
}

INSTANTIATE_TEST_SUITE_P(SpanAttributeLayouts, TagSummaryTest,
                         ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Keyed" : "SingleChunk";
                         });

}  // namespace
}  // namespace andante
