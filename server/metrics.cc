#include "metrics.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "andante/store.h"

namespace andante::server {
namespace {

// Prometheus text format escaping: backslash and newline everywhere, and
// the double quote inside label values (not in HELP text).
void AppendEscaped(std::string_view v, bool quote, std::string* out) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '"':
        if (quote) {
          out->append("\\\"");
          break;
        }
        [[fallthrough]];
      default:
        out->push_back(c);
    }
  }
}

void AppendEscapedLabelValue(std::string_view v, std::string* out) {
  AppendEscaped(v, /*quote=*/true, out);
}

void AppendEscapedHelp(std::string_view v, std::string* out) {
  AppendEscaped(v, /*quote=*/false, out);
}

// `{a="x",b="y"}` plus an optional extra label (histogram `le`); nothing when
// there are no labels at all.
void AppendLabels(const std::vector<std::string>& names,
                  const std::vector<std::string>& values,
                  std::string_view extra_name, std::string_view extra_value,
                  std::string* out) {
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    out->append(names[i]);
    out->append("=\"");
    AppendEscapedLabelValue(values[i], out);
    out->push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out->push_back(',');
    out->append(extra_name);
    out->append("=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

void AppendHeader(const std::string& name, const std::string& help,
                  std::string_view type, std::string* out) {
  out->append("# HELP ");
  out->append(name);
  out->push_back(' ');
  AppendEscapedHelp(help, out);
  out->append("\n# TYPE ");
  out->append(name);
  out->push_back(' ');
  out->append(type);
  out->push_back('\n');
}

void AppendSample(std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values,
                  std::string_view extra_name, std::string_view extra_value,
                  double v, std::string* out) {
  out->append(name);
  AppendLabels(names, values, extra_name, extra_value, out);
  out->push_back(' ');
  out->append(FormatMetricValue(v));
  out->push_back('\n');
}

// Tempo's (dskit's) request-duration buckets.
const std::vector<double>& RequestDurationBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100};
  return *buckets;
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  const size_t n = bounds_->size();
  while (i < n && v > (*bounds_)[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

template <typename T>
T* Family<T>::Get(std::vector<std::string> key) {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(key);
  if (it != series_.end()) return it->second.get();
  std::unique_ptr<T> series;
  if constexpr (std::is_same_v<T, Histogram>) {
    series = std::make_unique<Histogram>(&bounds_);
  } else {
    series = std::make_unique<T>();
  }
  T* raw = series.get();
  series_.emplace(std::move(key), std::move(series));
  return raw;
}

template <typename T>
T* Family<T>::WithLabels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key;
  key.reserve(values.size());
  for (std::string_view v : values) key.emplace_back(v);
  return Get(std::move(key));
}

template <typename T>
T* Family<T>::WithLabels(const std::vector<std::string>& values) {
  return Get(values);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CounterFamily* MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> labels) {
  bool unlabeled = labels.empty();
  std::unique_ptr<CounterFamily> f(
      new CounterFamily(std::move(name), std::move(help), std::move(labels)));
  CounterFamily* raw = f.get();
  if (unlabeled) raw->WithLabels({});
  absl::MutexLock lock(&mu_);
  entries_.push_back({Kind::kCounter, raw});
  counters_.push_back(std::move(f));
  return raw;
}

GaugeFamily* MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> labels) {
  bool unlabeled = labels.empty();
  std::unique_ptr<GaugeFamily> f(
      new GaugeFamily(std::move(name), std::move(help), std::move(labels)));
  GaugeFamily* raw = f.get();
  if (unlabeled) raw->WithLabels({});
  absl::MutexLock lock(&mu_);
  entries_.push_back({Kind::kGauge, raw});
  gauges_.push_back(std::move(f));
  return raw;
}

HistogramFamily* MetricsRegistry::AddHistogram(std::string name,
                                               std::string help,
                                               std::vector<std::string> labels,
                                               std::vector<double> bounds) {
  bool unlabeled = labels.empty();
  std::unique_ptr<HistogramFamily> f(new HistogramFamily(
      std::move(name), std::move(help), std::move(labels), std::move(bounds)));
  HistogramFamily* raw = f.get();
  if (unlabeled) raw->WithLabels({});
  absl::MutexLock lock(&mu_);
  entries_.push_back({Kind::kHistogram, raw});
  histograms_.push_back(std::move(f));
  return raw;
}

void MetricsRegistry::AddCollector(std::function<void()> collect) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::Render() const {
  std::vector<std::function<void()>> collectors;
  std::vector<Entry> entries;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
    entries = entries_;
  }
  for (const auto& c : collectors) c();

  std::string out;
  out.reserve(16 * 1024);
  for (const Entry& e : entries) {
    switch (e.kind) {
      case Kind::kCounter: {
        auto* f = static_cast<CounterFamily*>(e.family);
        AppendHeader(f->name_, f->help_, "counter", &out);
        absl::MutexLock lock(&f->mu_);
        for (const auto& [values, c] : f->series_) {
          AppendSample(f->name_, f->labels_, values, "", "", c->Value(), &out);
        }
        break;
      }
      case Kind::kGauge: {
        auto* f = static_cast<GaugeFamily*>(e.family);
        AppendHeader(f->name_, f->help_, "gauge", &out);
        absl::MutexLock lock(&f->mu_);
        for (const auto& [values, g] : f->series_) {
          AppendSample(f->name_, f->labels_, values, "", "", g->Value(), &out);
        }
        break;
      }
      case Kind::kHistogram: {
        auto* f = static_cast<HistogramFamily*>(e.family);
        AppendHeader(f->name_, f->help_, "histogram", &out);
        const std::string bucket = f->name_ + "_bucket";
        const std::string sum = f->name_ + "_sum";
        const std::string count = f->name_ + "_count";
        absl::MutexLock lock(&f->mu_);
        for (const auto& [values, h] : f->series_) {
          uint64_t cumulative = 0;
          const auto& bounds = h->bounds();
          for (size_t i = 0; i < bounds.size(); ++i) {
            cumulative += h->BucketCount(i);
            AppendSample(bucket, f->labels_, values, "le",
                         FormatMetricValue(bounds[i]),
                         static_cast<double>(cumulative), &out);
          }
          cumulative += h->BucketCount(bounds.size());
          AppendSample(bucket, f->labels_, values, "le", "+Inf",
                       static_cast<double>(cumulative), &out);
          AppendSample(sum, f->labels_, values, "", "", h->Sum(), &out);
          AppendSample(count, f->labels_, values, "", "",
                       static_cast<double>(cumulative), &out);
        }
        break;
      }
    }
  }
  return out;
}

std::string RouteLabel(std::string_view route_template) {
  std::string out;
  out.reserve(route_template.size());
  for (char c : route_template) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (out.empty() || out.back() != '_') {
      out.push_back('_');  // a run of other characters becomes one '_'
    }
  }
  size_t b = out.find_first_not_of('_');
  if (b == std::string::npos) return "root";
  size_t e = out.find_last_not_of('_');
  return out.substr(b, e - b + 1);
}

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest round-trip form; integers print without a fraction.
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return absl::StrCat(v);
  return std::string(buf, end);
}

ServerMetrics::ServerMetrics(const BuildInfo& build, std::string stats_tenant)
    : stats_tenant_(std::move(stats_tenant)) {
  build_info = registry.AddGauge(
      "tempo_build_info",
      "A metric with a constant '1' value labeled by version, revision, "
      "branch, and goversion from which tempo was built.",
      {"branch", "goversion", "revision", "version"});
  build_info
      ->WithLabels(
          {build.branch, build.goversion, build.revision, build.version})
      ->Set(1);
  request_duration = registry.AddHistogram(
      "tempo_request_duration_seconds",
      "Time (in seconds) spent serving HTTP requests.",
      {"method", "route", "status_code", "ws"}, RequestDurationBuckets());
  spans_received = registry.AddCounter(
      "tempo_distributor_spans_received_total",
      "The total number of spans received per tenant", {"tenant"});
  bytes_received = registry.AddCounter(
      "tempo_distributor_bytes_received_total",
      "The total number of proto bytes received per tenant", {"tenant"});
  accepted_spans = registry.AddCounter(
      "tempo_receiver_accepted_spans",
      "Number of spans successfully pushed into the pipeline.",
      {"receiver", "transport"});
  refused_spans = registry.AddCounter(
      "tempo_receiver_refused_spans",
      "Number of spans that could not be pushed into the pipeline.",
      {"receiver", "transport"});
  pushes = registry.AddCounter(
      "andante_distributor_pushes_total",
      "Push requests by transport and outcome (ok or the status code name).",
      {"transport", "status"});
  discarded_spans = registry.AddCounter(
      "tempo_discarded_spans_total",
      "The total number of samples that were discarded.", {"reason", "tenant"});
  udp_datagrams_dropped = registry.AddCounter(
      "andante_receiver_udp_datagrams_dropped_total",
      "UDP datagrams dropped before decoding finished (too large, queue "
      "full, malformed).",
      {"receiver", "transport", "reason"});
  live_traces =
      registry.AddGauge("tempo_ingester_live_traces",
                        "The current number of live traces", {"tenant"});
  traces_created = registry.AddCounter(
      "tempo_ingester_traces_created_total",
      "The total number of traces created per tenant.", {"tenant"});
  blocks_flushed = registry.AddCounter("tempo_ingester_blocks_flushed_total",
                                       "The total number of blocks flushed");
  block_flush_failures =
      registry.AddCounter("tempo_ingester_failed_flushes_total",
                          "The total number of failed block flushes");
  // No Tempo equivalent: Tempo's block list poller drops unreadable blocks
  // without counting them.
  blocks_damaged = registry.AddCounter(
      "andante_blocks_damaged_total",
      "Blocks found damaged (unreadable or inconsistent meta.json, index, "
      "bloom or data, or incomplete and unrecoverable); each is logged once "
      "and skipped or read around.");
  wal_bytes_written =
      registry.AddCounter("andante_wal_bytes_written_total",
                          "Bytes appended to the write-ahead log.");
  wal_bytes_on_disk =
      registry.AddGauge("andante_wal_bytes_on_disk",
                        "Bytes of write-ahead log segments currently on disk.");
  blocklist_length =
      registry.AddGauge("tempodb_blocklist_length",
                        "Total number of blocks per tenant", {"tenant"});
}

void ServerMetrics::UpdateFromStore(const StoreStats& stats) {
  live_traces->WithLabels({stats_tenant_})
      ->Set(static_cast<double>(stats.live_traces));
  traces_created->WithLabels({stats_tenant_})
      ->Set(static_cast<double>(stats.traces_created));
  blocks_flushed->WithLabels({})->Set(
      static_cast<double>(stats.blocks_flushed));
  block_flush_failures->WithLabels({})->Set(
      static_cast<double>(stats.block_flush_failures));
  blocks_damaged->WithLabels({})->Set(
      static_cast<double>(stats.blocks_damaged));
  wal_bytes_written->WithLabels({})->Set(
      static_cast<double>(stats.wal_bytes_written));
  wal_bytes_on_disk->WithLabels({})->Set(
      static_cast<double>(stats.wal_bytes_on_disk));
  blocklist_length->WithLabels({stats_tenant_})
      ->Set(static_cast<double>(stats.blocks_in_backend));
}

void ServerMetrics::ObserveRequest(std::string_view method,
                                   std::string_view route,
                                   std::string_view status_code,
                                   double seconds) {
  request_duration->WithLabels({method, route, status_code, "false"})
      ->Observe(seconds);
}

void ServerMetrics::RecordPush(std::string_view receiver,
                               std::string_view transport,
                               std::string_view tenant, uint64_t spans,
                               uint64_t bytes, std::string_view status,
                               bool accepted,
                               uint64_t discarded_trace_too_large) {
  auto n = static_cast<double>(spans);
  if (!tenant.empty()) {
    spans_received->WithLabels({tenant})->Inc(n);
    bytes_received->WithLabels({tenant})->Inc(static_cast<double>(bytes));
  }
  (accepted ? accepted_spans : refused_spans)
      ->WithLabels({receiver, transport})
      ->Inc(n);
  pushes->WithLabels({transport, status})->Inc();
  if (discarded_trace_too_large > 0) {
    discarded_spans->WithLabels({"trace_too_large", tenant})
        ->Inc(static_cast<double>(discarded_trace_too_large));
  }
}

void ServerMetrics::RecordDroppedDatagram(std::string_view transport,
                                          std::string_view reason) {
  udp_datagrams_dropped->WithLabels({"jaeger", transport, reason})->Inc();
}

}  // namespace andante::server
