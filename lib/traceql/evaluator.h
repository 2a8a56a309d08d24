// TraceQL evaluation of a QueryImpl against one Trace.
#ifndef ANDANTE_LIB_TRACEQL_EVALUATOR_H_
#define ANDANTE_LIB_TRACEQL_EVALUATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "andante/traceql.h"
#include "traceql/ast.h"

namespace andante::traceql::internal {

class Evaluator {
 public:
  explicit Evaluator(const QueryImpl& query);

  // See Matcher::Evaluate.
  absl::Status Evaluate(const Trace& trace, std::vector<SpanSet>* out);

  // Prepares per-trace state (attribute key ids, ...) for Value(). Called by
  // Evaluate; public for Query::SpanAttributes.
  void Bind(const Trace& trace);
  // Value of expression `expr` for span `span` of the bound trace, with the
  // current event/link (-1 for none).
  Val Eval(int expr, uint32_t span);

 private:
  using Spans = std::vector<uint32_t>;
  struct Set {
    Spans spans;
    std::vector<NamedValue> attributes;
  };
  using Sets = std::vector<Set>;

  bool Matches(int expr, uint32_t span, bool events, bool links);
  Val AttributeValue(const Expr& e, uint32_t span);
  Val Stored(const StoredValue& v) const;
  bool CompareArray(BinOp op, const Val& a, const Val& b) const;
  Val Lookup(AttributeRange range, uint32_t key) const;
  Val IntrinsicValue(Intrinsic in, uint32_t span);

  absl::Status EvalSet(int node, Sets input, Sets* out);
  absl::Status EvalSpansetOp(const SetNode& n, Sets input, Sets* out);
  void EvalScalarFilter(const SetNode& n, Sets input, Sets* out);
  void EvalBy(const SetNode& n, Sets input, Sets* out);
  void Candidates(Spans* out);
  absl::Status EvalAll(Sets* result);

  const QueryImpl& q_;
  const Trace* trace_ = nullptr;
  std::vector<uint32_t> keys_;  // per attribute slot: key id or UINT32_MAX
  std::vector<uint32_t> literal_sids_;  // per expr: string literal's id
  std::vector<std::vector<int8_t>> regex_memo_;  // per regex, per string id
  bool skip_trace_ = false;  // the prefilter ruled the bound trace out
  std::vector<std::string> span_id_hex_, parent_id_hex_;
  int32_t event_ = -1;
  int32_t link_ = -1;
  bool div_by_zero_ = false;
  // Fast path: the filter that starts the query (-1 if none) and the stages
  // after it; evaluated straight over the trace's spans.
  int first_filter_ = -1;
  std::vector<int> rest_;
  Spans scratch_;
  SpanSet spare_;  // buffers of a previous result, reused
  // Regex results by string, across traces (bounded).
  std::vector<absl::flat_hash_map<std::string, bool>> regex_cache_;
  std::vector<uint8_t> mark_;    // scratch: per span flags
  std::vector<uint32_t> count_;  // scratch: per span counters
};

}  // namespace andante::traceql::internal

#endif  // ANDANTE_LIB_TRACEQL_EVALUATOR_H_
