// One remote_write endpoint: a bounded in-memory queue of encoded requests
// and a sender thread that POSTs them in order, retrying 5xx, 429 and
// network errors with exponential backoff (30 ms doubling to 5 s, or the
// server's Retry-After) and dropping a request answered with another 4xx
// (logged with the response body).
//
// Prometheus rejects a whole request (400) when one sample is older than the
// series' newest: after a restart the initial zero of a new series can be.
// A request whose 400 says "out of order" or "out of bounds" is sent once
// more without its initial zeros.
//
// With `queue_dir`, every request is written to disk (one CRC-checked file,
// docs/remote-write-queue.md) before it is queued and removed once answered,
// so a restart resumes what was not delivered.
#ifndef ANDANTE_GENERATOR_REMOTE_WRITER_H_
#define ANDANTE_GENERATOR_REMOTE_WRITER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "andante/metrics_registry.h"
#include "andante/remote_write.h"

namespace andante::internal {

// The options are public (include/andante/remote_write.h): tempo.yaml
// fills them.
using RemoteWriteOptions = ::andante::RemoteWriteOptions;

class RemoteWriter {
 public:
  struct Stats {
    int64_t requests_sent = 0;  // answered 2xx
    int64_t samples_sent = 0;
    int64_t requests_failed = 0;   // dropped after a non-retryable answer
    int64_t requests_dropped = 0;  // dropped because the queue was full
    int64_t retries = 0;
    int64_t bytes_sent = 0;            // compressed bodies answered 2xx
    int64_t resent_without_zeros = 0;  // out-of-order 400s answered so
    int64_t recovered_requests = 0;    // loaded from queue_dir at start
    int64_t corrupt_files = 0;         // queue files dropped at start
    int last_status = 0;
  };

  explicit RemoteWriter(RemoteWriteOptions options);
  // Stops the sender (see Stop with a zero deadline).
  ~RemoteWriter();
  RemoteWriter(const RemoteWriter&) = delete;
  RemoteWriter& operator=(const RemoteWriter&) = delete;

  // Splits `samples` into requests of at most max_samples_per_send samples
  // (never splitting one series' samples), encodes and queues them.
  void Enqueue(std::string_view tenant,
               absl::Span<const CollectedSample> samples);

  // Keeps sending until the queue is empty or `flush_deadline` passed, then
  // stops the sender thread. Idempotent.
  void Stop(absl::Duration flush_deadline);

  // True once the queue is empty and nothing is in flight, within `timeout`.
  bool WaitIdle(absl::Duration timeout);

  Stats stats() const;
  const RemoteWriteOptions& options() const { return options_; }

 private:
  struct Request {
    std::string tenant;
    std::string body;  // snappy-compressed WriteRequest
    // The same request without the initial-zero samples; empty if it had
    // none.
    std::string fallback;
    int64_t samples = 0;
    std::string file;  // its queue file, or empty
  };
  void Run();
  void LoadQueue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the request's queue file; logs and returns false on failure.
  bool Persist(Request* r);
  void Forget(const Request& r);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;

  const RemoteWriteOptions options_;
  mutable absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_REMOTE_WRITER_H_
