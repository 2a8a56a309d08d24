#include "andante/span_metrics.h"

#include <array>
#include <string_view>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "andante/otlp.h"
#include "generator/batch_updates.h"
#include "generator/format.h"
#include "generator/label_hash.h"
#include "generator/processor_views.h"
#include "generator/span_attributes.h"
#include "generator/span_batch_view.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace andante {
namespace {

using andante::otlp::trace::v1::Span;
using andante::otlp::trace::v1::Status;

constexpr std::string_view kIntrinsics[] = {"service", "span_name", "span_kind",
                                            "status_code", "status_message"};

// Enum value names, looked up once (the descriptor lookup is slow); values
// outside the table go through the generated *_Name functions.
std::string_view KindName(int32_t kind) {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (int k = 0; k <= Span::SpanKind_MAX; ++k) {
      v->push_back(Span::SpanKind_Name(static_cast<Span::SpanKind>(k)));
    }
    return v;
  }();
  if (kind >= 0 && static_cast<size_t>(kind) < names->size()) {
    return (*names)[kind];
  }
  return Span::SpanKind_Name(static_cast<Span::SpanKind>(kind));
}

std::string_view StatusName(int32_t code) {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (int k = 0; k <= Status::StatusCode_MAX; ++k) {
      v->push_back(Status::StatusCode_Name(static_cast<Status::StatusCode>(k)));
    }
    return v;
  }();
  if (code >= 0 && static_cast<size_t>(code) < names->size()) {
    return (*names)[code];
  }
  return Status::StatusCode_Name(static_cast<Status::StatusCode>(code));
}

bool IsIntrinsic(std::string_view name) {
  for (std::string_view i : kIntrinsics) {
    if (i == name) return true;
  }
  return false;
}

// One resource's job and instance labels, and the other labels of its
// traces_target_info series (empty when it has none to set).
void ResourceInfo(const SpanMetricsOptions& o,
                  const internal::SpanBatchView& batch,
                  const internal::ResourceView& res, std::string* job,
                  std::string* instance, std::vector<Label>* info) {
  std::string scratch;
  const std::string service(internal::AttrString(
      batch.ResourceAttribute(res, "service.name"), &scratch));
  const std::string ns(internal::AttrString(
      batch.ResourceAttribute(res, "service.namespace"), &scratch));
  *job = ns.empty() ? service : ns + "/" + service;
  if (o.enable_instance_label) {
    *instance = std::string(internal::AttrString(
        batch.ResourceAttribute(res, "service.instance.id"), &scratch));
  }
  // traces_target_info: the resource's other attributes.
  info->clear();
  for (uint32_t i = res.attr_begin; i < res.attr_end; ++i) {
    const internal::AttrView& kv = *batch.attrs_begin(i);
    const std::string_view k = kv.key;
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
    info->emplace_back(std::move(name),
                       std::string(internal::AttrString(&kv, &scratch)));
  }
  // The gauge only when the resource identifies itself.
  if (job->empty() && instance->empty()) info->clear();
}

// A label set of the batch by the span fields it was made of (Push).
struct Memo {
  uint64_t hash = 0;
  uint32_t epoch = 0;
  uint32_t resource = 0;
  int32_t kind = 0, status_code = 0;
  std::string_view name, status_message;
  uint32_t group = 0;
};
constexpr size_t kMemos = 1024;

}  // namespace

struct SpanMetricsProcessor::State {
  SpanMetricsOptions options;
  MetricsRegistry* registry;
  std::vector<std::string> dimension_labels;  // sanitized, clash-prefixed
  std::unique_ptr<internal::AttrKeySet> dimension_keys;  // options.dimensions
  int calls = -1, latency = -1, size = -1, target_info = -1;
  // A Push(bytes) from a span tap reads the store's recorded view.
  internal::SpanViewRecordingRequest recording;
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
  s.dimension_keys = std::make_unique<internal::AttrKeySet>(options.dimensions);
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

bool SpanMetricsProcessor::Push(std::string_view request, absl::Time now) {
  return ProcessorViews::PushBytes(*this, request, now);
}

void PushRequest(SpanMetricsProcessor* processor,
                 const otlp::collector::trace::v1::ExportTraceServiceRequest&
                     request,
                 absl::Time now) {
  ProcessorViews::PushTree(*processor, request, now);
}

void ProcessorViews::Push(SpanMetricsProcessor& processor,
                          const internal::SpanBatchView& batch,
                          absl::Time now) {
  const SpanMetricsProcessor::State& st = *processor.state_;
  const SpanMetricsOptions& o = st.options;
  const auto& intr = o.intrinsic_dimensions;
  // Per thread: the vectors keep their capacity across batches.
  thread_local internal::BatchUpdates groups;
  groups.Clear();
  // Per thread too, valid for this batch's epoch.
  thread_local std::array<Memo, kMemos> memos{};
  thread_local uint32_t last_epoch = 0;
  if (++last_epoch == 0) {
    memos.fill(Memo{});
    last_epoch = 1;
  }
  const uint32_t epoch = last_epoch;
  std::string scratch;
  std::string dim_scratch;
  absl::InlinedVector<LabelView, 16> labels;
  // Per resource: service, job, instance, kept for the batch.
  std::string_view service, job, instance;
  uint64_t resource_hash = 0;
  // The dimensions' attributes in the current resource and span.
  absl::InlinedVector<const internal::AttrView*, 8> res_dims(
      st.dimension_keys->size()),
      span_dims(st.dimension_keys->size());
  uint32_t current = UINT32_MAX;
  for (const internal::SpanView& span : batch.spans()) {
    if (span.skip) continue;
    const internal::ResourceView& res = batch.resources()[span.resource];
    if (span.resource != current) {
      current = span.resource;
      service = groups.Keep(internal::AttrString(
          batch.ResourceAttribute(res, "service.name"), &scratch));
      job = instance = {};
      if (o.enable_target_info) {
        std::string j, i;
        std::vector<Label> info;
        ResourceInfo(o, batch, res, &j, &i, &info);
        job = groups.Keep(j);
        instance = groups.Keep(i);
        if (!info.empty()) {
          absl::InlinedVector<LabelView, 16> l;
          for (const auto& [k, v] : info) {
            l.emplace_back(groups.Keep(k), groups.Keep(v));
          }
          l.emplace_back("job", job);
          l.emplace_back("instance", instance);
          const uint32_t g = groups.GroupOf(l, internal::HashLabelPairs(l),
                                            /*mergeable=*/false);
          groups.Add(g, {st.target_info, 1, 1, {}});
        }
      }
      st.dimension_keys->Match(batch, res.attr_begin, res.attr_end,
                               res_dims.data());
      resource_hash =
          internal::HashLabelBytes(internal::kLabelHashSeed, service);
      resource_hash = internal::HashLabelBytes(resource_hash, job);
      resource_hash = internal::HashLabelBytes(resource_hash, instance);
    }
    uint64_t hash = resource_hash;
    if (intr.span_name) hash = internal::HashLabelBytes(hash, span.name);
    if (intr.span_kind) {
      hash = internal::MixLabelHash(hash, static_cast<uint32_t>(span.kind));
    }
    if (intr.status_code) {
      hash = internal::MixLabelHash(
          hash, static_cast<uint64_t>(static_cast<uint32_t>(span.status_code))
                    << 32);
    }
    if (intr.status_message) {
      hash = internal::HashLabelBytes(hash, span.status_message);
    }
    // Without dimensions the label set is the resource's labels and the
    // span's intrinsics: one seen earlier in the batch is found by those
    // (no labels built or compared).
    Memo* memo = nullptr;
    uint32_t g = internal::BatchUpdates::kNoGroup;
    if (st.dimension_labels.empty()) {
      memo = &memos[hash % kMemos];
      if (memo->epoch == epoch && memo->hash == hash &&
          memo->resource == span.resource &&
          (!intr.span_kind || memo->kind == span.kind) &&
          (!intr.status_code || memo->status_code == span.status_code) &&
          (!intr.span_name || memo->name == span.name) &&
          (!intr.status_message ||
           memo->status_message == span.status_message)) {
        g = memo->group;
      }
    }
    if (g == internal::BatchUpdates::kNoGroup) {
      labels.clear();
      if (intr.service) labels.emplace_back("service", service);
      if (intr.span_name) labels.emplace_back("span_name", span.name);
      if (intr.span_kind) {
        labels.emplace_back("span_kind", KindName(span.kind));
      }
      if (intr.status_code) {
        labels.emplace_back("status_code", StatusName(span.status_code));
      }
      if (intr.status_message) {
        labels.emplace_back("status_message", span.status_message);
      }
      if (o.enable_target_info) {
        labels.emplace_back("job", job);
        labels.emplace_back("instance", instance);
      }
      if (!st.dimension_labels.empty()) {
        st.dimension_keys->Match(batch, span.attr_begin, span.attr_end,
                                 span_dims.data());
      }
      for (size_t i = 0; i < st.dimension_labels.size(); ++i) {
        // Resource first, then span.
        const internal::AttrView* a =
            res_dims[i] != nullptr ? res_dims[i] : span_dims[i];
        std::string_view v = internal::AttrString(a, &dim_scratch);
        if (!v.empty() && v.data() == dim_scratch.data()) v = groups.Keep(v);
        labels.emplace_back(st.dimension_labels[i], v);
        hash = internal::HashLabelBytes(hash, v);
      }
      // Every label set of this loop has the same names in the same order,
      // so the values alone identify it.
      g = groups.GroupOf(labels, hash, /*mergeable=*/true);
      if (memo != nullptr) {
        *memo = {hash,      epoch,       span.resource, span.kind,
                 span.status_code, span.name, span.status_message, g};
      }
    }
    double m = 1;
    if (!o.span_multiplier_key.empty()) {
      const internal::AttrView* a =
          batch.SpanAttribute(span, o.span_multiplier_key);
      if (a == nullptr) a = batch.ResourceAttribute(res, o.span_multiplier_key);
      const double ratio = internal::AttrNumber(a);
      if (ratio > 0) m = 1 / ratio;
    }
    if (st.calls >= 0) groups.AddCount(g, st.calls, m);
    if (st.latency >= 0) {
      const double latency =
          span.end_ns <= span.start_ns
              ? 0
              : static_cast<double>(span.end_ns - span.start_ns) / 1e9;
      groups.Add(g, {st.latency, latency, m, span.trace_id});
    }
    if (st.size >= 0) {
      groups.AddCount(g, st.size, static_cast<double>(span.size));
    }
  }
  groups.Flush(st.registry, now);
}

}  // namespace andante
