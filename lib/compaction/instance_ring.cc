#include "compaction/instance_ring.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "block/block_format.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

// Rank of `member` for `key`.
uint64_t Score(std::string_view member, std::string_view key) {
  return StableHash64(key, StableHash64(member, 0x6a09e667f3bcc908ull));
}

}  // namespace

uint64_t StableHash64(std::string_view data, uint64_t seed) {
  uint64_t h = Mix64(seed ^ (data.size() * 0x9e3779b97f4a7c15ull));
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = w << 8 | static_cast<uint8_t>(data[i + b]);
    h = Mix64(h ^ w) * 0xbf58476d1ce4e5b9ull;
  }
  uint64_t tail = 0;
  for (size_t j = data.size(); j > i; --j) {
    tail = tail << 8 | static_cast<uint8_t>(data[j - 1]);
  }
  return Mix64(h ^ tail ^ 0x94d049bb133111ebull);
}

InstanceRing::InstanceRing(std::string self, std::vector<std::string> members)
    : self_(std::move(self)), members_(std::move(members)) {
  members_.push_back(self_);
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
}

const std::string& InstanceRing::Owner(std::string_view key) const {
  const std::string* best = &members_.front();
  uint64_t best_score = Score(*best, key);
  for (const std::string& m : members_) {
    uint64_t s = Score(m, key);
    // Ties (astronomically rare) go to the smaller name: still deterministic.
    if (s > best_score) {
      best = &m;
      best_score = s;
    }
  }
  return *best;
}

bool InstanceRing::AmongOwners(std::string_view key, size_t n) const {
  uint64_t mine = Score(self_, key);
  size_t higher = 0;
  for (const std::string& m : members_) {
    if (m != self_ && Score(m, key) > mine) ++higher;
  }
  return higher < std::max<size_t>(n, 1);
}

std::string CompactionOutputBlockId(std::string_view tenant,
                                    std::vector<std::string> inputs,
                                    size_t index) {
  std::sort(inputs.begin(), inputs.end());
  std::string job = absl::StrCat(ToAbsl(tenant), "\n");
  for (const std::string& id : inputs) absl::StrAppend(&job, id, "\n");
  absl::StrAppend(&job, index);
  uint64_t hi = StableHash64(job, 0x243f6a8885a308d3ull);
  uint64_t lo = StableHash64(job, 0x13198a2e03707344ull);
  hi = (hi & ~0xf000ull) | 0x8000ull;              // version 8
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);  // variant 10xx
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffull);
}

}  // namespace andante::internal
