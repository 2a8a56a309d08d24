// Fuzzes the metrics generator's wire-bytes path (MetricsGenerator::PushWire,
// lib/model/span_batch_view.cc): any input is refused or aggregated
// without crashing, and when the store would accept the input
// (SpanBatch::FromProto, PushWire's precondition) and PushWire takes it
// (it may refuse what only protobuf's parse accepts, e.g. groups: the tap
// then gets the parsed request), pushing the parsed request produces
// exactly the same series (size
// series off: a non-canonical encoding's span length differs from the
// parsed span's ByteSizeLong by design).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/otlp.h"
#include "andante/metrics_generator.h"
#include "andante/store.h"
#include "model/otlp_nesting.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace {

andante::MetricsGeneratorOptions Options() {
  andante::MetricsGeneratorOptions o;
  o.processors = {"span-metrics-count", "span-metrics-latency",
                  "service-graphs"};
  o.ingestion_time_range_slack = absl::ZeroDuration();
  o.span_metrics.dimensions.push_back("attr.a");
  o.span_metrics.dimensions.push_back("attr.b");
  o.span_metrics.enable_target_info = true;
  o.span_metrics.intrinsic_dimensions.status_message = true;
  o.span_metrics.span_multiplier_key = "sampling.ratio";
  o.service_graphs.dimensions.push_back("attr.a");
  o.service_graphs.enable_virtual_node_label = true;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  auto wire = andante::MetricsGenerator::Create(Options());
  if (!wire.ok()) std::abort();
  const bool wire_ok = (*wire)->PushWire("t", in, now);
  if (!wire_ok) {
    if ((*wire)->active_series() != 0) std::abort();  // refused = nothing
    return 0;
  }
  if (!andante::SpanBatch::FromProto(in).ok()) return 0;
  // What the store accepts parses.
  andante::otlp::collector::trace::v1::ExportTraceServiceRequest req;
  if (!andante::internal::ParseOtlpMessage(in, &req)) std::abort();
  auto tree = andante::MetricsGenerator::Create(Options());
  if (!tree.ok()) std::abort();
  andante::PushRequest(tree->get(), "t", req, now);
  const absl::Time later = now + absl::Minutes(1);
  (*wire)->ExpireEdges(later);
  (*tree)->ExpireEdges(later);
  if ((*wire)->active_series() != (*tree)->active_series()) std::abort();
  auto a = (*wire)->Collect(later);
  auto b = (*tree)->Collect(later);
  auto flat = [](const auto& all) {
    std::vector<std::string> v;
    for (const auto& t : all) {
      for (const auto& s : t.samples) {
        std::string line;
        for (const auto& [k, val] : s.labels)
          absl::StrAppend(&line, k, "=", val, ",");
        absl::StrAppend(&line, s.value);
        if (s.exemplar)
          absl::StrAppend(&line, " #", s.exemplar->labels[0].second);
        v.push_back(std::move(line));
      }
    }
    std::sort(v.begin(), v.end());
    return v;
  };
  if (flat(a) != flat(b)) std::abort();
  return 0;
}
