// Keeps an Overrides (andante/limits.h) in step with the per-tenant
// overrides file: reads it at start and again every period, without a
// restart. A file that cannot be read or parsed keeps the last good limits;
// the reason is logged and last_reload_successful() turns false until a
// good version is read (the server exports it as
// andante_overrides_last_reload_successful).
//
//   auto reloader = OverridesReloader::Start(overrides, main->defaults,
//                                            "/etc/overrides.yaml",
//                                            absl::Seconds(10));
//   if (!reloader.ok()) return reloader.status();  // bad file at start
//
// Thread-safe. The destructor stops the polling thread.
#ifndef ANDANTE_TENANT_OVERRIDES_RELOADER_H_
#define ANDANTE_TENANT_OVERRIDES_RELOADER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "andante/limits.h"

namespace andante::internal {

class OverridesReloader {
 public:
  // Loads `path` now (failing if it cannot be read or parsed, as Tempo fails
  // to start) and then every `period` on a thread of its own. Tenant
  // entries are merged onto `defaults` (see overrides_yaml.h).
  static absl::StatusOr<std::unique_ptr<OverridesReloader>> Start(
      std::shared_ptr<Overrides> overrides, TenantLimits defaults,
      std::string path, absl::Duration period);

  ~OverridesReloader();
  OverridesReloader(const OverridesReloader&) = delete;
  OverridesReloader& operator=(const OverridesReloader&) = delete;

  // Reads the file now; on success the new limits are in force when it
  // returns. On failure nothing changes and the error names the problem.
  absl::Status ReloadNow();

  bool last_reload_successful() const { return last_ok_.load(); }
  uint64_t reloads() const { return reloads_.load(); }
  uint64_t failures() const { return failures_.load(); }

 private:
  OverridesReloader(std::shared_ptr<Overrides> overrides,
                    TenantLimits defaults, std::string path,
                    absl::Duration period);

  const std::shared_ptr<Overrides> overrides_;
  const TenantLimits defaults_;
  const std::string path_;
  const absl::Duration period_;
  absl::Mutex mu_;  // serializes reloads
  std::string last_good_ ABSL_GUARDED_BY(mu_);
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> last_ok_{true};
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> failures_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace andante::internal

#endif  // ANDANTE_TENANT_OVERRIDES_RELOADER_H_
