// A cheap pre-check on a trace fragment's serialized OTLP bytes: protobuf
// keeps attribute keys and string values verbatim, so a fragment in which a
// query's required attribute key or string literal does not occur cannot
// hold a span satisfying that condition, and need not be decoded.
#ifndef ANDANTE_QUERY_BYTE_PREFILTER_H_
#define ANDANTE_QUERY_BYTE_PREFILTER_H_

#include <string>
#include <string_view>
#include <vector>

#include "andante/traceql.h"

namespace andante::query {

class BytePrefilter {
 public:
  // Derived from query.conditions(): all must hold when
  // all_conditions_required(), else one; see traceql::Condition.
  explicit BytePrefilter(const traceql::Query& query);

  // False only if no span serialized in `data` (one or more TracesData,
  // each span with its resource and scope) can satisfy the conditions.
  bool MayMatch(std::string_view data) const;

  // True if MayMatch can ever return false.
  bool active() const { return active_; }

 private:
  // Per condition, byte strings that must all occur.
  std::vector<std::vector<std::string>> needs_;
  bool all_required_ = true;
  bool active_ = false;
};

}  // namespace andante::query

#endif  // ANDANTE_QUERY_BYTE_PREFILTER_H_
