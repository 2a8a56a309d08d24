// Runs the metrics generator inside the server: registers it as the
// store's span tap, expires service-graph edges every 2 s, collects every
// collection_interval into each remote_write endpoint, and serves the
// current series for scraping (GET /metrics/generator).
#ifndef ANDANTE_SERVER_GENERATOR_SERVICE_H_
#define ANDANTE_SERVER_GENERATOR_SERVICE_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "andante/metrics_generator.h"
#include "andante/store.h"
#include "generator/remote_writer.h"
#include "generator_config.h"
#include "andante/request.h"

namespace andante::server {

class GeneratorService {
 public:
  // The scrape path on the HTTP API port.
  static constexpr std::string_view kScrapePath = "/metrics/generator";

  // `store` must outlive the service. INVALID_ARGUMENT for a bad processor
  // list or per-tenant overrides file.
  static absl::StatusOr<std::unique_ptr<GeneratorService>> Start(
      const GeneratorConfig& config, Store* store);

  // Stop(): detaches from the store, collects once more and flushes the
  // remote writers for up to flush_deadline.
  ~GeneratorService();
  void Stop();

  // Answers GET /metrics/generator with the text exposition of every
  // tenant's series.
  void HandleScrape(const HttpRequest& req, HttpResponse* resp) const;

 private:
  GeneratorService() = default;
  void Loop();
  void CollectOnce(absl::Time now);

  GeneratorConfig config_;
  Store* store_ = nullptr;
  std::unique_ptr<MetricsGenerator> generator_;
  std::vector<std::unique_ptr<internal::RemoteWriter>> writers_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace andante::server

#endif  // ANDANTE_SERVER_GENERATOR_SERVICE_H_
