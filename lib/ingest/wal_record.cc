#include "ingest/wal_record.h"

#include "absl/strings/str_cat.h"

namespace andante::internal {
namespace {

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in.empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

IngestRecordWriter::IngestRecordWriter() {
  payload_.push_back(static_cast<char>(kIngestRecordVersion));
}

uint64_t IngestRecordWriter::Add(const TraceId& id, uint64_t start_unix_nano,
                                 uint64_t end_unix_nano, uint32_t span_count,
                                 std::string_view data) {
  payload_.append(id.bytes());
  PutVarint(payload_, start_unix_nano);
  PutVarint(payload_, end_unix_nano);
  PutVarint(payload_, span_count);
  PutVarint(payload_, data.size());
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
    if (!GetVarint(in, &entry.start_unix_nano) ||
        !GetVarint(in, &entry.end_unix_nano) || !GetVarint(in, &spans) ||
        !GetVarint(in, &length) || spans > UINT32_MAX || length > in.size()) {
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
