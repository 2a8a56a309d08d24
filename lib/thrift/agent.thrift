// The Jaeger agent's UDP service: each datagram carries one one-way call
// (reference/ingest-protocols.md §2.3). Andante accepts emitBatch; packets
// calling emitZipkinBatch are recognised by name and dropped.
//
// Written for Andante from the public Jaeger IDL description. Method names
// and argument ids are part of the wire format.

include "jaeger.thrift"

namespace cpp jaeger.thrift.agent

// Stands in for zipkincore.Span, which Andante never decodes: the decoder
// rejects emitZipkinBatch before reading its argument.
struct ZipkinSpanPlaceholder {
}

service Agent {
  oneway void emitZipkinBatch(1: list<ZipkinSpanPlaceholder> spans)
  oneway void emitBatch(1: jaeger.Batch batch)
}
