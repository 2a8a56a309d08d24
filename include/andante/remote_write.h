// -----------------------------------------------------------------------------
// File: remote_write.h
// -----------------------------------------------------------------------------
//
// The options of one Prometheus remote_write endpoint the metrics generator
// sends its series to (`metrics_generator.storage.remote_write[]` in
// tempo.yaml). A plain struct: the config loader fills it, the generator's
// sender reads it.
//
// Example:
//
//   andante::RemoteWriteOptions rw;
//   rw.url = "http://prometheus:9090/api/v1/write";
//   rw.headers.emplace_back("Authorization", "Bearer " + token);
#ifndef ANDANTE_REMOTE_WRITE_H_
#define ANDANTE_REMOTE_WRITE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace andante {

// One remote_write endpoint: where requests go and how they are retried.
struct RemoteWriteOptions {
  // Where requests are POSTed, e.g. "http://prometheus:9090/api/v1/write".
  std::string url;
  // Extra request headers (remote_write[].headers; basic_auth becomes an
  // Authorization header). May carry credentials: never log them.
  std::vector<std::pair<std::string, std::string>> headers;
  // Sends exemplars along with the samples.
  bool send_exemplars = true;
  // Sends X-Scope-OrgID: <tenant> for tenants other than "single-tenant"
  // unless `headers` already has one.
  bool add_org_id_header = true;
  // Deadline of one POST.
  absl::Duration timeout = absl::Seconds(30);
  // Samples per request at most (one series' samples are never split).
  size_t max_samples_per_send = 2000;
  // Oldest requests are dropped (and logged) beyond this many queued bytes.
  size_t max_queued_bytes = 64 << 20;
  // Retry backoff: doubles from min_backoff up to max_backoff.
  absl::Duration min_backoff = absl::Milliseconds(30);
  absl::Duration max_backoff = absl::Seconds(5);
  // Retries requests answered 429 (otherwise they are dropped).
  bool retry_on_http_429 = true;
  std::string user_agent = "Andante/0.1.0";
  // Directory of the on-disk queue (created if missing); empty = memory
  // only. Requests survive a restart when set.
  std::string queue_dir;
};

}  // namespace andante

#endif  // ANDANTE_REMOTE_WRITE_H_
