// A v2 block's tag summary: per scope, its tag names and per name its
// distinct values (up to kTagSummaryMaxValuesPerName), written as the block's
// `tags` object (docs/block-format.md "`tags`", constants in block_format.h)
// so that the tags and tag values endpoints answer a cold request without
// reading and decoding the block's traces.
//
// The writer side is TagSummaryBuilder (block/tag_summary_builder.h).
//
//   absl::StatusOr<TagSummary> s = TagSummary::Decode(object_bytes);
//   const TagSummary::Entry* e = s->Find(kTagScopeSpan, "http.method");
//
// What it holds is what query/store_search.cc collects from decoded traces
// (traceql::TraceFromOtlp): names of attributes whose value is a scalar or an
// array (of scalars: the array's scalar elements are values), on resources
// and scopes that have spans, on spans, events and links; intrinsic values
// (span names, statuses, kinds, status messages, root span names and
// services, event names, scope names and versions).
#ifndef ANDANTE_BLOCK_TAG_SUMMARY_H_
#define ANDANTE_BLOCK_TAG_SUMMARY_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "block/block_format.h"

namespace andante::internal {

struct TagSummaryValue {
  TagSummaryValueType type = kTagValueString;
  std::string s;   // kTagValueString
  int64_t i = 0;   // int, bool (0/1), status, kind
  double f = 0;    // kTagValueFloat
};

class TagSummary {
 public:
  struct Entry {
    std::string name;
    bool overflowed = false;
    std::vector<TagSummaryValue> values;  // empty if overflowed
  };

  // Parses a `tags` object. DATA_LOSS on a bad magic, CRC or body.
  static absl::StatusOr<TagSummary> Decode(std::string_view object);

  // The entries of `scope`, sorted by name.
  const std::vector<Entry>& entries(TagSummaryScope scope) const {
    return scopes_[scope];
  }
  // The entry of `name` in `scope`, or null if the block has no such tag.
  const Entry* Find(TagSummaryScope scope, std::string_view name) const;
  // Approximate bytes held in memory.
  uint64_t memory_bytes() const { return memory_bytes_; }

 private:
  std::array<std::vector<Entry>, kTagScopeCount> scopes_;
  uint64_t memory_bytes_ = 0;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_TAG_SUMMARY_H_
