// Receivers over lib/net's ReceiverSet — the listeners the andante server
// runs, serving through the request layer — with no query API and no
// self-monitoring.
#include "receivers.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "receiver_set.h"

namespace andante::testing::collector_internal {
namespace {

// In-flight requests get this long to finish on Stop.
constexpr absl::Duration kGrace = absl::Seconds(1);

std::string AnyPort(const std::string& host) {
  if (host.find(':') != std::string::npos)
    return absl::StrCat("[", host, "]:0");
  return absl::StrCat(host, ":0");
}

class NetReceivers final : public Receivers {
 public:
  explicit NetReceivers(std::unique_ptr<net::ReceiverSet> set)
      : set_(std::move(set)) {
    const net::ReceiverPorts& p = set_->ports();
    ports_.otlp_http = p.otlp_http;
    ports_.otlp_grpc = p.otlp_grpc;
    ports_.zipkin = p.zipkin;
    ports_.jaeger_thrift_http = p.jaeger_thrift_http;
    ports_.jaeger_grpc = p.jaeger_grpc;
  }
  ~NetReceivers() override { Stop(); }

  const ReceiverPorts& ports() const override { return ports_; }
  void Stop() override { set_->Stop(kGrace); }

 private:
  std::unique_ptr<net::ReceiverSet> set_;
  ReceiverPorts ports_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Receivers>> Receivers::Start(
    Store* store, const CollectorOptions& options) {
  const std::string endpoint = AnyPort(options.host);
  net::ReceiverSetOptions o;
  if (options.otlp_http) o.otlp_http_endpoint = endpoint;
  if (options.otlp_grpc) o.otlp_grpc_endpoint = endpoint;
  if (options.zipkin) o.zipkin_endpoint = endpoint;
  if (options.jaeger) {
    o.jaeger_grpc_endpoint = endpoint;
    o.jaeger_thrift_http_endpoint = endpoint;
  }
  // A test pushes little: one io thread and a couple of handler threads
  // keep an idle collector small.
  o.http.threads = 1;
  o.http.handler_threads = 2;
  absl::StatusOr<std::unique_ptr<net::ReceiverSet>> set =
      net::ReceiverSet::Start(store, std::move(o));
  if (!set.ok()) return set.status();
  return std::make_unique<NetReceivers>(std::move(*set));
}

}  // namespace andante::testing::collector_internal
