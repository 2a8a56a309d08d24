#include "generator/remote_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "generator/http_client.h"
#include "generator/remote_write_encoding.h"
#include "generator/remote_write_queue_format.h"
#include "generator/remote_write_queue_record.h"
#include "util/crc32c.h"
#include "util/log.h"

namespace andante::internal {

namespace {

// Writes `data` to `path` durably: temp file, fsync, rename, fsync dir.
bool WriteFileDurably(const std::string& dir, const std::string& path,
                      const std::string& data) {
  const std::string tmp = path + rwq::kTempSuffix;
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

// The initial zeros: a sample followed by a later one of the same series.
std::vector<CollectedSample> WithoutInitialZeros(
    absl::Span<const CollectedSample> samples) {
  std::vector<CollectedSample> out;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i + 1 < samples.size() && samples[i].labels == samples[i + 1].labels &&
        samples[i].timestamp_ms < samples[i + 1].timestamp_ms) {
      continue;
    }
    out.push_back(samples[i]);
  }
  return out;
}

}  // namespace

RemoteWriter::RemoteWriter(RemoteWriteOptions options)
    : options_(std::move(options)) {
  if (!options_.queue_dir.empty()) {
    absl::MutexLock lock(&mu_);
    LoadQueue();
  }
  thread_ = std::thread([this] { Run(); });
}

void RemoteWriter::LoadQueue() {
  std::error_code ec;
  std::filesystem::create_directories(options_.queue_dir, ec);
  if (ec) {
    ANDANTE_LOG(kError,
                "cannot create the remote write queue directory; "
                "queueing in memory only",
                {{"dir", options_.queue_dir}, {"err", ec.message()}});
    return;
  }
  std::map<uint64_t, std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.queue_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, rwq::kTempSuffix)) {
      std::filesystem::remove(entry.path(), ec);  // torn write
      continue;
    }
    if (!absl::EndsWith(name, rwq::kSuffix)) continue;
    uint64_t seq = 0;
    if (std::sscanf(name.c_str(), "%16lx", &seq) != 1) continue;
    files[seq] = entry.path().string();
  }
  for (const auto& [seq, path] : files) {
    next_seq_ = std::max(next_seq_, seq + 1);
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    QueueRecord rec;
    const bool ok = DecodeQueueRecord(data, &rec);
    if (!ok) {
      ++stats_.corrupt_files;
      ANDANTE_LOG(kWarn, "corrupt remote write queue file dropped",
                  {{"file", path}});
      std::filesystem::remove(path, ec);
      continue;
    }
    Request r;
    r.tenant = std::move(rec.tenant);
    r.samples = static_cast<int64_t>(rec.samples);
    r.body = std::move(rec.body);
    r.fallback = std::move(rec.fallback);
    r.file = path;
    queued_bytes_ += r.body.size() + r.fallback.size();
    ++stats_.recovered_requests;
    queue_.push_back(std::move(r));
  }
  if (!queue_.empty()) {
    ANDANTE_LOG(
        kInfo, "remote write queue recovered",
        {{"url", options_.url}, {"requests", std::to_string(queue_.size())}});
  }
}

bool RemoteWriter::Persist(Request* r) {
  uint64_t seq;
  {
    absl::MutexLock lock(&mu_);
    seq = next_seq_++;
  }
  QueueRecord rec;
  rec.tenant = r->tenant;
  rec.samples = static_cast<uint64_t>(r->samples);
  rec.body = r->body;
  rec.fallback = r->fallback;
  const std::string data = EncodeQueueRecord(rec);
  char name[32];
  std::snprintf(name, sizeof(name), "%016lx%s", static_cast<unsigned long>(seq),
                rwq::kSuffix);
  const std::string path = options_.queue_dir + "/" + name;
  if (!WriteFileDurably(options_.queue_dir, path, data)) {
    ANDANTE_LOG(kWarn,
                "cannot write the remote write queue file; kept in memory",
                {{"file", path}});
    return false;
  }
  r->file = path;
  return true;
}

void RemoteWriter::Forget(const Request& r) {
  if (!r.file.empty()) ::unlink(r.file.c_str());
}

RemoteWriter::~RemoteWriter() { Stop(absl::ZeroDuration()); }

void RemoteWriter::Enqueue(std::string_view tenant,
                           absl::Span<const CollectedSample> samples) {
  size_t begin = 0;
  while (begin < samples.size()) {
    size_t end =
        std::min(samples.size(), begin + options_.max_samples_per_send);
    // Keep a series' samples (initial zero + value) in one request.
    while (end < samples.size() && end > begin + 1 &&
           samples[end].labels == samples[end - 1].labels) {
      --end;
    }
    Request r;
    r.tenant = std::string(tenant);
    r.samples = static_cast<int64_t>(end - begin);
    const absl::Span<const CollectedSample> batch =
        samples.subspan(begin, end - begin);
    r.body = SnappyCompress(EncodeWriteRequest(batch, options_.send_exemplars));
    std::vector<CollectedSample> no_zeros = WithoutInitialZeros(batch);
    if (no_zeros.size() != batch.size()) {
      r.fallback =
          SnappyCompress(EncodeWriteRequest(no_zeros, options_.send_exemplars));
    }
    begin = end;
    if (!options_.queue_dir.empty()) Persist(&r);
    absl::MutexLock lock(&mu_);
    queued_bytes_ += r.body.size() + r.fallback.size();
    queue_.push_back(std::move(r));
    // The front may be in flight; drop the next oldest instead.
    while (queued_bytes_ > options_.max_queued_bytes && queue_.size() > 2) {
      auto victim = queue_.begin() + 1;
      queued_bytes_ -= victim->body.size() + victim->fallback.size();
      ++stats_.requests_dropped;
      ANDANTE_LOG(kWarn, "remote write queue full; dropped the oldest request",
                  {{"url", options_.url},
                   {"samples", std::to_string(victim->samples)}});
      Forget(*victim);
      queue_.erase(victim);
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
      if (attempt > 0)
        headers.emplace_back("Retry-Attempt", std::to_string(attempt));
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
        } else if (r->status == 400 && !req.fallback.empty() &&
                   (absl::StrContains(r->body, "out of order") ||
                    absl::StrContains(r->body, "out of bounds"))) {
          // The initial zeros are older than what the series already has
          // downstream (a restart): send the real values alone.
          ++stats_.resent_without_zeros;
          req.body = std::move(req.fallback);
          req.fallback.clear();
          continue;
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
        auto give_up = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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
    Forget(req);
    absl::MutexLock lock(&mu_);
    queued_bytes_ -=
        queue_.front().body.size() + queue_.front().fallback.size();
    queue_.pop_front();
    in_flight_ = false;
  }
}

}  // namespace andante::internal
