// Reading attributes of a SpanBatchView (model/span_batch_view.h) the way
// the generator's processors need them: a fixed set of keys found in one
// pass, values stringified as Tempo does. Internal to Andante.
#ifndef ANDANTE_GENERATOR_SPAN_BATCH_VIEW_H_
#define ANDANTE_GENERATOR_SPAN_BATCH_VIEW_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/span_batch_view.h"

namespace andante::internal {

// A fixed list of attribute keys, found in one pass over a span's or a
// resource's attributes (instead of one scan per key): a key whose length
// no wanted key has is passed over with one bit test.
class AttrKeySet {
 public:
  explicit AttrKeySet(std::vector<std::string> keys) : keys_(std::move(keys)) {
    for (size_t j = 0; j < keys_.size(); ++j) {
      const unsigned bit = LenBit(keys_[j]);
      len_mask_ |= uint64_t{1} << bit;
      by_len_[bit].push_back(static_cast<uint32_t>(j));
    }
  }
  size_t size() const { return keys_.size(); }

  // out[i] = the first attribute in [begin, end) of `batch` named keys[i],
  // or null. REQUIRES: `out` has size() entries.
  void Match(const SpanBatchView& batch, uint32_t begin, uint32_t end,
             const AttrView** out) const {
    for (size_t j = 0; j < keys_.size(); ++j) out[j] = nullptr;
    for (uint32_t i = begin; i < end; ++i) {
      const AttrView* a = batch.attrs_begin(i);
      const unsigned bit = LenBit(a->key);
      if ((len_mask_ >> bit & 1) == 0) continue;
      for (uint32_t j : by_len_[bit]) {
        if (out[j] == nullptr && keys_[j] == a->key) out[j] = a;
      }
    }
  }

 private:
  static unsigned LenBit(std::string_view k) {
    return k.size() < 63 ? static_cast<unsigned>(k.size()) : 63;
  }
  std::vector<std::string> keys_;
  uint64_t len_mask_ = 0;
  std::vector<uint32_t> by_len_[64];  // indexes into keys_, by LenBit
};

// The value of `a` as the processors stringify it (format.h AnyValueString).
// Returns a view into the source when the value is a string (the common
// case), else into `*scratch`. "" for a null `a`.
std::string_view AttrString(const AttrView* a, std::string* scratch);

// The value as a double when it is a double or int attribute, else 0.
double AttrNumber(const AttrView* a);

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_SPAN_BATCH_VIEW_H_
