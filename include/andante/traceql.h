// TraceQL: parse a query once, evaluate it against traces.
//
// Query::Parse turns TraceQL text into an immutable, thread-safe Query (or an
// INVALID_ARGUMENT status whose message names the line and column of the
// problem, e.g. "parse error at line 1, col 14: unexpected '}'"). A Matcher
// evaluates a Query against one traceql::Trace at a time and returns the
// matched spansets, as Tempo's engine does: the spans each spanset holds, and
// the spanset-level attributes the pipeline computed (`by(...)`, `count()`,
// `avg(duration)`, ...). Query::columns() and Query::conditions() tell a
// storage layer which columns to read and which blocks or pages can be
// skipped.
//
// Usage:
//
//   absl::StatusOr<andante::traceql::Query> query =
//       andante::traceql::Query::Parse(R"({ span.http.status_code >= 500 })");
//   if (!query.ok()) return query.status();          // -> HTTP 400
//   andante::traceql::Matcher matcher(*query);       // one per thread
//   std::vector<andante::traceql::SpanSet> spansets;
//   for (const andante::traceql::Trace& trace : traces) {
//     absl::Status s = matcher.Evaluate(trace, &spansets);
//     if (!s.ok()) return s;                          // e.g. integer division
//     by 0 if (!spansets.empty()) { ...trace matched... }
//   }
//
// Supported: all of TraceQL's filters, intrinsics, scopes, operators, spanset
// and structural operators, pipelines with scalar filters, by(), coalesce()
// and select(), and hints `with(...)`. Metrics functions (`rate()`, ...) parse
// to an INVALID_ARGUMENT "not supported" error.
#ifndef ANDANTE_TRACEQL_H_
#define ANDANTE_TRACEQL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/traceql_trace.h"

namespace andante::traceql {

// Where an attribute is looked up.
enum class Scope : uint8_t {
  kUnscoped,  // `.x`: span attributes, then resource attributes
  kSpan,
  kResource,
  kEvent,
  kLink,
  kInstrumentation,
};

// Intrinsic fields (legacy and scoped spellings map to the same value).
enum class Intrinsic : uint8_t {
  kName,                    // name, span:name
  kStatus,                  // status, span:status
  kStatusMessage,           // statusMessage, span:statusMessage
  kKind,                    // kind, span:kind
  kDuration,                // duration, span:duration
  kChildCount,              // span:childCount
  kSpanId,                  // span:id
  kParentId,                // span:parentID
  kTraceId,                 // trace:id
  kTraceDuration,           // traceDuration, trace:duration
  kRootName,                // rootName, trace:rootName
  kRootServiceName,         // rootServiceName, trace:rootService
  kEventName,               // event:name
  kEventTimeSinceStart,     // event:timeSinceStart
  kLinkTraceId,             // link:traceID
  kLinkSpanId,              // link:spanID
  kInstrumentationName,     // instrumentation:name
  kInstrumentationVersion,  // instrumentation:version
};

// The TraceQL name of an intrinsic as Tempo prints it (`name`, `span:id`).
std::string_view IntrinsicName(Intrinsic intrinsic);

// An owned, typed value: a spanset attribute or a span's reported attribute.
struct Value {
  ValueType type = ValueType::kNil;
  int64_t i = 0;   // kInt, kDuration (ns), kStatus, kKind (enum numbers)
  double f = 0;    // kFloat
  bool b = false;  // kBool
  std::string s;   // kString
  bool operator==(const Value&) const = default;
};

// Text as Tempo's search JSON shows it: strings raw, enums by name
// (`error`, `server`), durations as Go durations (`38ms`).
std::string ValueToString(const Value& value);

struct NamedValue {
  std::string name;
  Value value;
};

// One matched spanset of a trace.
struct SpanSet {
  // Indices into Trace::spans, ascending.
  std::vector<uint32_t> spans;
  // Pipeline results, keyed by the operation's text:
  // `by(resource.service.name)`, `count()`, `avg(duration)`, in pipeline order.
  std::vector<NamedValue> attributes;
};

// An attribute a query reads.
struct AttributeName {
  Scope scope = Scope::kUnscoped;
  std::string name;
  bool operator==(const AttributeName&) const = default;
};

// Everything a query reads, for column pruning: the attributes and
// intrinsics of its conditions, by(), aggregates and select().
struct QueryColumns {
  std::vector<AttributeName> attributes;
  std::vector<Intrinsic> intrinsics;
  // Attributes/intrinsics listed only in select(): needed for the returned
  // spans, not for deciding whether a span matches.
  std::vector<AttributeName> select_attributes;
  std::vector<Intrinsic> select_intrinsics;
};

// Comparison operators of conditions.
enum class CompareOp : uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kRegex,
  kNotRegex,
  kPresent,  // any use other than `attribute OP literal`: the value exists
  kAbsent,   // `attribute = nil`
};

// One per-span condition derived from the query, as Tempo's storage layer
// derives them (§3.5 of the TraceQL reference): `attribute OP literal`, or
// kPresent for other uses. A storage layer may skip a block or page when no
// span can satisfy the conditions: all of them when
// Query::all_conditions_required(), at least one otherwise.
struct Condition {
  bool is_intrinsic = false;
  Intrinsic intrinsic = Intrinsic::kName;  // when is_intrinsic
  AttributeName attribute;                 // when !is_intrinsic
  CompareOp op = CompareOp::kPresent;
  Value literal;  // for kEq..kNotRegex (the pattern for regexes)
};

// A parsed, validated TraceQL query. Immutable; copies share state; safe to
// use from several threads (each with its own Matcher).
class Query {
 public:
  // Longest accepted query text, in bytes (Tempo's limit).
  static constexpr size_t kMaxQueryBytes = 128 * 1024;
  // Deepest accepted nesting of parentheses, braces and operators.
  static constexpr int kMaxDepth = 200;

  // Parses and validates `text`. Errors are INVALID_ARGUMENT with a message
  // naming the position ("parse error at line L, col C: ...", or
  // "invalid query at line L, col C: ..." for type errors).
  static absl::StatusOr<Query> Parse(std::string_view text);

  // The columns the query reads.
  const QueryColumns& columns() const;
  // Per-span conditions for block and page skipping; see Condition.
  const std::vector<Condition>& conditions() const;
  // True if a candidate span must satisfy every condition (Tempo's "AND
  // mode"); false if one suffices.
  bool all_conditions_required() const;
  // Conditions every span of every matched spanset satisfies, all of them:
  // conditions() in AND mode; otherwise, for a query that starts with a
  // filter (`{ duration > 1s } | count() > 2`), that filter's comparisons
  // joined by `&&` at its top level (a subset: fewer conditions are still
  // sound). A trace none of whose spans satisfies them all cannot match, nor
  // can a block or page whose summaries rule one of them out. Empty when no
  // such condition is known (e.g. `{ a } || { b }`, `{ a || b } | count()`).
  const std::vector<Condition>& span_conditions() const;
  // The fewest spans satisfying span_conditions() a matching trace holds:
  // N + 1 for a `count() > N` stage after the leading filter (N for
  // `>= N` and `= N`), else 1. A trace stored in parts (in several blocks)
  // holds them all only when its parts are combined.
  int64_t min_matching_spans() const;
  // Hints from `with(name=value, ...)`, in order.
  const std::vector<NamedValue>& hints() const;

  // The attributes Tempo reports on a returned span: every attribute and
  // intrinsic the query touched (conditions, by(), select()), keyed by the
  // bare name (`service.name`, `status`), excluding name, durations, IDs and
  // trace-level intrinsics. Present values only. `span` indexes trace.spans.
  void SpanAttributes(const Trace& trace, uint32_t span,
                      std::vector<NamedValue>* out) const;

  // The query text as given.
  const std::string& text() const;

 private:
  friend class Matcher;
  struct Rep;  // the parsed query; defined by the library
  explicit Query(std::shared_ptr<const Rep> impl);
  std::shared_ptr<const Rep> impl_;
};

// Evaluates one Query against traces. Holds scratch memory reused across
// calls; not thread-safe (use one per thread). Shares the Query's state, so
// the Query object itself may go away first.
class Matcher {
 public:
  explicit Matcher(const Query& query);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Replaces *out with the spansets of `trace` that survive the query; empty
  // if the trace does not match. REQUIRES: trace.Finish() was called.
  // Errors: INVALID_ARGUMENT for runtime query errors (integer division by
  // zero, spanset operators over several spansets).
  absl::Status Evaluate(const Trace& trace, std::vector<SpanSet>* out);

 private:
  class Rep;  // the evaluator's state; defined by the library
  std::shared_ptr<const Query::Rep> query_;
  std::unique_ptr<Rep> evaluator_;
};

}  // namespace andante::traceql

#endif  // ANDANTE_TRACEQL_H_
