#include "ingest/wal_record.h"

#include "absl/strings/str_cat.h"
#include "util/coding.h"

namespace andante::internal {

IngestRecordWriter::IngestRecordWriter() {
  payload_.push_back(static_cast<char>(kIngestRecordVersion));
}

uint64_t IngestRecordWriter::Add(const TraceId& id, uint64_t start_unix_nano,
                                 uint64_t end_unix_nano, uint32_t span_count,
                                 std::string_view data) {
  payload_.append(id.bytes());
  PutVarint64(&payload_, start_unix_nano);
  PutVarint64(&payload_, end_unix_nano);
  PutVarint64(&payload_, span_count);
  PutVarint64(&payload_, data.size());
  uint64_t offset = payload_.size();
  payload_.append(data);
  return offset;
}

absl::Status ForEachIngestEntry(
    std::string_view payload, absl::FunctionRef<void(const IngestEntry&)> fn) {
  if (payload.empty() ||
      static_cast<uint8_t>(payload[0]) != kIngestRecordVersion) {
    return absl::DataLossError(absl::StrCat(
        "ingest record: unknown version ",
        payload.empty() ? -1 : static_cast<int>(static_cast<uint8_t>(payload[0]))));
  }
  std::string_view in = payload.substr(1);
  while (!in.empty()) {
    if (in.size() < TraceId::kSize) {
      return absl::DataLossError("ingest record: truncated trace id");
    }
    IngestEntry entry;
    entry.id = *TraceId::FromBytes(in.substr(0, TraceId::kSize));
    in.remove_prefix(TraceId::kSize);
    uint64_t spans = 0, length = 0;
    if (!GetVarint64(&in, &entry.start_unix_nano) ||
        !GetVarint64(&in, &entry.end_unix_nano) || !GetVarint64(&in, &spans) ||
        !GetVarint64(&in, &length) || spans > UINT32_MAX || length > in.size()) {
      return absl::DataLossError("ingest record: truncated entry header");
    }
    entry.span_count = static_cast<uint32_t>(spans);
    entry.data_offset = payload.size() - in.size();
    entry.data = in.substr(0, length);
    in.remove_prefix(length);
    fn(entry);
  }
  return absl::OkStatus();
}

}  // namespace andante::internal
