// The load generator's Jaeger agent mode: realistic traces from the trace
// factory, encoded as Agent.emitBatch datagrams (Thrift compact for 6831,
// binary for 6832), sent over UDP in steps of increasing rate. After each
// step it reads the server's /metrics and the kernel's per-socket drop
// counter and reports how many of the offered spans the server stored — the
// drop rate at each rate, up to saturation.
//
//   loadgen --protocol=jaeger-compact --endpoint=127.0.0.1:6831
//           --udp_rates=20000,50000,100000,0 --duration=10s
#ifndef ANDANTE_BENCH_LOADGEN_UDP_MODE_H_
#define ANDANTE_BENCH_LOADGEN_UDP_MODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "receiver/jaeger/jaeger_thrift.h"

namespace andante::loadgen {

struct UdpModeOptions {
  std::string endpoint;  // agent host:port
  internal::ThriftProtocol protocol = internal::ThriftProtocol::kCompact;
  std::string api;  // Tempo API host:port, for /metrics
  // Offered spans/s per step; 0 = as fast as one thread can send.
  std::vector<double> rates;
  absl::Duration step_duration = absl::Seconds(10);
  int batch_spans = 1000;  // spans per pre-built batch (split into datagrams)
  int pool = 16;           // distinct pre-built batches
  uint64_t seed = 1;
  size_t max_datagram_bytes = 65000;
  int server_pid = 0;  // for CPU-seconds per million spans; 0 = skip
};

// Runs every step and prints a table. Returns 0, or 1 when nothing was
// accepted at all.
int RunUdpMode(const UdpModeOptions& options);

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_UDP_MODE_H_
