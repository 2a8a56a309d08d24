// The StreamingQuerier's answers (lib/query/streaming_querier.h) over a real
// Store: progressive partial messages, a complete final one, request field
// defaults, the pre-TraceQL tags map, the tags calls, errors and a client
// that goes away. Expectations come from the pushed data.
#include "query/streaming_querier.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tempopb/tempo.pb.h"
#include "tests/testing/otlp_builders.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante::query {
namespace {

using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
using ::testing::ElementsAreArray;
using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kBase = 1'700'000'000'000'000'000ull;  // ns

struct Pushed {
  std::string id;  // search form: no leading zeros
  uint64_t start;
  int group;
};

class StreamingQuerierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options =
        testing::TestStoreOptions(tmp_.path(), OpenMemoryBackend());
    options.ingester.trace_idle_period = absl::Hours(1);
    options.ingester.max_block_duration = absl::Hours(100);
    auto store = Store::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    // Three complete blocks of 10 traces, then 10 live ones; trace i has
    // span attribute grp = i % 3 and starts i seconds after kBase.
    for (int block = 0; block < 4; ++block) {
      ExportTraceServiceRequest req;
      auto* rs = testing::AddResource(req, "svc");
      for (int k = 0; k < 10; ++k) {
        int i = block * 10 + k;
        TraceId id = testing::RandomTraceId(rng_);
        uint64_t start = kBase + static_cast<uint64_t>(i) * 1'000'000'000ull;
        auto* span = testing::AddSpan(rs, id, testing::RandomSpanId(rng_),
                                      "op", start, 300'000'000);
        auto* kv = span->add_attributes();
        kv->set_key("grp");
        kv->mutable_value()->set_string_value(absl::StrCat("g", i % 3));
        std::string hex = id.ToHex();
        hex.erase(0, std::min(hex.find_first_not_of('0'), hex.size() - 1));
        pushed_.push_back({hex, start, i % 3});
      }
      ASSERT_TRUE(store_->Push(kSingleTenant, req).ok());
      if (block < 3) {
        ASSERT_TRUE(store_->Flush().ok());
      }
    }
  }

  std::vector<std::string> Expect(int group, size_t limit) const {
    std::vector<Pushed> m;
    for (const Pushed& p : pushed_) {
      if (group < 0 || p.group == group) m.push_back(p);
    }
    std::sort(m.begin(), m.end(),
              [](const Pushed& a, const Pushed& b) { return a.start > b.start; });
    std::vector<std::string> out;
    for (size_t i = 0; i < m.size() && i < limit; ++i) out.push_back(m[i].id);
    return out;
  }

  std::vector<tempopb::SearchResponse> Run(const tempopb::SearchRequest& req,
                                           absl::Status* status) {
    std::vector<tempopb::SearchResponse> out;
    *status = StreamSearch(*store_, {std::string(kSingleTenant)}, req,
                           [&](const tempopb::SearchResponse& m) {
                             out.push_back(m);
                             return true;
                           });
    return out;
  }

  static std::vector<std::string> Ids(const tempopb::SearchResponse& r) {
    std::vector<std::string> out;
    for (const auto& t : r.traces()) out.push_back(t.traceid());
    return out;
  }

  testing::TempDir tmp_{"andante-streaming-querier"};
  std::unique_ptr<Store> store_;
  std::mt19937_64 rng_{11};
  std::vector<Pushed> pushed_;
};

TEST_F(StreamingQuerierTest, PartialMessagesThenTheCompleteAnswer) {
  tempopb::SearchRequest req;
  req.set_query("{ span.grp = \"g1\" }");
  req.set_limit(100);
  absl::Status status;
  std::vector<tempopb::SearchResponse> messages = Run(req, &status);
  ASSERT_TRUE(status.ok()) << status;
  // Live data and three blocks each add matches: four partials, one final.
  ASSERT_EQ(messages.size(), 5u);
  const tempopb::SearchResponse& last = messages.back();
  EXPECT_THAT(Ids(last), ElementsAreArray(Expect(1, 100)));
  EXPECT_EQ(last.metrics().completedjobs(), last.metrics().totaljobs());
  EXPECT_EQ(last.metrics().totalblocks(), 3u);
  EXPECT_EQ(last.metrics().inspectedtraces(), 40u);
  // Every span of the blocks (the scanner counts those it passes over);
  // the WAL's byte prefilter passes over traces without decoding them.
  EXPECT_GE(last.metrics().inspectedspans(), 30u)
      << last.metrics().DebugString();
  std::vector<std::string> streamed;
  uint32_t completed = 0;
  for (size_t i = 0; i + 1 < messages.size(); ++i) {
    const tempopb::SearchMetrics& m = messages[i].metrics();
    EXPECT_LT(m.completedjobs(), m.totaljobs());
    EXPECT_GE(m.completedjobs(), completed) << "jobs complete one by one";
    completed = m.completedjobs();
    EXPECT_GT(messages[i].traces_size(), 0);
    for (const std::string& id : Ids(messages[i])) streamed.push_back(id);
  }
  // Every match exactly once over the partial messages.
  EXPECT_THAT(streamed, UnorderedElementsAreArray(Expect(1, 100)));
}

TEST_F(StreamingQuerierTest, DefaultsAndLimit) {
  tempopb::SearchRequest req;  // no query, no limit: {} and 20
  absl::Status status;
  std::vector<tempopb::SearchResponse> messages = Run(req, &status);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(Ids(messages.back()), ElementsAreArray(Expect(-1, 20)));
  req.set_limit(3);
  req.set_query("{ span.grp = \"g2\" }");
  messages = Run(req, &status);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(Ids(messages.back()), ElementsAreArray(Expect(2, 3)));
  // Span sets carry the matched span (spss default 3).
  ASSERT_EQ(messages.back().traces(0).spansets_size(), 1);
  EXPECT_EQ(messages.back().traces(0).spanset().matched(), 1u);
}

TEST_F(StreamingQuerierTest, TagsMapIsThePreTraceQLSearch) {
  tempopb::SearchRequest req;
  (*req.mutable_tags())["grp"] = "g0";
  (*req.mutable_tags())["service.name"] = "svc";
  req.set_mindurationms(100);
  req.set_limit(100);
  absl::Status status;
  std::vector<tempopb::SearchResponse> messages = Run(req, &status);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(Ids(messages.back()), ElementsAreArray(Expect(0, 100)));
  req.set_mindurationms(400);  // every trace lasts 300 ms
  messages = Run(req, &status);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(messages.back().traces_size(), 0);
}

TEST_F(StreamingQuerierTest, BadQueryAndGoneClient) {
  tempopb::SearchRequest req;
  req.set_query("{ .a = }");
  absl::Status status;
  std::vector<tempopb::SearchResponse> messages = Run(req, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              ::testing::StartsWith("invalid TraceQL query: parse error"));
  EXPECT_TRUE(messages.empty());

  req.set_query("{ }");
  int sent = 0;
  status = StreamSearch(*store_, {std::string(kSingleTenant)}, req,
                        [&](const tempopb::SearchResponse&) {
                          ++sent;
                          return false;
                        });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sent, 1) << "nothing is sent after the client went away";
}

TEST_F(StreamingQuerierTest, TagsAndValues) {
  std::vector<std::string> tenants = {std::string(kSingleTenant)};
  tempopb::SearchTagsRequest tags_req;
  tempopb::SearchTagsResponse tags;
  ASSERT_TRUE(SearchTags(*store_, tenants, tags_req, &tags).ok());
  EXPECT_THAT(tags.tagnames(), ::testing::IsSupersetOf({"grp", "service.name"}));

  tags_req.set_scope("span");
  tempopb::SearchTagsV2Response v2;
  ASSERT_TRUE(SearchTagsV2(*store_, tenants, tags_req, &v2).ok());
  ASSERT_EQ(v2.scopes_size(), 1);
  EXPECT_EQ(v2.scopes(0).name(), "span");
  EXPECT_THAT(v2.scopes(0).tags(), ::testing::Contains("grp"));
  EXPECT_THAT(v2.scopes(0).tags(),
              ::testing::Not(::testing::Contains("service.name")));

  tags_req.set_scope("bogus");
  EXPECT_EQ(SearchTagsV2(*store_, tenants, tags_req, &v2).code(),
            absl::StatusCode::kInvalidArgument);

  tempopb::SearchTagValuesRequest values_req;
  values_req.set_tagname("grp");
  tempopb::SearchTagValuesResponse values;
  ASSERT_TRUE(SearchTagValues(*store_, tenants, values_req, &values).ok());
  EXPECT_THAT(values.tagvalues(), ElementsAreArray({"g0", "g1", "g2"}));

  values_req.set_tagname("span.grp");
  values_req.set_query("{ span.grp != \"g1\" }");
  tempopb::SearchTagValuesV2Response typed;
  ASSERT_TRUE(SearchTagValuesV2(*store_, tenants, values_req, &typed).ok());
  std::set<std::string> got;
  for (const auto& v : typed.tagvalues()) {
    EXPECT_EQ(v.type(), "string");
    got.insert(v.value());
  }
  EXPECT_EQ(got, (std::set<std::string>{"g0", "g2"}));
}

}  // namespace
}  // namespace andante::query
