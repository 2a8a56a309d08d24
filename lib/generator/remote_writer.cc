#include "generator/remote_writer.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "generator/http_client.h"
#include "generator/remote_write_encoding.h"
#include "util/log.h"

namespace andante::internal {

RemoteWriter::RemoteWriter(RemoteWriteOptions options)
    : options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

RemoteWriter::~RemoteWriter() { Stop(absl::ZeroDuration()); }

void RemoteWriter::Enqueue(std::string_view tenant,
                           absl::Span<const CollectedSample> samples) {
  size_t begin = 0;
  while (begin < samples.size()) {
    size_t end = std::min(samples.size(), begin + options_.max_samples_per_send);
    // Keep a series' samples (initial zero + value) in one request.
    while (end < samples.size() && end > begin + 1 &&
           samples[end].labels == samples[end - 1].labels) {
      --end;
    }
    Request r;
    r.tenant = std::string(tenant);
    r.samples = static_cast<int64_t>(end - begin);
    r.body = SnappyCompress(EncodeWriteRequest(
        samples.subspan(begin, end - begin), options_.send_exemplars));
    begin = end;
    absl::MutexLock lock(&mu_);
    queued_bytes_ += r.body.size();
    queue_.push_back(std::move(r));
    while (queued_bytes_ > options_.max_queued_bytes && queue_.size() > 1) {
      queued_bytes_ -= queue_.front().body.size();
      ++stats_.requests_dropped;
      ANDANTE_LOG(kWarn, "remote write queue full; dropped the oldest request",
                  {{"url", options_.url},
                   {"samples", std::to_string(queue_.front().samples)}});
      queue_.pop_front();
    }
  }
}

void RemoteWriter::Stop(absl::Duration flush_deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      deadline_ = absl::Now() + flush_deadline;
    }
  }
  if (thread_.joinable()) thread_.join();
}

bool RemoteWriter::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && !in_flight_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

RemoteWriter::Stats RemoteWriter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void RemoteWriter::Run() {
  HttpClient client;
  std::vector<std::pair<std::string, std::string>> base = {
      {"Content-Encoding", "snappy"},
      {"Content-Type", "application/x-protobuf"},
      {"X-Prometheus-Remote-Write-Version", "0.1.0"},
      {"User-Agent", options_.user_agent},
  };
  bool has_org_id = false;
  for (const auto& h : options_.headers) {
    has_org_id = has_org_id || absl::EqualsIgnoreCase(h.first, "X-Scope-OrgID");
    base.push_back(h);
  }
  LogThrottle retry_log(absl::Seconds(10));
  for (;;) {
    Request req;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty() || (stopping_ && absl::Now() >= deadline_)) return;
      req = queue_.front();
      in_flight_ = true;
    }
    std::vector<std::pair<std::string, std::string>> headers = base;
    if (options_.add_org_id_header && !has_org_id &&
        req.tenant != "single-tenant") {
      headers.emplace_back("X-Scope-OrgID", req.tenant);
    }
    absl::Duration backoff = options_.min_backoff;
    int attempt = 0;
    bool done = false;
    while (!done) {
      if (attempt > 0) headers.emplace_back("Retry-Attempt", std::to_string(attempt));
      absl::StatusOr<HttpResult> r =
          client.Post(options_.url, headers, req.body, options_.timeout);
      if (attempt > 0) headers.pop_back();
      absl::Duration wait = backoff;
      bool retry = false;
      absl::MutexLock lock(&mu_);
      if (!r.ok()) {
        retry = true;
      } else {
        stats_.last_status = r->status;
        if (r->status >= 200 && r->status < 300) {
          ++stats_.requests_sent;
          stats_.samples_sent += req.samples;
          stats_.bytes_sent += static_cast<int64_t>(req.body.size());
          done = true;
        } else if (r->status >= 500 ||
                   (r->status == 429 && options_.retry_on_http_429)) {
          retry = true;
          if (r->retry_after.has_value()) wait = *r->retry_after;
        } else {
          ++stats_.requests_failed;
          ANDANTE_LOG(kWarn, "remote write rejected; request dropped",
                      {{"url", options_.url},
                       {"status", std::to_string(r->status)},
                       {"samples", std::to_string(req.samples)},
                       {"response", r->body}});
          done = true;
        }
      }
      if (retry) {
        ++stats_.retries;
        uint64_t suppressed = 0;
        if (retry_log.Allow(&suppressed)) {
          ANDANTE_LOG(
              kWarn, "remote write failed; retrying",
              {{"url", options_.url},
               {"err", r.ok() ? absl::StrCat("HTTP ", r->status, " ", r->body)
                              : std::string(r.status().message())},
               {"suppressed", std::to_string(suppressed)}});
        }
        if (stopping_ && absl::Now() >= deadline_) {
          in_flight_ = false;
          return;
        }
        // Sleep, waking early only for a stop whose deadline has passed.
        const absl::Time until = absl::Now() + wait;
        auto give_up = [this, until]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ && absl::Now() >= deadline_;
        };
        mu_.AwaitWithDeadline(absl::Condition(&give_up),
                              std::min(until, stopping_ ? deadline_ : until));
        if (give_up()) {
          in_flight_ = false;
          return;
        }
        backoff = std::min(backoff * 2, options_.max_backoff);
        ++attempt;
      }
    }
    absl::MutexLock lock(&mu_);
    queued_bytes_ -= queue_.front().body.size();
    queue_.pop_front();
    in_flight_ = false;
  }
}

}  // namespace andante::internal
