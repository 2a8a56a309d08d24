// Edge store: pending edges keyed by (trace ID, client span ID) in an
// open-addressing table of slot numbers; the edges live in reused slots (so
// their strings keep their capacity and a steady stream of spans allocates
// nothing), plus a FIFO of (key, slot, generation) in creation order so
// expiry only looks at the oldest entries.
#include "andante/service_graph.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
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

using EdgeKey = std::array<char, 24>;

struct EdgeKeyHash {
  size_t operator()(const EdgeKey& k) const {
    uint64_t w[3];
    std::memcpy(w, k.data(), sizeof(w));
    return internal::MixLabelHash(
        internal::MixLabelHash(internal::MixLabelHash(w[0], w[1]), w[2]),
        internal::kLabelHashSeed);
  }
};

EdgeKey MakeKey(std::string_view trace_id, std::string_view span_id) {
  EdgeKey k{};
  // string_view::copy copies nothing for an empty ID (whose data() may be
  // null, which memcpy must not be given: UBSan's nonnull check).
  trace_id.copy(k.data(), 16);
  span_id.copy(k.data() + 16, 8);
  return k;
}

// One side of an edge: owned strings (`Str` = std::string) for an edge
// kept across batches, views (std::string_view) for one paired within the
// batch that filled it (into the batch, or BatchUpdates::Keep copies).
template <class Str>
struct SideOf {
  bool present = false;
  Str service;
  double latency = 0;
  Str peer;                           // first peer attribute on the span
  absl::InlinedVector<Str, 2> dims;  // per configured dimension, "" = absent
};
using Side = SideOf<std::string>;
using SideView = SideOf<std::string_view>;

template <class Str>
struct EdgeOf {
  Str trace_id;
  SideOf<Str> client, server;
  std::string_view connection_type;  // of the side processed last; a literal
  bool failed = false;
  bool server_is_root = false;
  bool server_last = false;  // which side was processed last
  double multiplier = 1;
};

// An edge held across batches, in a reused slot.
struct Edge : EdgeOf<std::string> {
  absl::Time created;
  uint32_t generation = 0;  // bumped when the slot is freed
};

// An edge started by a span of the batch being pushed.
struct LocalEdge : EdgeOf<std::string_view> {
  EdgeKey key;
  bool done = false;  // completed (and recorded) within the batch
};

void Assign(std::string* to, std::string_view from) {
  to->assign(from.data(), from.size());
}
void Assign(std::string_view* to, std::string_view from) { *to = from; }

// Copies a side read from a span into an edge's side.
template <class Str>
void SetSide(SideOf<Str>* to, const SideView& from) {
  to->present = true;
  Assign(&to->service, from.service);
  to->latency = from.latency;
  Assign(&to->peer, from.peer);
  to->dims.resize(from.dims.size());
  for (size_t i = 0; i < from.dims.size(); ++i) {
    Assign(&to->dims[i], from.dims[i]);
  }
}

// Clears `e` for reuse, keeping its strings' capacity.
void Reset(Edge* e) {
  e->client.present = e->server.present = false;
  // A side never filled has no dimensions (Record omits its labels).
  e->client.dims.clear();
  e->server.dims.clear();
  e->connection_type = {};
  e->failed = e->server_is_root = e->server_last = false;
  e->multiplier = 1;
}

struct Pending {
  EdgeKey key;
  uint32_t slot;
  uint32_t generation;
  absl::Time created;
};

// The batch's local edges by key: open addressing over slots stamped with
// the batch number, so starting a batch clears nothing.
class LocalIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Starts a batch of at most `keys` keys.
  void Start(size_t keys) {
    size_t want = 64;
    while (want < 2 * keys) want *= 2;
    if (++stamp_ == 0 || slots_.size() < want) {
      slots_.assign(std::max(want, slots_.size()), Slot{});
      stamp_ = 1;
    }
    mask_ = slots_.size() - 1;
  }

  // The value stored for `key` in this batch (kNone if none), assignable.
  uint32_t& operator[](const EdgeKey& key) {
    for (size_t i = EdgeKeyHash()(key) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.stamp != stamp_) {
        s.stamp = stamp_;
        s.key = key;
        s.value = kNone;
        return s.value;
      }
      if (s.key == key) return s.value;
    }
  }

 private:
  struct Slot {
    uint32_t stamp = 0;
    uint32_t value = kNone;
    EdgeKey key{};
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  uint32_t stamp_ = 0;
};

}  // namespace

class ServiceGraphProcessor::Impl {
 public:
  Impl(const ServiceGraphOptions& options, MetricsRegistry* registry)
      : o_(options), registry_(registry), keys_(WantedKeys(options)) {
    res_found_.resize(keys_.size());
    span_found_.resize(keys_.size());
    for (const std::string& d : o_.dimensions) {
      dim_labels_.push_back(internal::SanitizeLabelName(d));
      prefixed_.push_back("client_" + dim_labels_.back());
      prefixed_.push_back("server_" + dim_labels_.back());
    }
    if (o_.enable_request) {
      total_ = registry->NewCounter("traces_service_graph_request_total");
      failed_ =
          registry->NewCounter("traces_service_graph_request_failed_total");
    }
    if (o_.enable_latency) {
      server_seconds_ = registry->NewHistogram(
          "traces_service_graph_request_server_seconds", o_.histogram_buckets);
      client_seconds_ = registry->NewHistogram(
          "traces_service_graph_request_client_seconds", o_.histogram_buckets);
    }
    unpaired_ =
        registry->NewCounter("traces_service_graph_unpaired_spans_total");
    dropped_ = registry->NewCounter("traces_service_graph_dropped_spans_total");
  }

  // Spans are paired within the batch first (local edges: views, no
  // copies, no shared table); what stays incomplete joins the shared table
  // at the end, in creation order. The series, counters and their order are
  // those of pairing span by span against the shared table.
  void Push(const internal::SpanBatchView& batch, absl::Time now) {
    absl::MutexLock lock(&mu_);
    ExpireLocked(now);
    local_.clear();
    local_live_ = 0;
    local_index_.Start(batch.spans().size());
    std::string scratch;
    std::string_view service;
    uint32_t current = UINT32_MAX;
    for (const internal::SpanView& span : batch.spans()) {
      if (span.skip) continue;
      const internal::ResourceView& res = batch.resources()[span.resource];
      if (span.resource != current) {
        current = span.resource;
        service = Stable(internal::AttrString(
            batch.ResourceAttribute(res, "service.name"), &scratch), scratch);
        keys_.Match(batch, res.attr_begin, res.attr_end, res_found_.data());
      }
      if (service.empty()) continue;
      HandleSpan(batch, service, res, span);
    }
    for (const LocalEdge& l : local_) {
      if (!l.done) KeepEdge(l, now);
    }
    FlushLocked(now);
  }

  void Expire(absl::Time now) {
    absl::MutexLock lock(&mu_);
    ExpireLocked(now);
    FlushLocked(now);
  }

  int64_t pending() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(edges_.size());
  }
  int64_t dropped() const {
    absl::MutexLock lock(&mu_);
    return dropped_count_;
  }
  int64_t expired() const {
    absl::MutexLock lock(&mu_);
    return expired_count_;
  }

 private:
  // The attribute keys looked up per span, in one pass (keys_): database
  // name attributes, then peer attributes, then dimensions, then the
  // database server's (kServerKeys).
  static internal::AttrKeySet WantedKeys(const ServiceGraphOptions& o) {
    std::vector<std::string> keys = o.database_name_attributes;
    keys.insert(keys.end(), o.peer_attributes.begin(), o.peer_attributes.end());
    keys.insert(keys.end(), o.dimensions.begin(), o.dimensions.end());
    keys.insert(keys.end(), std::begin(kServerKeys), std::end(kServerKeys));
    return internal::AttrKeySet(std::move(keys));
  }
  // DatabaseServer's attributes, in keys_ after the dimensions.
  static constexpr const char* kServerKeys[] = {
      "peer.service", "server.address", "network.peer.address",
      "network.peer.port"};
  size_t server0() const {
    return o_.database_name_attributes.size() + o_.peer_attributes.size() +
           o_.dimensions.size();
  }
  // Wanted key i of the current span first, then of the current resource.
  std::string_view SpanThenResFound(size_t i)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return internal::AttrString(
        span_found_[i] != nullptr ? span_found_[i] : res_found_[i], &scratch_);
  }

  // Wanted key i of the current resource first, then of the current span
  // (LookupAttribute's order).
  const internal::AttrView* ResThenSpanFound(size_t i) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return res_found_[i] != nullptr ? res_found_[i] : span_found_[i];
  }

  // `v`, or a copy kept until the flush when it points into `scratch`.
  std::string_view Stable(std::string_view v, const std::string& scratch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !v.empty() && v.data() == scratch.data() ? updates_.Keep(v) : v;
  }

  // One side read from the current span (keys_ matched on it already).
  void ReadSide(SideView* side, std::string_view service,
                const internal::SpanView& span)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    side->present = true;
    side->service = service;
    side->latency = span.end_ns <= span.start_ns
                        ? 0
                        : static_cast<double>(span.end_ns - span.start_ns) / 1e9;
    side->peer = {};
    const size_t dim0 =
        o_.database_name_attributes.size() + o_.peer_attributes.size();
    if (side->dims.size() != o_.dimensions.size()) {
      side->dims.resize(o_.dimensions.size());
    }
    for (size_t i = 0; i < o_.dimensions.size(); ++i) {
      side->dims[i] = Stable(
          internal::AttrString(ResThenSpanFound(dim0 + i), &scratch_), scratch_);
    }
  }

  // The first peer attribute of the current span into `side` (keys_
  // matched on it already). Only an edge left incomplete needs it (for
  // its virtual node at expiry), so a span that completes one skips it.
  void ReadPeer(SideView* side) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const size_t peer0 = o_.database_name_attributes.size();
    for (size_t i = 0; i < o_.peer_attributes.size(); ++i) {
      if (const auto* v = span_found_[peer0 + i]) {
        side->peer = Stable(internal::AttrString(v, &scratch_), scratch_);
        if (!side->peer.empty()) break;
      }
    }
  }

  // The current span's peer and, unless done (`matched`), keys_ matched on
  // it first.
  void MatchAndReadPeer(const internal::SpanBatchView& batch,
                        const internal::SpanView& span, bool* matched,
                        SideView* side) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!*matched) {
      keys_.Match(batch, span.attr_begin, span.attr_end, span_found_.data());
      *matched = true;
    }
    ReadPeer(side);
  }

  // Whether the current span's side completes `e`.
  template <class E>
  static bool Completes(const E& e, bool server_side) {
    return server_side ? e.client.present : e.server.present;
  }

  // The current span's side into `e` (a local or a kept edge); true when
  // that completes it.
  template <class E>
  static bool AddSide(E* e, const SideView& side, int kind, bool error,
                      double m, const internal::SpanView& span) {
    const bool server_side =
        kind == Span::SPAN_KIND_SERVER || kind == Span::SPAN_KIND_CONSUMER;
    SetSide(server_side ? &e->server : &e->client, side);
    if (server_side) e->server_is_root = span.parent_span_id.empty();
    e->connection_type =
        (kind == Span::SPAN_KIND_PRODUCER || kind == Span::SPAN_KIND_CONSUMER)
            ? "messaging_system"
            : "";
    e->server_last = server_side;
    e->failed = e->failed || error;
    e->multiplier = m;
    return e->client.present && e->server.present;
  }

  void HandleSpan(const internal::SpanBatchView& batch,
                  std::string_view service, const internal::ResourceView& res,
                  const internal::SpanView& span)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int kind = span.kind;
    const bool client_side =
        kind == Span::SPAN_KIND_CLIENT || kind == Span::SPAN_KIND_PRODUCER;
    const bool server_side =
        kind == Span::SPAN_KIND_SERVER || kind == Span::SPAN_KIND_CONSUMER;
    if (!client_side && !server_side) return;
    // A client span's database attributes and the dimensions are read from
    // keys_ matched now; a span without either needs keys_ only for its
    // peer, which is read (MatchAndReadPeer) only if its edge stays
    // incomplete.
    bool matched = kind == Span::SPAN_KIND_CLIENT || !o_.dimensions.empty();
    if (matched) {
      keys_.Match(batch, span.attr_begin, span.attr_end, span_found_.data());
    }
    const bool error = span.status_code == Status::STATUS_CODE_ERROR;
    double m = 1;
    if (!o_.span_multiplier_key.empty()) {
      const double ratio = internal::AttrNumber(
          SpanAttrThenRes(batch, res, span, o_.span_multiplier_key));
      if (ratio > 0) m = 1 / ratio;
    }

    if (kind == Span::SPAN_KIND_CLIENT) {
      std::string_view db;
      for (size_t i = 0; i < o_.database_name_attributes.size(); ++i) {
        // Mostly absent: no call for those.
        const internal::AttrView* a = ResThenSpanFound(i);
        if (a == nullptr) continue;
        db = internal::AttrString(a, &scratch_);
        if (!db.empty()) break;
      }
      if (!db.empty()) {
        // Stays valid while ReadSide reuses scratch_.
        const std::string_view server = DatabaseServer(db);
        EdgeOf<std::string_view> e;
        e.trace_id = span.trace_id;
        ReadSide(&e.client, service, span);
        ReadPeer(&e.client);
        e.server = e.client;
        e.server.service = server;
        e.connection_type = "database";
        e.failed = error;
        e.multiplier = m;
        Record(e, "");
        return;
      }
    }

    SideView& side = side_;
    ReadSide(&side, service, span);
    const EdgeKey key = MakeKey(
        span.trace_id, client_side ? span.span_id : span.parent_span_id);
    // An edge started earlier in this batch.
    uint32_t& local = local_index_[key];
    if (local != LocalIndex::kNone && !local_[local].done) {
      LocalEdge& e = local_[local];
      if (!Completes(e, server_side)) {
        MatchAndReadPeer(batch, span, &matched, &side);
      }
      if (AddSide(&e, side, kind, error, m, span)) {
        Record(e, "");
        e.done = true;
        --local_live_;
      }
      return;
    }
    // One kept from an earlier batch.
    if (auto it = edges_.find(key); it != edges_.end()) {
      const uint32_t slot = it->second;
      Edge& e = slots_[slot];
      if (!Completes(e, server_side)) {
        MatchAndReadPeer(batch, span, &matched, &side);
      }
      if (AddSide(&e, side, kind, error, m, span)) {
        Record(e, "");
        edges_.erase(it);
        Free(slot);
      }
      return;
    }
    if (o_.max_items > 0 &&
        static_cast<int64_t>(edges_.size() + local_live_) >= o_.max_items) {
      ++dropped_count_;
      AddCounter(dropped_, client_side ? "client" : "server", service);
      return;
    }
    MatchAndReadPeer(batch, span, &matched, &side);
    local = static_cast<uint32_t>(local_.size());
    LocalEdge& e = local_.emplace_back();
    e.key = key;
    e.trace_id = span.trace_id;
    AddSide(&e, side, kind, error, m, span);
    ++local_live_;
  }

  // A local edge left incomplete at the end of its batch joins the shared
  // table, created at `now`.
  void KeepEdge(const LocalEdge& l, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint32_t slot = AllocSlot();
    Edge& e = slots_[slot];
    Reset(&e);
    Assign(&e.trace_id, l.trace_id);
    if (l.client.present) SetSide(&e.client, l.client);
    if (l.server.present) SetSide(&e.server, l.server);
    e.connection_type = l.connection_type;
    e.failed = l.failed;
    e.server_is_root = l.server_is_root;
    e.server_last = l.server_last;
    e.multiplier = l.multiplier;
    e.created = now;
    edges_.emplace(l.key, slot);
    fifo_.push_back(Pending{l.key, slot, e.generation, now});
  }

  // The server of a database call (keys_ matched on its span and resource),
  // valid until the flush: a view of the batch's bytes, or a kept copy.
  std::string_view DatabaseServer(std::string_view db)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // `db` may point into scratch_, which the lookups reuse.
    db = Stable(db, scratch_);
    const size_t k = server0();
    std::string_view v = SpanThenResFound(k);  // peer.service
    if (!v.empty()) return Stable(v, scratch_);
    v = SpanThenResFound(k + 1);  // server.address
    if (!v.empty()) return Stable(v, scratch_);
    v = SpanThenResFound(k + 2);  // network.peer.address
    if (!v.empty()) {
      v = Stable(v, scratch_);
      const std::string_view port = SpanThenResFound(k + 3);  // .port
      if (port.empty()) return v;
      std::string joined(v);
      joined.append(":").append(port);
      return updates_.Keep(joined);
    }
    return db;
  }

  static const internal::AttrView* SpanAttrThenRes(
      const internal::SpanBatchView& batch, const internal::ResourceView& res,
      const internal::SpanView& span, std::string_view key) {
    const internal::AttrView* a = batch.SpanAttribute(span, key);
    return a != nullptr ? a : batch.ResourceAttribute(res, key);
  }

  // Queues the series updates of one completed (or virtual) edge (applied
  // at the flush). `virtual_node` is "client",
  // "server" or "".
  template <class E>
  void Record(const E& e, std::string_view virtual_node)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Without dimensions the labels are the two services, the connection
    // type and the virtual node. An edge whose four values are the very
    // bytes (same address and size) of one recorded earlier since the last
    // flush has its labels: its group is found without building, hashing
    // or comparing them. Services are views of the resources' attributes,
    // shared by all their spans, so most edges of a batch hit.
    Memo* memo = nullptr;
    Identity identity;
    if (dim_labels_.empty()) {
      identity = {{e.client.service, e.server.service, e.connection_type,
                   virtual_node}};
      uint64_t h = internal::kLabelHashSeed;
      for (std::string_view v : identity.values) {
        h = internal::MixLabelHash(
            h, reinterpret_cast<uintptr_t>(v.data()) ^ (uint64_t{v.size()} << 48));
      }
      memo = &memos_[h % kMemos];
      if (memo->epoch == memo_epoch_ && memo->identity.Same(identity)) {
        AddUpdates(e, memo->group);
        return;
      }
    }
    absl::InlinedVector<LabelView, 16> labels;
    labels.emplace_back("client", e.client.service);
    labels.emplace_back("server", e.server.service);
    labels.emplace_back("connection_type", e.connection_type);
    if (o_.enable_virtual_node_label) {
      labels.emplace_back("virtual_node", virtual_node);
    }
    if (o_.enable_client_server_prefix) {
      const std::vector<std::string>& prefixed = prefixed_;
      for (size_t i = 0; i < dim_labels_.size(); ++i) {
        if (i < e.client.dims.size()) {
          labels.emplace_back(prefixed[2 * i], e.client.dims[i]);
        }
        if (i < e.server.dims.size()) {
          labels.emplace_back(prefixed[2 * i + 1], e.server.dims[i]);
        }
      }
    } else {
      const auto& last = e.server_last ? e.server : e.client;
      const auto& first = e.server_last ? e.client : e.server;
      for (size_t i = 0; i < dim_labels_.size(); ++i) {
        std::string_view v;
        if (i < last.dims.size() && !last.dims[i].empty()) {
          v = last.dims[i];
        } else if (i < first.dims.size()) {
          v = first.dims[i];
        }
        labels.emplace_back(dim_labels_[i], v);
      }
    }
    // The label names are the same for every edge of this processor: the
    // values alone tell its label sets apart.
    uint64_t hash = internal::kLabelHashSeed;
    for (const LabelView& l : labels) {
      hash = internal::HashLabelBytes(hash, l.second);
    }
    const uint32_t g = updates_.GroupOf(labels, hash, /*mergeable=*/true);
    if (memo != nullptr) *memo = {identity, memo_epoch_, g};
    AddUpdates(e, g);
  }

  // The registry updates of edge `e` into group `g`.
  template <class E>
  void AddUpdates(const E& e, uint32_t g) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const double m = e.multiplier;
    if (total_ >= 0) {
      updates_.AddCount(g, total_, m);
      if (e.failed) updates_.AddCount(g, failed_, m);
    }
    if (server_seconds_ >= 0) {
      updates_.Add(g, {server_seconds_, e.server.latency, m, e.trace_id});
      updates_.Add(g, {client_seconds_, e.client.latency, m, e.trace_id});
    }
  }

  // A one-label counter increment, queued; `value` is copied when it starts
  // a new group (a group already queued for it holds its own copy).
  void AddCounter(int metric, std::string_view name, std::string_view value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t hash = internal::HashLabelBytes(
        internal::HashLabelBytes(internal::kLabelHashSeed, name), value);
    const LabelView probe[] = {{name, value}};
    uint32_t g = updates_.FindGroup(probe, hash);
    if (g == internal::BatchUpdates::kNoGroup) {
      const LabelView kept[] = {{name, updates_.Keep(value)}};
      g = updates_.GroupOf(kept, hash, /*mergeable=*/true);
    }
    updates_.AddCount(g, metric, 1);
  }

  // Applies the queued updates; slots freed meanwhile (whose strings the
  // queued labels used) become reusable.
  void FlushLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    updates_.Flush(registry_, now);
    // The groups are gone, and the bytes the memos point at may be reused.
    if (++memo_epoch_ == 0) {
      memos_.fill(Memo{});
      memo_epoch_ = 1;
    }
    free_.insert(free_.end(), freed_.begin(), freed_.end());
    freed_.clear();
  }

  uint32_t AllocSlot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!free_.empty()) {
      const uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    slots_.emplace_back();
    return static_cast<uint32_t>(slots_.size() - 1);
  }

  // The slot's generation moves on at once (so queued expiries skip it);
  // it is reused only after the next flush.
  void Free(uint32_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++slots_[slot].generation;
    freed_.push_back(slot);
  }

  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!fifo_.empty() && now - fifo_.front().created > o_.wait) {
      const Pending p = fifo_.front();
      fifo_.pop_front();
      // Gone already (paired) when the slot's generation moved on.
      if (slots_[p.slot].generation != p.generation) continue;
      edges_.erase(p.key);
      Edge& e = slots_[p.slot];
      if (e.server.present && !e.client.present && e.server_is_root) {
        e.client.present = true;
        e.client.service = e.server.peer.empty() ? "user" : e.server.peer;
        e.client.latency = 0;
        e.connection_type = "virtual_node";
        Record(e, "client");
      } else if (e.client.present && !e.server.present &&
                 !e.client.peer.empty()) {
        e.server.present = true;
        e.server.service = e.client.peer;
        e.server.latency = 0;
        e.connection_type = "virtual_node";
        Record(e, "server");
      } else {
        ++expired_count_;
        if (e.client.present) {
          AddCounter(unpaired_, "client", e.client.service);
        } else {
          AddCounter(unpaired_, "server", e.server.service);
        }
      }
      Free(p.slot);
    }
  }

  const ServiceGraphOptions o_;
  MetricsRegistry* const registry_;
  // A Push(bytes) from a span tap reads the store's recorded view.
  internal::SpanViewRecordingRequest recording_;
  std::vector<std::string> dim_labels_;
  int total_ = -1, failed_ = -1, server_seconds_ = -1, client_seconds_ = -1;
  int unpaired_ = -1, dropped_ = -1;
  mutable absl::Mutex mu_;
  std::vector<std::string> prefixed_;  // client_<dim>, server_<dim>, ...
  const internal::AttrKeySet keys_;
  // keys_ found in the current resource and span.
  std::vector<const internal::AttrView*> res_found_ ABSL_GUARDED_BY(mu_);
  std::vector<const internal::AttrView*> span_found_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<EdgeKey, uint32_t, EdgeKeyHash> edges_
      ABSL_GUARDED_BY(mu_);
  // A deque: queued label views point into the edges' strings, which must
  // not move when a slot is added.
  std::deque<Edge> slots_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> freed_ ABSL_GUARDED_BY(mu_);  // until the next flush
  internal::BatchUpdates updates_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> fifo_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_count_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t expired_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::string scratch_ ABSL_GUARDED_BY(mu_);
  // The batch's edges, in creation order, and their index.
  std::vector<LocalEdge> local_ ABSL_GUARDED_BY(mu_);
  LocalIndex local_index_ ABSL_GUARDED_BY(mu_);
  size_t local_live_ ABSL_GUARDED_BY(mu_) = 0;  // local_ not done
  SideView side_ ABSL_GUARDED_BY(mu_);          // HandleSpan's, reused
  // Record's groups by the identity of their label values, valid for the
  // current memo_epoch_ (one per flush).
  struct Identity {
    std::string_view values[4];
    bool Same(const Identity& o) const {
      for (int i = 0; i < 4; ++i) {
        if (values[i].data() != o.values[i].data() ||
            values[i].size() != o.values[i].size()) {
          return false;
        }
      }
      return true;
    }
  };
  struct Memo {
    Identity identity;
    uint32_t epoch = 0;
    uint32_t group = 0;
  };
  static constexpr size_t kMemos = 509;  // a prime: addresses share low bits
  std::array<Memo, kMemos> memos_ ABSL_GUARDED_BY(mu_){};
  uint32_t memo_epoch_ ABSL_GUARDED_BY(mu_) = 1;
};

ServiceGraphProcessor::ServiceGraphProcessor(const ServiceGraphOptions& options,
                                             MetricsRegistry* registry)
    : impl_(std::make_unique<Impl>(options, registry)) {}
ServiceGraphProcessor::~ServiceGraphProcessor() = default;

bool ServiceGraphProcessor::Push(std::string_view request, absl::Time now) {
  return ProcessorViews::PushBytes(*this, request, now);
}

void PushRequest(ServiceGraphProcessor* processor,
                 const otlp::collector::trace::v1::ExportTraceServiceRequest&
                     request,
                 absl::Time now) {
  ProcessorViews::PushTree(*processor, request, now);
}
void ProcessorViews::Push(ServiceGraphProcessor& processor,
                          const internal::SpanBatchView& batch,
                          absl::Time now) {
  processor.impl_->Push(batch, now);
}
void ServiceGraphProcessor::Expire(absl::Time now) { impl_->Expire(now); }
int64_t ServiceGraphProcessor::pending_edges() const {
  return impl_->pending();
}
int64_t ServiceGraphProcessor::dropped_spans() const {
  return impl_->dropped();
}
int64_t ServiceGraphProcessor::expired_edges() const {
  return impl_->expired();
}

}  // namespace andante
