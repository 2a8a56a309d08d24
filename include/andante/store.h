// The Store: Andante's storage engine behind one object. An embedding program
// opens it with options, pushes OTLP requests, finds traces by ID, flushes and
// closes — no server and no sockets needed.
//
//   andante::StoreOptions options;
//   options.wal.path = "/tmp/andante/wal";
//   options.backend = *andante::OpenLocalBackend("/tmp/andante/blocks");
//   auto store = andante::Store::Open(std::move(options));
//   if (!store.ok()) return store.status();
//
//   // `body`: a serialized OTLP ExportTraceServiceRequest.
//   absl::StatusOr<andante::SpanBatch> batch = andante::SpanBatch::FromProto(body);
//   if (!batch.ok()) return batch.status();
//   auto pushed = (*store)->Push("single-tenant", *batch);
//   // pushed.ok(): the spans are in the WAL and survive a crash.
//
//   auto found = (*store)->FindTraceById("single-tenant", trace_id);
//   if (found.ok() && found->span_count > 0) {
//     std::string otlp_bytes = found->SerializeAsTracesData();
//   }
//
// This header names no generated protobuf class. A program that builds or
// reads OTLP messages includes andante/otlp.h, which gives the message view
// (andante::otlp::*, Andante's own compilation of the OTLP schema, distinct
// from the OpenTelemetry SDK's opentelemetry::proto::*) of a push and of a
// found trace.
//
// Data flow: a push is split by trace ID and appended to the tenant's WAL, then
// kept as a live trace. A live trace idle for `trace_idle_period` moves to the
// head block (its bytes stay in the WAL; memory keeps only their location).
// The head block is cut at `max_block_bytes` / `max_block_duration` into a
// complete block written to the backend, and only then are its WAL segments
// deleted. FindTraceById combines live, head, flushing and complete blocks and
// removes duplicate spans.
//
// All methods are thread-safe.
#ifndef ANDANTE_STORE_H_
#define ANDANTE_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/compaction.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "andante/search.h"

namespace andante {

class SpanTap;
class SpanBatch;
struct SpanBatchAccess;

// How Store::Push(tenant, request) makes a SpanBatch of a parsed request of
// type Request: `static SpanBatch From(const Request&)`. andante/otlp.h
// defines it for OTLP's ExportTraceServiceRequest; there is no other.
template <typename Request>
struct SpanBatchOf;
struct FoundTraceAccess;

// Spans ready for Store::Push: a request checked and split by trace ID.
// Receivers make one as soon as a request is decoded, then settle tenancy and
// push it; decoding from protobuf wire bytes this way never builds the OTLP
// message tree, which is most of the cost of an OTLP push.
//
//   absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(body);
//   if (!batch.ok()) return batch.status();  // INVALID_ARGUMENT: not OTLP
//   metrics.spans += batch->span_count();
//   absl::StatusOr<PushResult> pushed = store->Push(tenant, *batch);
//
// Invalid trace or span IDs do not fail the decoding: Push rejects the batch
// with the same INVALID_ARGUMENT as Push of the request, so a receiver
// reports tenancy errors first, as Tempo's distributor does.
//
// A batch borrows what it was made from (wire bytes or a parsed request):
// they must outlive it and stay unchanged. Move-only.
class SpanBatch {
 public:
  // From a serialized ExportTraceServiceRequest (the OTLP/HTTP protobuf body
  // or the OTLP/gRPC message). Accepts exactly what a protobuf parse of the
  // request accepts; otherwise INVALID_ARGUMENT "proto: cannot parse invalid
  // wire-format data", followed by protobuf's reason when it gives one
  // (e.g. a string field that is not valid UTF-8).
  static absl::StatusOr<SpanBatch> FromProto(std::string_view request);

  // From a parsed request: SpanBatchFromRequest in andante/otlp.h.

  // The library's representation; opaque here.
  struct Rep;

  SpanBatch(SpanBatch&& other) noexcept;
  SpanBatch& operator=(SpanBatch&& other) noexcept;
  ~SpanBatch();

  // Spans in the request, whether or not Push will accept them.
  uint64_t span_count() const;

 private:
  explicit SpanBatch(std::unique_ptr<Rep> rep);
  friend struct SpanBatchAccess;

  std::unique_ptr<Rep> rep_;
};

// What a push did.
struct PushResult {
  uint64_t spans_accepted = 0;
  // Spans dropped silently, as Tempo does, because their trace exceeded
  // `max_bytes_per_trace`. The push still succeeds.
  uint64_t spans_discarded_trace_too_large = 0;
  // Spans of traces dropped because the tenant already had
  // `max_traces_per_user` live traces. The push still succeeds.
  uint64_t spans_discarded_live_traces_exceeded = 0;
  // Attribute keys and string values cut to `max_attribute_bytes`.
  uint64_t attributes_truncated = 0;
};

// Restricts a lookup, like the `start`/`end` parameters of Tempo's API.
struct TraceLookupOptions {
  // Unix seconds; 0 means unbounded. Blocks, and live or WAL-held parts of a
  // trace, whose span times lie entirely outside [start, end] are not
  // searched (data of unknown time always is).
  int64_t start_unix_seconds = 0;
  int64_t end_unix_seconds = 0;
};

// A found trace: the combined trace, spans deduplicated by span ID (and
// kind); empty when no span was found. Copyable and movable; a moved-from
// FoundTrace is empty. andante/otlp.h gives the trace as an OTLP TracesData
// message (TracesDataOf).
class FoundTrace {
 public:
  FoundTrace();
  FoundTrace(const FoundTrace& other);
  FoundTrace& operator=(const FoundTrace& other);
  FoundTrace(FoundTrace&& other) noexcept;
  FoundTrace& operator=(FoundTrace&& other) noexcept;
  ~FoundTrace();

  // Spans in the trace.
  uint64_t span_count = 0;
  // Bytes read from the backend and the WAL to answer.
  uint64_t inspected_bytes = 0;
  // True when spans of the trace were dropped under `max_bytes_per_trace`
  // (at ingest, or at read when the stored parts add up to more): the trace
  // is what was kept. `message` then says so in Tempo's words (the
  // PARTIAL status and message of TraceByIDResponse).
  bool partial = false;
  std::string message;

  // The trace as a serialized OTLP TracesData message (also the bytes of a
  // tempopb.Trace, which has the same field numbers). Empty when no span
  // was found.
  std::string SerializeAsTracesData() const;

  // The trace as Tempo's GET /api/traces/<id> answers it in JSON:
  // `{"batches":[...]}` (proto3 JSON; IDs base64). "{}" when empty.
  std::string ToTempoJson() const;

  // The library's representation; opaque here.
  struct Rep;

 private:
  friend struct FoundTraceAccess;
  std::unique_ptr<Rep> rep_;
};

// Counters for /metrics and for embedders' own monitoring. Monotonic unless
// noted.
struct StoreStats {
  uint64_t spans_received = 0;
  uint64_t bytes_received = 0;
  uint64_t spans_discarded_trace_too_large = 0;
  uint64_t traces_created = 0;
  uint64_t live_traces = 0;       // gauge
  uint64_t wal_bytes_written = 0;
  uint64_t wal_bytes_on_disk = 0;  // gauge
  uint64_t blocks_flushed = 0;
  uint64_t block_flush_failures = 0;
  uint64_t blocks_in_backend = 0;  // gauge
  // Blocks found damaged (meta.json, index, bloom or data unreadable or
  // inconsistent) or left incomplete and unrecoverable: each is logged,
  // counted once here and skipped or read around; see docs/block-format.md.
  uint64_t blocks_damaged = 0;
  // Blocklist polls (StoreOptions.blocklist): done, failed (the backend's
  // tenants could not be listed; the previous blocks are kept), and the
  // last one's duration in seconds (gauge).
  uint64_t blocklist_polls = 0;
  uint64_t blocklist_poll_failures = 0;
  double blocklist_poll_seconds = 0;
  // Compaction (StoreOptions.compactor): cycles run, input blocks merged,
  // traces written to outputs, and blocks deleted by retention.
  uint64_t compaction_cycles = 0;
  uint64_t compaction_blocks = 0;
  uint64_t compaction_objects_written = 0;
  uint64_t retention_deleted = 0;
  // Multipart uploads a killed or failed writer left open, aborted by the
  // compaction cycle's cleanup (CompactionCycleReport's
  // retention.aborted_writes, summed).
  uint64_t backend_aborted_uploads = 0;
  // The last compaction cycle's duration in seconds (gauge; 0 before the
  // first).
  double compaction_seconds = 0;
  // The block cache (StoreOptions.block_cache_bytes): lookups that found a
  // bloom shard or index cached, lookups that read it, bytes held (gauge).
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t block_cache_bytes = 0;
  // Bytes of cut blocks not yet written to the backend (gauge): waiting on
  // a slow or unreachable object store.
  uint64_t pending_block_bytes = 0;
  // Blocks each tenant reads from (gauge; Tempo's tempodb_blocklist_length).
  std::map<std::string, uint64_t> blocklist_length;
  // Spans refused or dropped by a limit, per tenant and reason (Tempo's
  // tempo_discarded_spans_total{tenant,reason}: "rate_limited",
  // "live_traces_exceeded", "trace_too_large", and Andante's
  // "memory_limit_exceeded" and "flush_backlog").
  std::map<std::string, std::map<std::string, uint64_t>> discarded_spans;
  // Attribute keys/values truncated to max_attribute_bytes, per tenant.
  std::map<std::string, uint64_t> attributes_truncated;
  // Live traces per tenant (gauge; tempo_ingester_live_traces{tenant}).
  std::map<std::string, uint64_t> live_traces_per_tenant;
  // Span bytes not yet in a complete block, all tenants (gauge; bounded by
  // IngesterOptions.max_unflushed_bytes).
  uint64_t unflushed_bytes = 0;
  // Bytes of the in-memory trace index, all tenants (gauge; bounded by
  // IngesterOptions.max_trace_index_bytes).
  uint64_t trace_index_bytes = 0;
  // Block builds that failed and were scheduled for a retry after a
  // backoff, and the tenants now waiting one out with the longest
  // remaining wait in seconds (gauges).
  uint64_t block_flush_retries = 0;
  uint64_t tenants_in_flush_backoff = 0;
  double flush_backoff_seconds = 0;
  // Store::Search, all tenants: complete blocks considered, those not read
  // (outside the time range, past the limit, or ruled out by a v2 block's
  // index summaries: SearchMetrics::skipped_blocks) and bytes read
  // (SearchMetrics::inspected_bytes), summed over searches.
  uint64_t search_blocks = 0;
  uint64_t search_blocks_skipped = 0;
  uint64_t search_inspected_bytes = 0;
  // Damaged tag summaries (a v2 block's `tags` object) met by SearchTags and
  // SearchTagValues, which then answered from the block's data.
  uint64_t tag_summaries_damaged = 0;
};

class Store {
 public:
  // Opens the store: replays every tenant's WAL (recovering all complete
  // records and reporting torn tails), cleans up half-written blocks, lists
  // the backend's blocks, starts the flusher thread and schedules the
  // periodic sweep, blocklist polls and compaction cycles on options.env.
  static absl::StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Validates the batch (trace IDs 16 bytes, span IDs 8 bytes and non-zero;
  // any violation rejects the whole batch with INVALID_ARGUMENT), appends it
  // to `tenant`'s WAL and returns once it is durable under the WAL's fsync
  // policy. An empty batch succeeds and stores nothing.
  virtual absl::StatusOr<PushResult> Push(std::string_view tenant,
                                          const SpanBatch& batch) = 0;

  // The same for a parsed request: Push(tenant, request) is
  // Push(tenant, SpanBatchFromRequest(request)). For OTLP's
  // ExportTraceServiceRequest, include andante/otlp.h (which defines
  // SpanBatchOf for it); this header names no generated class.
  template <typename Request>
  absl::StatusOr<PushResult> Push(std::string_view tenant,
                                  const Request& request) {
    return Push(tenant, SpanBatchOf<Request>::From(request));
  }

  // All spans of `id` known to `tenant`, from every stage of the pipeline.
  virtual absl::StatusOr<FoundTrace> FindTraceById(
      std::string_view tenant, const TraceId& id,
      const TraceLookupOptions& options = {}) = 0;

  // Moves every live trace to the head block and cuts and flushes all head
  // blocks to the backend, synchronously. After it returns every pushed span
  // is in a complete block.
  virtual absl::Status Flush() = 0;

  // What Tempo's POST /flush does: moves every live trace to the head block
  // and cuts all head blocks now, queues them for the flush workers and
  // returns without waiting for the blocks (a failed cut is returned). The
  // default is the synchronous Flush.
  virtual absl::Status RequestFlush() { return Flush(); }

  // Polls the backend's blocklist now (the background loop does so every
  // blocklist_poll) and makes every tenant read exactly the polled live
  // blocks, plus blocks it flushed or compacted itself that no poll has
  // reported yet. Readers of blocks that stay are reused, caches and all.
  // Block ages are judged by StoreOptions.env's clock.
  // UNAVAILABLE if the backend's tenants cannot be listed (nothing changes).
  virtual absl::Status PollBlocklist() = 0;

  // One compaction cycle now (StoreOptions.compactor; FAILED_PRECONDITION if
  // none), with compaction windows and retention judged by
  // StoreOptions.env's clock: outputs replace their inputs in this store's
  // readers at once.
  virtual absl::StatusOr<CompactionCycleReport> RunCompactionCycle() = 0;

  // Registers a tap that sees every accepted push. Not owned; must outlive
  // the store or be removed first.
  virtual void AddSpanTap(SpanTap* tap) = 0;
  virtual void RemoveSpanTap(SpanTap* tap) = 0;

  virtual StoreStats Stats() const = 0;

  // The most recent traces of `tenant` matching `query` (see
  // andante/search.h), from live traces, the head block, blocks awaiting
  // flush and complete blocks; a span is searchable as soon as its push is
  // acknowledged. INVALID_ARGUMENT for runtime query errors (e.g. integer
  // division by zero) or limit == 0. Implemented by the query module.
  absl::StatusOr<SearchResult> Search(std::string_view tenant,
                                      const traceql::Query& query,
                                      const SearchOptions& options);

  // Attribute names of `tenant`'s spans in `scope` (kAll: every scope but
  // intrinsics), optionally only of spans matching options.query.
  absl::StatusOr<TagsResult> SearchTags(std::string_view tenant,
                                        TagScope scope,
                                        const TagSearchOptions& options);

  // Distinct typed values of `tag` in `tenant`'s spans.
  absl::StatusOr<TagValuesResult> SearchTagValues(
      std::string_view tenant, const TagName& tag,
      const TagSearchOptions& options);

  // Stops the background loop, flushes if `flush_all_on_shutdown`, syncs and
  // closes the WAL. Idempotent; the destructor calls it.
  virtual absl::Status Close() = 0;

  // The library's per-tenant pipeline; opaque here.
  class Tenant;

 protected:
  Store() = default;

 private:
  friend struct StoreSearchAccess;
  // The pipeline of `tenant`, or null if it has none; for the query module.
  virtual Tenant* FindTenantForSearch(
      std::string_view tenant) {
    (void)tenant;
    return nullptr;
  }
};

}  // namespace andante

#endif  // ANDANTE_STORE_H_
