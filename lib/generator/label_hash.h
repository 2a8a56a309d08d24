// A fast, non-cryptographic hash of short strings (label names and values),
// for the generator's hot lookups. Every user checks a hit byte for byte,
// so collisions cost time, never correctness.
//
//   uint64_t h = internal::kLabelHashSeed;
//   for (const LabelView& l : labels) {
//     h = internal::HashLabelBytes(h, l.first);
//     h = internal::HashLabelBytes(h, l.second);
//   }
//   // = internal::HashLabelPairs(labels)
//
// Internal to Andante.
#ifndef ANDANTE_GENERATOR_LABEL_HASH_H_
#define ANDANTE_GENERATOR_LABEL_HASH_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace andante::internal {

inline constexpr uint64_t kLabelHashSeed = 0x243f6a8885a308d3ull;

// Folds `v` into `h` (128-bit multiply, high and low halves xored).
inline uint64_t MixLabelHash(uint64_t h, uint64_t v) {
  const unsigned __int128 m =
      static_cast<unsigned __int128>(h ^ v ^ 0xa0761d6478bd642full) *
      0xe7037ed1a0b428dbull;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

// Folds the length and bytes of `s` into `h`, 8 bytes at a time.
inline uint64_t HashLabelBytes(uint64_t h, std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  h = MixLabelHash(h, n);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = MixLabelHash(h, w);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = MixLabelHash(h, w);
  }
  return h;
}

// The hash of a list of (name, value) pairs, names and values both folded
// in (the loop of the example above).
template <class Labels>
uint64_t HashLabelPairs(const Labels& labels) {
  uint64_t h = kLabelHashSeed;
  for (const auto& [name, value] : labels) {
    h = HashLabelBytes(h, name);
    h = HashLabelBytes(h, value);
  }
  return h;
}

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_LABEL_HASH_H_
