// Jaeger's span model as Jaeger clients send it over Thrift: the body of
// POST /api/traces (a bare Batch, binary protocol) and the argument of the
// agent's emitBatch call (UDP, compact or binary protocol).
//
// Written for Andante from the public Jaeger IDL description
// (reference/ingest-protocols.md §2.3). Field ids, types and requiredness
// are part of the wire format: never renumber them.

namespace cpp jaeger.thrift

// The type of a Tag's value, which lives in the matching v* field. Note the
// order differs from the protobuf ValueType (jaeger.api_v2).
enum TagType { STRING, DOUBLE, BOOL, LONG, BINARY }

// A typed key-value pair on a span, a log or a process.
struct Tag {
  1: required string key
  2: required TagType vType
  3: optional string vStr
  4: optional double vDouble
  5: optional bool vBool
  6: optional i64 vLong
  7: optional binary vBinary
}

// A timed event on a span; timestamp in microseconds since the epoch.
struct Log {
  1: required i64 timestamp
  2: required list<Tag> fields
}

enum SpanRefType { CHILD_OF, FOLLOWS_FROM }

// A causal reference to another span, possibly in another trace.
struct SpanRef {
  1: required SpanRefType refType
  2: required i64 traceIdLow
  3: required i64 traceIdHigh
  4: required i64 spanId
}

// One unit of work. IDs are unsigned 64-bit values carried as i64;
// traceIdHigh is 0 for 64-bit trace IDs and parentSpanId 0 for a root.
// startTime and duration are in microseconds.
struct Span {
  1: required i64 traceIdLow
  2: required i64 traceIdHigh
  3: required i64 spanId
  4: required i64 parentSpanId
  5: required string operationName
  6: optional list<SpanRef> references
  7: required i32 flags
  8: required i64 startTime
  9: required i64 duration
  10: optional list<Tag> tags
  11: optional list<Log> logs
}

// The emitting service: its name and process-wide tags (hostname, ip,
// client version).
struct Process {
  1: required string serviceName
  2: optional list<Tag> tags
}

// Client-side drop counters a reporter may attach to a batch.
struct ClientStats {
  1: required i64 fullQueueDroppedSpans
  2: required i64 tooLargeDroppedSpans
  3: required i64 failedToEmitSpans
}

// Spans from one process.
struct Batch {
  1: required Process process
  2: required list<Span> spans
  3: optional i64 seqNo
  4: optional ClientStats stats
}

// The collector's TChannel service is not served by Andante and not declared
// here: Collector.submitBatches(1: list<Batch> batches) returning
// list<BatchSubmitResponse { 1: required bool ok }>.
