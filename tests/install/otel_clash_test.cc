// Andante's OTLP classes next to the OpenTelemetry SDK's in one program.
//
// The SDK generates opentelemetry::proto::* from opentelemetry/proto/*.proto
// and registers those files in protobuf's generated descriptor pool. Here an
// independent compilation of the upstream-named schema (upstream_otlp/)
// stands in for it. Had Andante kept the upstream package and file names,
// this binary would not link (two definitions of each class) or would abort
// at start-up ("File already exists in database"). It links the installable
// libandante (andante_public_dep), as an embedder does.
#include <random>
#include <set>
#include <string>

#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "tests/testing/store_options.h"
#include "tests/testing/temp_dir.h"

namespace andante {
namespace {

namespace upstream = ::opentelemetry::proto::trace::v1;

TEST(OtelClashTest, BothSchemasAreInTheGeneratedPool) {
  // Touch both so that their descriptors are registered.
  upstream::TracesData theirs;
  otlp::trace::v1::TracesData ours;
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  const google::protobuf::FileDescriptor* upstream_file =
      pool->FindFileByName("opentelemetry/proto/trace/v1/trace.proto");
  const google::protobuf::FileDescriptor* own_file =
      pool->FindFileByName("andante/otlp/trace/v1/trace.proto");
  ASSERT_NE(upstream_file, nullptr);
  ASSERT_NE(own_file, nullptr);
  EXPECT_EQ(upstream_file->package(), "opentelemetry.proto.trace.v1");
  EXPECT_EQ(own_file->package(), "andante.otlp.trace.v1");
  EXPECT_EQ(theirs.GetDescriptor()->full_name(),
            "opentelemetry.proto.trace.v1.TracesData");
  EXPECT_EQ(ours.GetDescriptor()->full_name(), "andante.otlp.trace.v1.TracesData");
  // Same field names and numbers: the schemas agree on the wire.
  const auto* their_span = upstream::Span::descriptor();
  const auto* our_span = otlp::trace::v1::Span::descriptor();
  for (int i = 0; i < their_span->field_count(); ++i) {
    const auto* field = their_span->field(i);
    const auto* same = our_span->FindFieldByName(field->name());
    ASSERT_NE(same, nullptr) << field->name();
    EXPECT_EQ(same->number(), field->number()) << field->name();
  }
}

TEST(OtelClashTest, SdkBytesPushedAndFoundBackInBothViews) {
  std::mt19937_64 rng(std::random_device{}());
  std::string trace_id(16, '\0');
  for (char& c : trace_id) c = static_cast<char>(rng() % 255 + 1);
  const int spans = 2 + static_cast<int>(rng() % 6);

  // An ExportTraceServiceRequest has TracesData's field 1, so these are
  // request bytes as the SDK's exporter would send them.
  upstream::TracesData sent;
  auto* rs = sent.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("sdk-service");
  auto* ss = rs->add_scope_spans();
  std::set<std::string> names;
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(trace_id);
    span->set_span_id(SpanId(rng() | 1).ToBytes());
    span->set_name("op-" + std::to_string(rng() % 100000));
    span->set_kind(upstream::Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + i);
    span->set_end_time_unix_nano(1'700'000'000'000'000'500ull + i);
    names.insert(span->name());
  }
  const std::string bytes = sent.SerializeAsString();

  testing::TempDir dir("andante-otel-clash");
  auto backend = OpenLocalBackend(dir.path() + "/blocks");
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto store = Store::Open(
      testing::TestStoreOptions(dir.path(), std::move(*backend)));
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(bytes);
  ASSERT_TRUE(batch.ok()) << batch.status();
  auto pushed = (*store)->Push(kSingleTenant, *batch);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->spans_accepted, static_cast<uint64_t>(spans));

  absl::StatusOr<TraceId> id = TraceId::FromBytes(trace_id);
  ASSERT_TRUE(id.ok());
  auto found = (*store)->FindTraceById(kSingleTenant, *id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->span_count, static_cast<uint64_t>(spans));

  // Andante's view.
  std::set<std::string> ours;
  for (const auto& r : TracesDataOf(*found).resource_spans()) {
    for (const auto& s : r.scope_spans()) {
      for (const auto& span : s.spans()) ours.insert(span.name());
    }
  }
  EXPECT_EQ(ours, names);

  // The SDK's view of the same bytes.
  upstream::TracesData back;
  ASSERT_TRUE(back.ParseFromString(found->SerializeAsTracesData()));
  std::set<std::string> theirs;
  for (const auto& r : back.resource_spans()) {
    EXPECT_EQ(r.resource().attributes(0).value().string_value(), "sdk-service");
    for (const auto& s : r.scope_spans()) {
      for (const auto& span : s.spans()) {
        EXPECT_EQ(span.trace_id(), trace_id);
        EXPECT_EQ(span.kind(), upstream::Span::SPAN_KIND_SERVER);
        theirs.insert(span.name());
      }
    }
  }
  EXPECT_EQ(theirs, names);
  ASSERT_TRUE((*store)->Close().ok());
}

}  // namespace
}  // namespace andante
