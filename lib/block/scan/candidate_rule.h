// CandidateRule: whether a trace part (the trace's spans in one block) can
// match a query, from how many of its spans may satisfy the query's
// span_conditions() (the spans no per-span check rules out).
#ifndef ANDANTE_LIB_BLOCK_SCAN_CANDIDATE_RULE_H_
#define ANDANTE_LIB_BLOCK_SCAN_CANDIDATE_RULE_H_

#include <cstdint>
#include <functional>

#include "andante/ids.h"
#include "andante/traceql.h"

namespace andante::internal::scan {

class CandidateRule {
 public:
  // `may_be_split` (may be empty; must outlive the rule) tells whether a
  // trace may have parts outside the block.
  CandidateRule(const traceql::Query& query,
                const std::function<bool(const TraceId&)>& may_be_split)
      : may_be_split_(may_be_split),
        min_(may_be_split ? query.min_matching_spans() : 1) {}

  // A part without candidate spans cannot match (another part of the trace
  // holds its candidates, and is read when its block is). Nor can one with
  // fewer than Query::min_matching_spans() unless the trace may have parts
  // elsewhere: only the whole trace, combined by the caller, tells then.
  bool MayMatch(uint64_t candidates, const TraceId& id) const {
    if (candidates == 0) return false;
    return candidates >= static_cast<uint64_t>(min_) || may_be_split_(id);
  }

  // The candidate spans a part needs if the trace is not split (1: no bound
  // or no may_be_split).
  uint64_t min_spans() const { return static_cast<uint64_t>(min_); }

 private:
  const std::function<bool(const TraceId&)>& may_be_split_;
  int64_t min_;
};

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_CANDIDATE_RULE_H_
