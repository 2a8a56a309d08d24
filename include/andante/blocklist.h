// Discovering the blocks that every instance sharing a bucket has written.
//
// A BlocklistPoller returns each tenant's live and compacted blocks. Per
// tenant, a few instances of the ring (`blocklist_poll_tenant_index_builders`,
// chosen by rendezvous hashing) list the tenant's blocks and write the tenant
// index `<tenant>/index.json.zst` (docs/tenant-index.md); every other instance
// reads that one object instead of listing, and falls back to a listing when
// the index is missing, damaged or older than the staleness bound. The
// tenants themselves come the same way: the same number of instances list the
// top level and write the root tenant list `~tenants.json.zst`, the others
// read it, so a poll with a fresh list and fresh indexes makes no LIST
// request at all. Builders PUT either object only when it changed, is
// missing, or is half the staleness bound old. Call Poll every
// `blocklist_poll`:
//
//   andante::BlocklistOptions options;
//   options.instance_id = "andante-1";
//   options.instance_ring = {"andante-0", "andante-1"};
//   auto poller = andante::BlocklistPoller::Open(options, backend);
//   absl::StatusOr<andante::Blocklist> blocks = (*poller)->Poll(absl::Now());
//   for (const auto& [tenant, list] : *blocks) use(list.live);
//
// Thread-safe; polls are serialized.
#ifndef ANDANTE_BLOCKLIST_H_
#define ANDANTE_BLOCKLIST_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"

namespace andante {

// `storage.trace.blocklist_poll*` (Tempo's key names) and the ring.
struct BlocklistOptions {
  // How often the embedder calls Poll; also sets the default staleness bound.
  absl::Duration blocklist_poll = absl::Minutes(5);
  // List a tenant when its index is unusable (otherwise keep the previous
  // poll's blocks for it).
  bool blocklist_poll_fallback = true;
  // An index older than this is not trusted; zero means 3 x blocklist_poll.
  absl::Duration blocklist_poll_stale_tenant_index = absl::ZeroDuration();
  // How many instances of the ring list a tenant and write its index (and
  // list the tenants and write the root tenant list).
  int blocklist_poll_tenant_index_builders = 2;
  // This instance and all instances sharing the bucket (see compaction.h).
  std::string instance_id = "andante";
  std::vector<std::string> instance_ring;
};

// A block as a poll reports it.
struct BlockSummary {
  std::string block_id;
  uint32_t format_version = 0;
  uint32_t compaction_level = 0;
  absl::Time start_time, end_time;  // span start / end range
  uint64_t total_objects = 0;       // traces
  uint64_t total_spans = 0;
  uint64_t size_bytes = 0;  // data + index + bloom
  // When it was marked compacted; InfinitePast for live blocks.
  absl::Time compacted_time = absl::InfinitePast();
};

struct TenantBlocklist {
  std::vector<BlockSummary> live;       // block ID order
  std::vector<BlockSummary> compacted;  // block ID order
};

// Tenant -> blocks.
using Blocklist = std::map<std::string, TenantBlocklist>;

// Requests made by the last poll.
struct PollStats {
  uint64_t tenants = 0;
  uint64_t tenant_list_reads = 0;   // root tenant list GETs
  uint64_t tenant_list_writes = 0;  // root tenant list PUTs
  uint64_t tenant_listings = 0;     // LISTs of the top level (the tenants)
  uint64_t index_reads = 0;   // tenant index GETs
  uint64_t index_writes = 0;  // tenant index PUTs
  uint64_t listings = 0;      // tenants listed (a LIST plus GETs per block)
  uint64_t fallbacks = 0;     // of which because the index was unusable
  uint64_t errors = 0;        // tenants whose previous blocks were kept
  absl::Duration duration;
};

class BlocklistPoller {
 public:
  // INVALID_ARGUMENT for a null backend or non-positive blocklist_poll.
  static absl::StatusOr<std::unique_ptr<BlocklistPoller>> Open(
      BlocklistOptions options, std::shared_ptr<Backend> backend);
  virtual ~BlocklistPoller() = default;

  // Polls every tenant at time `now`. Fails only if the tenants cannot be
  // listed; a tenant that fails keeps its previous blocks (PollStats.errors).
  virtual absl::StatusOr<Blocklist> Poll(absl::Time now) = 0;

  virtual PollStats last_poll_stats() const = 0;
};

}  // namespace andante

#endif  // ANDANTE_BLOCKLIST_H_
