// The Store of an instance started with -target=metrics-generator: it keeps
// no spans. A push is validated as the real store validates it and shown to
// the span taps (the metrics generator), nothing else; lookups find nothing,
// Flush and Close have nothing to do. The instance's OTLP, Jaeger and Zipkin
// receivers then feed its generator exactly as they feed a full store, so
// an ingest instance forwards to it over plain OTLP/HTTP
// (GeneratorForwarder).
#ifndef ANDANTE_NET_GENERATOR_STORE_H_
#define ANDANTE_NET_GENERATOR_STORE_H_

#include <memory>

#include "andante/store.h"

namespace andante::net {

std::unique_ptr<Store> OpenGeneratorOnlyStore();

}  // namespace andante::net

#endif  // ANDANTE_NET_GENERATOR_STORE_H_
