// Series storage. Label names and values are interned (reference counted) so
// a series key is a vector of 32-bit ids: [metric, name0, value0, ...],
// sorted by label name. External labels are not part of the key; they are
// merged in at collection. Memory per series stays a few hundred bytes (see
// generator_bench's memory counter).
#include "andante/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "generator/format.h"
#include "generator/label_hash.h"
#include "util/strings.h"

namespace andante {
namespace {

enum class MetricKind { kCounter, kGauge, kHistogram };

struct Metric {
  std::string name;
  MetricKind kind;
  std::vector<double> bounds;          // histogram upper bounds, no +Inf
  std::vector<std::string> le_values;  // formatted bounds, then "+Inf"
};

struct Exemplar {
  uint16_t bucket;
  double value;
  std::string trace_id;  // raw bytes; hex at collection
};

struct Series {
  int64_t last_updated_ns = 0;
  double value = 0;                   // counter/gauge value, or histogram sum
  double count = 0;                   // histogram count
  std::unique_ptr<double[]> buckets;  // cumulative-to-be: per-bucket counts
  std::vector<Exemplar> exemplars;    // pending until the next collection
  // The caller's hash of the first label set (as passed) that reached this
  // series, and whether another label set reaches it too: the overflow
  // series, or label sets the label rules make equal. UpdateMany applies a
  // shared series' updates in the callers' original order.
  uint64_t first_hash = 0;
  bool shared = false;
  bool collected = false;
};

// A key is [metric id, name id, value id, ...] sorted by name.
using Key = std::vector<uint32_t>;

constexpr uint32_t kNoId = std::numeric_limits<uint32_t>::max();

}  // namespace

class MetricsRegistry::Impl {
 public:
  explicit Impl(RegistryOptions options) : options_(std::move(options)) {
    for (const Label& l : options_.external_labels) {
      external_.push_back(l);
    }
    std::sort(external_.begin(), external_.end());
  }

  int NewMetric(std::string_view name, MetricKind kind,
                std::vector<double> bounds) {
    absl::MutexLock lock(&mu_);
    Metric m;
    m.name = std::string(name);
    m.kind = kind;
    if (kind == MetricKind::kHistogram) {
      std::sort(bounds.begin(), bounds.end());
      bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
      while (!bounds.empty() && std::isinf(bounds.back())) bounds.pop_back();
      for (double b : bounds) {
        m.le_values.push_back(internal::FormatFloat(b));
      }
      m.le_values.push_back("+Inf");
      m.bounds = std::move(bounds);
    }
    metrics_.push_back(std::move(m));
    return static_cast<int>(metrics_.size() - 1);
  }

  // A label set after the label rules, with its key (key[0] = metric,
  // filled per lookup). `known` is false while some id is not interned yet.
  struct Prepared {
    absl::InlinedVector<LabelView, 16> set;
    Key key;
    bool known = true;
  };

  void Prepare(absl::Span<const LabelView> labels, Prepared* p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto& set = p->set;
    set.clear();
    for (LabelView l : labels) {
      std::string_view name = l.first.substr(0, options_.max_label_name_length);
      std::string_view value =
          l.second.substr(0, options_.max_label_value_length);
      if (name.empty()) continue;
      auto it = std::find_if(set.begin(), set.end(), [&](const LabelView& e) {
        return e.first == name;
      });
      if (value.empty()) {
        if (it != set.end()) set.erase(it);
        continue;
      }
      if (it != set.end()) {
        it->second = value;
      } else {
        set.emplace_back(name, value);
      }
    }
    // External labels override: drop the same-named ones here; they are
    // merged back at collection.
    if (!external_.empty()) {
      set.erase(std::remove_if(set.begin(), set.end(),
                               [&](const LabelView& l) {
                                 for (const Label& e : external_) {
                                   if (e.first == l.first) return true;
                                 }
                                 return false;
                               }),
                set.end());
    }
    std::sort(set.begin(), set.end());
    Key& key = p->key;
    key.clear();
    key.push_back(0);
    p->known = true;
    for (const LabelView& l : set) {
      uint32_t n = Find(l.first), v = Find(l.second);
      p->known = p->known && n != kNoId && v != kNoId;
      key.push_back(n);
      key.push_back(v);
    }
  }

  // The series of `metric` with the prepared labels, created (or folded into
  // the overflow series) if new. `hash` is the caller's hash of the labels
  // as passed (Series::first_hash).
  Series* Get(int metric, Prepared* p, uint64_t hash, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Key& key = p->key;
    key[0] = static_cast<uint32_t>(metric);
    const int64_t now_ns = absl::ToUnixNanos(now);
    if (p->known) {
      auto it = series_.find(key);
      if (it != series_.end()) {
        Series& s = it->second;
        s.last_updated_ns = now_ns;
        // Another label set as passed (or another caller's hash of it).
        if (s.first_hash != hash) s.shared = true;
        return &s;
      }
    }
    const Metric& m = metrics_[metric];
    const int64_t weight = Weight(m);
    Key overflow;
    const Key* create = &key;
    if (options_.max_active_series > 0 &&
        active_ + weight > options_.max_active_series) {
      ++overflowed_;
      overflow = {static_cast<uint32_t>(metric), Intern("metric_overflow"),
                  Intern("true")};
      auto it = series_.find(overflow);
      if (it != series_.end()) {
        Unref(overflow);  // Intern took references the existing key holds
        it->second.last_updated_ns = now_ns;
        it->second.shared = true;
        return &it->second;
      }
      create = &overflow;
    } else {
      for (size_t i = 1; i < key.size(); i += 2) {
        key[i] = Intern(p->set[(i - 1) / 2].first);
        key[i + 1] = Intern(p->set[(i - 1) / 2].second);
      }
      // The next metric's series of this label set takes its own references.
      p->known = true;
    }
    active_ += weight;
    Series s;
    s.last_updated_ns = now_ns;
    s.first_hash = hash;
    s.shared = create == &overflow;
    if (m.kind == MetricKind::kHistogram) {
      s.buckets = std::make_unique<double[]>(m.le_values.size());
      std::fill_n(s.buckets.get(), m.le_values.size(), 0.0);
    }
    return &series_.emplace(*create, std::move(s)).first->second;
  }

  void Apply(Series* s, const Metric& m, const MetricUpdate& u) {
    switch (m.kind) {
      case MetricKind::kCounter:
        s->value += u.value;
        return;
      case MetricKind::kGauge:
        s->value = u.value;
        return;
      case MetricKind::kHistogram:
        break;
    }
    s->count += u.multiplier;
    s->value += u.value * u.multiplier;
    const size_t b = static_cast<size_t>(
        std::lower_bound(m.bounds.begin(), m.bounds.end(), u.value) -
        m.bounds.begin());
    s->buckets[b] += u.multiplier;
    if (!u.trace_id.empty()) {
      for (Exemplar& e : s->exemplars) {
        if (e.bucket == b) {
          e.value = u.value;
          // Trace IDs are almost always the same length: copy in place;
          // 16 bytes (every valid one) as a fixed-size copy, inlined.
          if (e.trace_id.size() == u.trace_id.size()) {
            if (u.trace_id.size() == 16) {
              std::memcpy(e.trace_id.data(), u.trace_id.data(), 16);
            } else {
              std::memcpy(e.trace_id.data(), u.trace_id.data(),
                          u.trace_id.size());
            }
          } else {
            e.trace_id.assign(u.trace_id.data(), u.trace_id.size());
          }
          return;
        }
      }
      s->exemplars.push_back(
          Exemplar{static_cast<uint16_t>(b), u.value, std::string(u.trace_id)});
    }
  }

  // The hot path: a label set seen since the last collection is found by a
  // hash of its raw (as passed, before the label rules) names and values,
  // checked byte for byte, and maps to its series per metric; only a new
  // label set pays for Prepare and the interned key.
  void Update(absl::Span<const LabelView> labels,
              absl::Span<const MetricUpdate> updates, absl::Time now) {
    const uint64_t hash = internal::HashLabelPairs(labels);
    absl::MutexLock lock(&mu_);
    UpdateLocked(labels, hash, updates, now);
  }

  void UpdateMany(absl::Span<const LabelSetUpdates> sets, absl::Time now) {
    absl::MutexLock lock(&mu_);
    bool ordered = true;
    for (const LabelSetUpdates& set : sets) {
      ordered = ordered && set.order.size() == set.updates.size();
    }
    if (!ordered) {
      for (const LabelSetUpdates& set : sets) {
        UpdateLocked(set.labels, set.hash, set.updates, now);
      }
      return;
    }
    // A series only one label set reaches gets that set's updates at once
    // (they are in their original order already); those of a shared one
    // (Series::shared) wait, and are applied in the original order across
    // the sets at the end.
    shared_.clear();
    for (const LabelSetUpdates& set : sets) {
      Cursor c = Begin(set.labels, set.hash, now);
      for (size_t j = 0; j < set.updates.size(); ++j) {
        const MetricUpdate& u = set.updates[j];
        Series* s = SeriesOf(c, set.labels, set.hash, u, now);
        if (s->shared) {
          shared_.push_back({set.order[j], s, &u});
        } else {
          Apply(s, metrics_[u.metric], u);
        }
      }
    }
    if (shared_.empty()) return;
    std::sort(shared_.begin(), shared_.end(),
              [](const SharedUpdate& a, const SharedUpdate& b) {
                return a.order < b.order;
              });
    for (const SharedUpdate& su : shared_) {
      Apply(su.series, metrics_[su.update->metric], *su.update);
    }
  }

  // `hash` is the caller's hash of `labels` (see LabelSetUpdates).
  void UpdateLocked(absl::Span<const LabelView> labels, uint64_t hash,
                    absl::Span<const MetricUpdate> updates, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Cursor c = Begin(labels, hash, now);
    for (const MetricUpdate& u : updates) {
      Apply(SeriesOf(c, labels, hash, u, now), metrics_[u.metric], u);
    }
  }

  // A remembered label set (fast_): its raw labels and its series.
  struct FastEntry {
    std::string raw;
    absl::InlinedVector<std::pair<int, Series*>, 3> series;
  };
  // One label set's lookups (Begin, then SeriesOf per update in order).
  struct Cursor {
    FastEntry* entry = nullptr;  // its remembered series, if remembered
    int64_t now_ns = 0;
    bool prepared = false;  // scratch_ holds the label set
    // A label set's updates to one metric mostly come in a run (a batch's
    // observations of one histogram): the series of the previous update.
    int last_metric = -1;
    Series* last = nullptr;
  };

  // `hash` is the caller's hash of `labels` (see LabelSetUpdates).
  Cursor Begin(absl::Span<const LabelView> labels, uint64_t hash,
               absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Cursor c;
    auto it = fast_.find(hash);
    if (it != fast_.end() && RawEquals(it->second.raw, labels)) {
      c.entry = &it->second;
    } else if (fast_.size() < kMaxFastEntries + series_.size()) {
      c.entry = &fast_[hash];
      c.entry->raw = RawOf(labels);
      c.entry->series.clear();
    }
    c.now_ns = absl::ToUnixNanos(now);
    return c;
  }

  // The series `u` updates, of the label set `c` was begun with.
  ABSL_ATTRIBUTE_ALWAYS_INLINE Series* SeriesOf(
      Cursor& c, absl::Span<const LabelView> labels, uint64_t hash,
      const MetricUpdate& u, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Series* s = nullptr;
    if (c.entry == nullptr) {
      // Not remembered: every update looks its series up (and counts an
      // overflow), as one Update call per update would.
    } else if (u.metric == c.last_metric) {
      s = c.last;
    } else {
      for (const auto& [metric, series] : c.entry->series) {
        if (metric == u.metric) s = series;
      }
    }
    if (s != nullptr) {
      s->last_updated_ns = c.now_ns;
    } else {
      s = LookUp(c, labels, hash, u.metric, now);
    }
    c.last_metric = u.metric;
    c.last = s;
    return s;
  }

  // SeriesOf for a series the cursor does not remember.
  [[gnu::noinline]] Series* LookUp(Cursor& c,
                                   absl::Span<const LabelView> labels,
                                   uint64_t hash, int metric, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!c.prepared) Prepare(labels, &scratch_);
    c.prepared = true;
    Series* s = Get(metric, &scratch_, hash, now);
    if (c.entry != nullptr) c.entry->series.emplace_back(metric, s);
    return s;
  }

  // [len][name][len][value]... of the labels as passed.
  static std::string RawOf(absl::Span<const LabelView> labels) {
    std::string raw;
    for (const LabelView& l : labels) {
      for (std::string_view part : {l.first, l.second}) {
        const uint32_t n = static_cast<uint32_t>(part.size());
        raw.append(reinterpret_cast<const char*>(&n), sizeof(n));
        raw.append(part);
      }
    }
    return raw;
  }
  static bool RawEquals(std::string_view raw,
                        absl::Span<const LabelView> labels) {
    for (const LabelView& l : labels) {
      for (std::string_view part : {l.first, l.second}) {
        uint32_t n;
        if (raw.size() < sizeof(n)) return false;
        std::memcpy(&n, raw.data(), sizeof(n));
        raw.remove_prefix(sizeof(n));
        // n == 0: an empty label part may have a null data(), which memcmp
        // must not see.
        if (n != part.size() || raw.size() < n ||
            (n != 0 && std::memcmp(raw.data(), part.data(), n) != 0)) {
          return false;
        }
        raw.remove_prefix(n);
      }
    }
    return raw.empty();
  }

  void AddCounter(int metric, absl::Span<const LabelView> labels, double delta,
                  absl::Time now) {
    MetricUpdate u{metric, delta, 1, {}};
    Update(labels, {&u, 1}, now);
  }

  void SetGauge(int metric, absl::Span<const LabelView> labels, double value,
                absl::Time now) {
    MetricUpdate u{metric, value, 1, {}};
    Update(labels, {&u, 1}, now);
  }

  void Observe(int metric, absl::Span<const LabelView> labels, double value,
               double multiplier, std::string_view trace_id, absl::Time now) {
    MetricUpdate u{metric, value, multiplier, trace_id};
    Update(labels, {&u, 1}, now);
  }

  std::vector<CollectedSample> Collect(absl::Time now) {
    absl::MutexLock lock(&mu_);
    const int64_t now_ns = absl::ToUnixNanos(now);
    const int64_t stale_ns = absl::ToInt64Nanoseconds(options_.stale_duration);
    for (auto it = series_.begin(); it != series_.end();) {
      if (it->second.last_updated_ns < now_ns - stale_ns) {
        fast_.clear();  // it may point at this series
        active_ -= Weight(metrics_[it->first[0]]);
        Unref(it->first);
        series_.erase(it++);
      } else {
        ++it;
      }
    }
    const int64_t ts = absl::ToUnixMillis(now);
    const int64_t zero_ts = ts - ts % 60000 - 1000;
    std::vector<CollectedSample> out;
    out.reserve(series_.size() * 2);
    for (auto& entry : series_) {
      // Not a structured binding: clang 14 cannot capture one in the lambda.
      const auto& key = entry.first;
      auto& s = entry.second;
      const Metric& m = metrics_[key[0]];
      std::vector<Label> base = Labels(key);
      auto emit = [&](std::string_view suffix, const std::string* le,
                      double value, bool with_zero) -> CollectedSample& {
        std::vector<Label> labels = base;
        labels.emplace_back("__name__", m.name + std::string(suffix));
        if (le != nullptr) labels.emplace_back("le", *le);
        std::sort(labels.begin(), labels.end());
        if (with_zero && !s.collected) {
          CollectedSample zero;
          zero.labels = labels;
          zero.value = 0;
          zero.timestamp_ms = zero_ts;
          out.push_back(std::move(zero));
        }
        CollectedSample sample;
        sample.labels = std::move(labels);
        sample.value = value;
        sample.timestamp_ms = ts;
        out.push_back(std::move(sample));
        return out.back();
      };
      switch (m.kind) {
        case MetricKind::kCounter:
          emit("", nullptr, s.value, true);
          break;
        case MetricKind::kGauge:
          emit("", nullptr, s.value, false);
          break;
        case MetricKind::kHistogram: {
          double cumulative = 0;
          for (size_t b = 0; b < m.le_values.size(); ++b) {
            cumulative += s.buckets[b];
            CollectedSample& sample =
                emit("_bucket", &m.le_values[b], cumulative, true);
            for (const Exemplar& e : s.exemplars) {
              if (e.bucket != b) continue;
              CollectedExemplar ex;
              ex.labels.emplace_back(options_.exemplar_label_name,
                                     internal::TraceIdExemplarHex(e.trace_id));
              ex.value = e.value;
              ex.timestamp_ms = ts;
              sample.exemplar = std::move(ex);
            }
          }
          emit("_sum", nullptr, s.value, false);
          emit("_count", nullptr, s.count, true);
          s.exemplars.clear();
          break;
        }
      }
      s.collected = true;
    }
    return out;
  }

  std::string ExpositionText() const {
    absl::MutexLock lock(&mu_);
    // Group by metric so each family is contiguous with one TYPE line.
    std::vector<std::vector<const std::pair<const Key, Series>*>> by_metric(
        metrics_.size());
    for (const auto& entry : series_)
      by_metric[entry.first[0]].push_back(&entry);
    std::string out;
    for (size_t mi = 0; mi < metrics_.size(); ++mi) {
      if (by_metric[mi].empty()) continue;
      const Metric& m = metrics_[mi];
      absl::StrAppend(&out, "# TYPE ", m.name, " ",
                      m.kind == MetricKind::kCounter ? "counter"
                      : m.kind == MetricKind::kGauge ? "gauge"
                                                     : "histogram",
                      "\n");
      for (const auto* entry : by_metric[mi]) {
        const Series& s = entry->second;
        std::vector<Label> base = Labels(entry->first);
        auto line = [&](std::string_view suffix, const std::string* le,
                        double v) {
          std::vector<Label> labels = base;
          if (le != nullptr) labels.emplace_back("le", *le);
          absl::StrAppend(&out, m.name, internal::ToAbsl(suffix), "{");
          for (size_t i = 0; i < labels.size(); ++i) {
            absl::StrAppend(&out, i ? "," : "", labels[i].first, "=\"",
                            internal::EscapeLabelValue(labels[i].second), "\"");
          }
          absl::StrAppend(&out, "} ", internal::FormatFloat(v), "\n");
        };
        if (m.kind != MetricKind::kHistogram) {
          line("", nullptr, s.value);
          continue;
        }
        double cumulative = 0;
        for (size_t b = 0; b < m.le_values.size(); ++b) {
          cumulative += s.buckets[b];
          line("_bucket", &m.le_values[b], cumulative);
        }
        line("_sum", nullptr, s.value);
        line("_count", nullptr, s.count);
      }
    }
    return out;
  }

  int64_t active() const {
    absl::MutexLock lock(&mu_);
    return active_;
  }
  int64_t overflowed() const {
    absl::MutexLock lock(&mu_);
    return overflowed_;
  }

  size_t MemoryBytes() const {
    absl::MutexLock lock(&mu_);
    // node_hash_map: a pointer and a control byte per slot, one heap node
    // (plus malloc's header) per series.
    size_t bytes = series_.capacity() * (sizeof(void*) + 1) +
                   series_.size() * (sizeof(std::pair<const Key, Series>) + 16);
    for (const auto& [key, s] : series_) {
      bytes += key.capacity() * sizeof(uint32_t);
      const Metric& m = metrics_[key[0]];
      if (s.buckets) bytes += m.le_values.size() * sizeof(double);
      bytes += s.exemplars.capacity() * sizeof(Exemplar);
    }
    bytes += fast_.capacity() * (sizeof(std::pair<const uint64_t, FastEntry>) + 1);
    for (const auto& [hash, e] : fast_) {
      bytes += e.raw.capacity() + e.series.capacity() * sizeof(e.series[0]);
    }
    for (const std::string& str : strings_) {
      bytes += str.capacity() + sizeof(std::string) + sizeof(uint32_t) +
               sizeof(std::string_view) + sizeof(uint32_t);
    }
    return bytes;
  }

 private:
  static int64_t Weight(const Metric& m) {
    return m.kind == MetricKind::kHistogram
               ? static_cast<int64_t>(m.le_values.size()) + 2
               : 1;
  }

  uint32_t Find(std::string_view s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = ids_.find(s);
    return it == ids_.end() ? kNoId : it->second;
  }

  uint32_t Intern(std::string_view s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = ids_.find(s);
    if (it != ids_.end()) {
      ++refs_[it->second];
      return it->second;
    }
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      strings_[id] = std::string(s);
      refs_[id] = 1;
    } else {
      id = static_cast<uint32_t>(strings_.size());
      strings_.emplace_back(s);
      refs_.push_back(1);
    }
    ids_.emplace(std::string_view(strings_[id]), id);
    return id;
  }

  void Unref(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (size_t i = 1; i < key.size(); ++i) {
      const uint32_t id = key[i];
      if (--refs_[id] == 0) {
        ids_.erase(std::string_view(strings_[id]));
        std::string().swap(strings_[id]);
        free_.push_back(id);
      }
    }
  }

  // The key's labels merged with the external labels (external win).
  std::vector<Label> Labels(const Key& key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<Label> labels;
    labels.reserve(key.size() / 2 + external_.size() + 2);
    for (size_t i = 1; i + 1 < key.size(); i += 2) {
      labels.emplace_back(strings_[key[i]], strings_[key[i + 1]]);
    }
    for (const Label& e : external_) {
      if (!e.second.empty()) labels.push_back(e);
    }
    std::sort(labels.begin(), labels.end());
    return labels;
  }

  const RegistryOptions options_;
  std::vector<Label> external_;
  mutable absl::Mutex mu_;
  std::vector<Metric> metrics_ ABSL_GUARDED_BY(mu_);
  // Interned strings: a deque keeps the string_views in ids_ valid.
  std::deque<std::string> strings_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> refs_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string_view, uint32_t> ids_ ABSL_GUARDED_BY(mu_);
  // Node-based: Series pointers stay valid until the series is erased
  // (only in Collect, which then clears fast_).
  absl::node_hash_map<Key, Series> series_ ABSL_GUARDED_BY(mu_);
  // Update's lookup by raw label set (see Update).
  static constexpr size_t kMaxFastEntries = 1 << 16;
  absl::flat_hash_map<uint64_t, FastEntry> fast_ ABSL_GUARDED_BY(mu_);
  Prepared scratch_ ABSL_GUARDED_BY(mu_);
  // UpdateMany's scratch: the updates of series several label sets reach
  // (Series::shared), with their original positions.
  struct SharedUpdate {
    uint32_t order;
    Series* series;
    const MetricUpdate* update;
  };
  std::vector<SharedUpdate> shared_ ABSL_GUARDED_BY(mu_);
  int64_t active_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t overflowed_ ABSL_GUARDED_BY(mu_) = 0;
};

MetricsRegistry::MetricsRegistry(RegistryOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
MetricsRegistry::~MetricsRegistry() = default;

int MetricsRegistry::NewCounter(std::string_view name) {
  return impl_->NewMetric(name, MetricKind::kCounter, {});
}
int MetricsRegistry::NewGauge(std::string_view name) {
  return impl_->NewMetric(name, MetricKind::kGauge, {});
}
int MetricsRegistry::NewHistogram(std::string_view name,
                                  std::vector<double> buckets) {
  return impl_->NewMetric(name, MetricKind::kHistogram, std::move(buckets));
}
void MetricsRegistry::Update(absl::Span<const LabelView> labels,
                             absl::Span<const MetricUpdate> updates,
                             absl::Time now) {
  impl_->Update(labels, updates, now);
}
void MetricsRegistry::UpdateMany(absl::Span<const LabelSetUpdates> sets,
                                 absl::Time now) {
  impl_->UpdateMany(sets, now);
}
void MetricsRegistry::AddCounter(int metric, absl::Span<const LabelView> labels,
                                 double delta, absl::Time now) {
  impl_->AddCounter(metric, labels, delta, now);
}
void MetricsRegistry::SetGauge(int metric, absl::Span<const LabelView> labels,
                               double value, absl::Time now) {
  impl_->SetGauge(metric, labels, value, now);
}
void MetricsRegistry::ObserveHistogram(int metric,
                                       absl::Span<const LabelView> labels,
                                       double value, double multiplier,
                                       std::string_view trace_id,
                                       absl::Time now) {
  impl_->Observe(metric, labels, value, multiplier, trace_id, now);
}
std::vector<CollectedSample> MetricsRegistry::Collect(absl::Time now) {
  return impl_->Collect(now);
}
std::string MetricsRegistry::ExpositionText() const {
  return impl_->ExpositionText();
}
int64_t MetricsRegistry::active_series() const { return impl_->active(); }
int64_t MetricsRegistry::overflowed() const { return impl_->overflowed(); }
size_t MetricsRegistry::ApproximateMemoryBytes() const {
  return impl_->MemoryBytes();
}

}  // namespace andante
