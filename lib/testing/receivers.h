// The receivers of a test collector: OTLP/HTTP, OTLP/gRPC and optionally
// Zipkin and Jaeger, on kernel-chosen ports, pushing into one Store. The
// only file of the testing library that knows the socket code; everything
// else sees ports.
#ifndef ANDANTE_LIB_TESTING_RECEIVERS_H_
#define ANDANTE_LIB_TESTING_RECEIVERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "andante/testing/collector.h"

namespace andante {
class Store;
}  // namespace andante

namespace andante::testing::collector_internal {

struct ReceiverPorts {
  int otlp_http = 0;
  int otlp_grpc = 0;
  int zipkin = 0;
  int jaeger_thrift_http = 0;
  int jaeger_grpc = 0;
};

class Receivers {
 public:
  // Starts the receivers `options` enables on options.host, port 0 each,
  // pushing into `store` (must outlive this). They listen on return.
  static absl::StatusOr<std::unique_ptr<Receivers>> Start(
      Store* store, const CollectorOptions& options);
  virtual ~Receivers() = default;

  virtual const ReceiverPorts& ports() const = 0;
  // Stops accepting, lets running requests finish (briefly), joins every
  // thread. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace andante::testing::collector_internal

#endif  // ANDANTE_LIB_TESTING_RECEIVERS_H_
