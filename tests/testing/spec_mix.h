// Test-side helpers for the trace-ID filters' tests, written from
// docs/block-format.md rather than taken from lib/: a reproducible stream of
// random-looking trace IDs, and the spec's Mix64 spelled out again so the
// tests check the library against the document.
#ifndef ANDANTE_TESTS_TESTING_SPEC_MIX_H_
#define ANDANTE_TESTS_TESTING_SPEC_MIX_H_

#include <cstdint>

#include "andante/ids.h"

namespace andante::testing {

// splitmix64: the tests' own key stream (random-looking, reproducible).
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The next trace ID of the stream `state`.
inline TraceId NextId(uint64_t& state) {
  const uint64_t hi = SplitMix64(state);
  return TraceId::FromHighLow(hi, SplitMix64(state));
}

// murmur3's fmix64, as the spec spells it.
inline uint64_t SpecMix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_TESTING_SPEC_MIX_H_
