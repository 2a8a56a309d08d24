// Opens the Store an Andante server runs on: the backend (a local directory,
// or S3 after Tempo's startup check), the WAL directory, blocklist polling
// and, when asked, a compactor; with S3, the backend's request metrics under
// Tempo's names.
//
//   ServerStoreOptions o;
//   o.local_path = "/var/tempo/blocks";
//   o.store.wal.path = "/var/tempo/wal";
//   o.run_compactor = true;
//   absl::StatusOr<std::unique_ptr<Store>> store = OpenServerStore(o);
#ifndef ANDANTE_NET_SERVER_STORE_H_
#define ANDANTE_NET_SERVER_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/compaction.h"
#include "andante/s3.h"
#include "andante/store.h"

namespace andante::net {

class MetricsRegistry;

struct ServerStoreOptions {
  // storage.trace.backend: "local" or "s3" (else FAILED_PRECONDITION).
  std::string backend = "local";
  // storage.trace.local.path, created if missing.
  std::string local_path = "./data/blocks";
  // storage.trace.s3, used when backend is "s3".
  S3Options s3;
  // WAL (its path created if missing), block and ingester options; the
  // backend and compactor are filled in here.
  StoreOptions store;
  // Whether this instance compacts (target all / compactor /
  // scalable-single-binary, compactor.disabled false).
  bool run_compactor = false;
  CompactionOptions compaction;
  // overrides block_retention; zero keeps compaction.block_retention.
  absl::Duration block_retention = absl::ZeroDuration();
  // The instance's ID (empty: the host name) and the compactor ring.
  std::string instance_id;
  std::vector<std::string> instance_ring;
  // With S3: tempodb_backend_request_duration_seconds and
  // andante_backend_bytes_total are registered here. May be null; must
  // outlive the store.
  MetricsRegistry* registry = nullptr;
};

// Opens the store; errors name the config key they come from.
absl::StatusOr<std::unique_ptr<Store>> OpenServerStore(
    ServerStoreOptions options);

// The host name ("andante" if unknown), Tempo's default instance ID.
std::string HostName();

}  // namespace andante::net

#endif  // ANDANTE_NET_SERVER_STORE_H_
