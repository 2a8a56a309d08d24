#include "server_store.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "metrics.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::net {
namespace {

using internal::ToAbsl;
using internal::ToStd;

absl::Status MakeDirs(const std::string& path, std::string_view what) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", ToAbsl(what),
                                               " directory \"", path,
                                               "\": ", ec.message()));
  }
  return absl::OkStatus();
}

// Object-store request metrics under Tempo's names, observed from the S3
// client's callback.
void ObserveBackend(MetricsRegistry& registry, S3Options& s3) {
  HistogramFamily* duration = registry.AddHistogram(
      "tempodb_backend_request_duration_seconds",
      "Time spent doing backend storage requests.",
      {"operation", "status_code"},
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  CounterFamily* bytes = registry.AddCounter(
      "andante_backend_bytes_total",
      "Bytes of object-store request and response bodies.", {"direction"});
  s3.observer = [duration, bytes](const S3RequestInfo& r) {
    duration->WithLabels({r.operation, std::to_string(r.status_code)})
        ->Observe(absl::ToDoubleSeconds(r.duration));
    bytes->WithLabels({"sent"})->Inc(static_cast<double>(r.bytes_sent));
    bytes->WithLabels({"received"})->Inc(static_cast<double>(r.bytes_received));
  };
}

// The S3 backend plus Tempo's startup check (one LIST). Wrong credentials
// or a missing bucket stop the start with S3's own error; an unreachable
// store only warns here (Store::Open, which lists the bucket too, decides).
absl::StatusOr<std::unique_ptr<Backend>> OpenS3(const S3Options& options) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = OpenS3Backend(options);
  if (!backend.ok()) {
    return absl::Status(
        backend.status().code(),
        absl::StrCat("storage.trace.s3: ", backend.status().message()));
  }
  absl::StatusOr<std::vector<std::string>> tenants = (*backend)->List("");
  if (!tenants.ok()) {
    if (absl::IsUnavailable(tenants.status())) {
      ANDANTE_LOG(kWarn, "s3 bucket unreachable at startup",
                  {{"bucket", options.bucket},
                   {"err", std::string(ToStd(tenants.status().message()))}});
    } else {
      return tenants.status();
    }
  }
  return backend;
}

// Blocklist polling and, when this instance compacts, compaction, wired
// into the store options.
absl::Status WireSharedBucket(const ServerStoreOptions& o,
                              StoreOptions& options) {
  const std::string id = o.instance_id.empty() ? HostName() : o.instance_id;
  options.blocklist.instance_id = id;
  options.blocklist.instance_ring = o.instance_ring;
  if (!o.run_compactor) return absl::OkStatus();
  CompactionOptions compaction = o.compaction;
  compaction.block = options.block;
  compaction.instance_id = id;
  compaction.instance_ring = o.instance_ring;
  compaction.overrides = options.overrides;  // per-tenant block_retention
  if (o.block_retention > absl::ZeroDuration()) {
    compaction.block_retention = o.block_retention;
  }
  absl::StatusOr<std::unique_ptr<Compactor>> compactor =
      Compactor::Open(std::move(compaction), options.backend);
  if (!compactor.ok()) {
    return absl::Status(
        compactor.status().code(),
        absl::StrCat("compactor.compaction: ", compactor.status().message()));
  }
  options.compactor = std::move(*compactor);
  return absl::OkStatus();
}

}  // namespace

std::string HostName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    return host;
  }
  return "andante";
}

absl::StatusOr<std::unique_ptr<Store>> OpenServerStore(ServerStoreOptions o) {
  if (o.backend != "local" && o.backend != "s3") {
    return absl::FailedPreconditionError(
        absl::StrCat("storage.trace.backend \"", o.backend,
                     "\" is not supported yet; \"local\" and \"s3\" are"));
  }
  if (o.backend == "local") {
    if (absl::Status s = MakeDirs(o.local_path, "block"); !s.ok()) return s;
  }
  if (absl::Status s = MakeDirs(o.store.wal.path, "WAL"); !s.ok()) return s;
  if (o.backend == "s3" && o.registry != nullptr)
    ObserveBackend(*o.registry, o.s3);
  absl::StatusOr<std::unique_ptr<Backend>> backend =
      o.backend == "s3" ? OpenS3(o.s3) : OpenLocalBackend(o.local_path);
  if (!backend.ok()) return backend.status();
  StoreOptions options = o.store;
  options.backend = std::shared_ptr<Backend>(std::move(*backend));
  if (absl::Status s = WireSharedBucket(o, options); !s.ok()) return s;
  return Store::Open(std::move(options));
}

}  // namespace andante::net
