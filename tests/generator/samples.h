// Lookups over collected samples for the generator tests.
#ifndef ANDANTE_TESTS_GENERATOR_SAMPLES_H_
#define ANDANTE_TESTS_GENERATOR_SAMPLES_H_

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "andante/metrics_registry.h"

namespace andante::testing {

// `labels` without __name__, any order.
inline std::vector<Label> LabelSet(const std::string& name,
                                   std::vector<Label> labels) {
  labels.emplace_back("__name__", name);
  std::sort(labels.begin(), labels.end());
  return labels;
}

// The samples of the series with exactly this label set, in order.
inline std::vector<CollectedSample> SeriesOf(
    const std::vector<CollectedSample>& samples, const std::string& name,
    const std::vector<Label>& labels) {
  const std::vector<Label> want = LabelSet(name, labels);
  std::vector<CollectedSample> out;
  for (const CollectedSample& s : samples) {
    if (s.labels == want) out.push_back(s);
  }
  return out;
}

// The last value of that series; nullopt if absent.
inline std::optional<double> ValueOf(
    const std::vector<CollectedSample>& samples, const std::string& name,
    const std::vector<Label>& labels) {
  std::vector<CollectedSample> s = SeriesOf(samples, name, labels);
  if (s.empty()) return std::nullopt;
  return s.back().value;
}

inline size_t CountNamed(const std::vector<CollectedSample>& samples,
                         const std::string& name) {
  size_t n = 0;
  for (const CollectedSample& s : samples) {
    for (const Label& l : s.labels) {
      if (l.first == "__name__" && l.second == name) ++n;
    }
  }
  return n;
}

}  // namespace andante::testing

#endif  // ANDANTE_TESTS_GENERATOR_SAMPLES_H_
