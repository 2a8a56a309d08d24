#include "andante/span_metrics.h"

#include <string_view>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "generator/format.h"
#include "generator/span_attributes.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace andante {
namespace {

using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

constexpr std::string_view kIntrinsics[] = {"service", "span_name", "span_kind",
                                            "status_code", "status_message"};

bool IsIntrinsic(std::string_view name) {
  for (std::string_view i : kIntrinsics) {
    if (i == name) return true;
  }
  return false;
}

}  // namespace

struct SpanMetricsProcessor::State {
  SpanMetricsOptions options;
  MetricsRegistry* registry;
  std::vector<std::string> dimension_labels;  // sanitized, clash-prefixed
  int calls = -1, latency = -1, size = -1, target_info = -1;
};

SpanMetricsProcessor::SpanMetricsProcessor(const SpanMetricsOptions& options,
                                           MetricsRegistry* registry)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = options;
  s.registry = registry;
  for (const std::string& d : options.dimensions) {
    std::string label = internal::SanitizeLabelName(d);
    if (IsIntrinsic(label)) label = "__" + label;
    s.dimension_labels.push_back(std::move(label));
  }
  if (options.enable_count) {
    s.calls = registry->NewCounter("traces_spanmetrics_calls_total");
  }
  if (options.enable_latency) {
    s.latency = registry->NewHistogram("traces_spanmetrics_latency",
                                       options.histogram_buckets);
  }
  if (options.enable_size) {
    s.size = registry->NewCounter("traces_spanmetrics_size_total");
  }
  if (options.enable_target_info) {
    s.target_info = registry->NewGauge("traces_target_info");
  }
}

SpanMetricsProcessor::~SpanMetricsProcessor() = default;

void SpanMetricsProcessor::Push(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest&
        request,
    absl::Time now) {
  const State& st = *state_;
  const SpanMetricsOptions& o = st.options;
  // Per-span strings live here for the duration of the registry calls.
  std::vector<std::string> dim_values(st.dimension_labels.size());
  absl::InlinedVector<LabelView, 16> labels;
  for (const auto& rs : request.resource_spans()) {
    const internal::Attributes& res = rs.resource().attributes();
    const auto* svc = internal::FindAttribute(res, "service.name");
    const std::string service =
        svc != nullptr ? internal::AnyValueString(*svc) : "";
    std::string job, instance;
    if (o.enable_target_info) {
      const std::string ns =
          internal::LookupAttribute(res, res, "service.namespace");
      job = ns.empty() ? service : ns + "/" + service;
      if (o.enable_instance_label) {
        instance = internal::LookupAttribute(res, res, "service.instance.id");
      }
      // traces_target_info: the resource's other attributes.
      std::vector<std::pair<std::string, std::string>> info;
      for (const auto& kv : res) {
        const std::string& k = kv.key();
        if (k.empty() || (k[0] >= '0' && k[0] <= '9') || k == "service.name" ||
            k == "service.namespace" || k == "service.instance.id") {
          continue;
        }
        bool excluded = false;
        for (const std::string& e : o.target_info_excluded_dimensions) {
          excluded = excluded || e == k;
        }
        if (excluded) continue;
        std::string name = internal::SanitizeLabelName(k);
        if (IsIntrinsic(name) || name == "job" || name == "instance") {
          name = "__" + name;
        }
        info.emplace_back(std::move(name),
                          internal::AnyValueString(kv.value()));
      }
      if ((!job.empty() || !instance.empty()) && !info.empty()) {
        absl::InlinedVector<LabelView, 16> l;
        for (const auto& [k, v] : info) l.emplace_back(k, v);
        l.emplace_back("job", job);
        l.emplace_back("instance", instance);
        st.registry->SetGauge(st.target_info, l, 1, now);
      }
    }
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        labels.clear();
        const auto& intr = o.intrinsic_dimensions;
        if (intr.service) labels.emplace_back("service", service);
        if (intr.span_name) labels.emplace_back("span_name", span.name());
        if (intr.span_kind) {
          labels.emplace_back("span_kind", Span::SpanKind_Name(span.kind()));
        }
        if (intr.status_code) {
          labels.emplace_back("status_code",
                              Status::StatusCode_Name(span.status().code()));
        }
        if (intr.status_message) {
          labels.emplace_back("status_message", span.status().message());
        }
        if (o.enable_target_info) {
          labels.emplace_back("job", job);
          labels.emplace_back("instance", instance);
        }
        for (size_t i = 0; i < st.dimension_labels.size(); ++i) {
          dim_values[i] = internal::LookupAttribute(res, span.attributes(),
                                                    o.dimensions[i]);
          labels.emplace_back(st.dimension_labels[i], dim_values[i]);
        }
        const double m = internal::SpanMultiplier(span.attributes(), res,
                                                  o.span_multiplier_key);
        MetricsRegistry::MetricUpdate updates[3];
        size_t n = 0;
        if (st.calls >= 0) updates[n++] = {st.calls, m, 1, {}};
        if (st.latency >= 0) {
          updates[n++] = {st.latency, internal::LatencySeconds(span), m,
                          span.trace_id()};
        }
        if (st.size >= 0) {
          updates[n++] = {
              st.size, static_cast<double>(span.ByteSizeLong()), 1, {}};
        }
        st.registry->Update(labels, absl::MakeConstSpan(updates, n), now);
      }
    }
  }
}

}  // namespace andante
