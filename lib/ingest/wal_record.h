// The ingester's use of WAL records: one record per push, holding the push's
// trace fragments. The WAL itself only knows bytes (lib/wal); this is where
// spans become records.
//
// Payload layout (persistent; spec: docs/ingest-record-format.md):
//   u8 kIngestRecordVersion
//   repeated entry:
//     16 bytes   trace ID
//     varint64   start_unix_nano
//     varint64   end_unix_nano
//     varint32   span_count
//     varint32   data length
//     data       serialized OTLP TracesData with only this trace's spans
#ifndef ANDANTE_INGEST_WAL_RECORD_H_
#define ANDANTE_INGEST_WAL_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/ids.h"

namespace andante::internal {

inline constexpr uint8_t kIngestRecordVersion = 1;  // persistent

// One decoded entry. `data` points into the payload it was decoded from.
struct IngestEntry {
  TraceId id;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  uint32_t span_count = 0;
  std::string_view data;
  // Offset of `data` from the start of the payload.
  uint64_t data_offset = 0;
};

// Appends entries to a payload under construction. Call order:
//   IngestRecordWriter w; (w.Add(...))*; w.payload()
class IngestRecordWriter {
 public:
  IngestRecordWriter();
  // Returns the offset of `data` within the payload.
  uint64_t Add(const TraceId& id, uint64_t start_unix_nano,
               uint64_t end_unix_nano, uint32_t span_count,
               std::string_view data);
  const std::string& payload() const { return payload_; }

 private:
  std::string payload_;
};

// Calls `fn` for each entry of `payload`. DATA_LOSS if the payload is
// malformed (the WAL's CRC makes that a bug or a version mismatch, not disk
// damage).
absl::Status ForEachIngestEntry(
    std::string_view payload,
    absl::FunctionRef<void(const IngestEntry&)> fn);

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_WAL_RECORD_H_
