// Deterministic ownership of compaction work among instances sharing one
// bucket, by rendezvous (highest-random-weight) hashing: every instance that
// is given the same member list computes the same owner for a key, with no
// coordination, and a member joining or leaving moves only the keys it wins
// or held. See docs/compaction.md for why this rule and not conditional
// writes.
//
//   InstanceRing ring("andante-1", {"andante-0", "andante-1", "andante-2"});
//   if (ring.Owns("tenant-a/1700000000")) RunJob(...);
#ifndef ANDANTE_COMPACTION_INSTANCE_RING_H_
#define ANDANTE_COMPACTION_INSTANCE_RING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace andante::internal {

// A stable 64-bit hash of `data` (the same on every build and machine, unlike
// absl::Hash): PERSISTENT in the sense that block IDs derive from it.
uint64_t StableHash64(std::string_view data, uint64_t seed);

class InstanceRing {
 public:
  // `members` empty means a ring of `self` alone. `self` need not be listed;
  // it is added. Duplicates are ignored.
  InstanceRing(std::string self, std::vector<std::string> members);

  // The member owning `key`.
  const std::string& Owner(std::string_view key) const;
  // Whether this instance owns `key`.
  bool Owns(std::string_view key) const { return Owner(key) == self_; }
  // Whether this instance is among the `n` highest-ranked members for `key`
  // (n >= 1): several owners, e.g. tenant index builders.
  bool AmongOwners(std::string_view key, size_t n) const;

  const std::string& self() const { return self_; }
  const std::vector<std::string>& members() const { return members_; }

 private:
  std::string self_;
  std::vector<std::string> members_;  // sorted, unique
};

// The block ID of output `index` of the compaction of `inputs` (block IDs,
// any order) of `tenant`: a UUID (version nibble 8, "custom") derived from
// a stable hash of the sorted inputs. Re-running the same job, on any
// instance, writes the same blocks instead of new copies.
std::string CompactionOutputBlockId(std::string_view tenant,
                                    std::vector<std::string> inputs,
                                    size_t index);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_INSTANCE_RING_H_
