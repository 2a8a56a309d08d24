// The Zipkin v2 span model between the wire decoders (JSON, protobuf) and the
// translator to OTLP. It holds exactly what zipkin-go's SpanModel holds after
// unmarshalling — IDs as integers, times in nanoseconds, strings as views —
// so both encodings share one translator.
//
//   ZipkinSpanBatch batch;
//   absl::Status s = ParseZipkinV2Json(body, &batch);   // or ...Proto
//   if (s.ok()) s = TranslateZipkinSpans(batch, &request);
//
// Strings are views into the decoded body (protobuf) or into storage owned by
// the batch (JSON, whose strings are unescaped): a batch must not outlive the
// body it was decoded from.
#ifndef ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_SPAN_H_
#define ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_SPAN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace andante::internal {

enum class ZipkinKind : uint8_t { kUnspecified, kClient, kServer, kProducer, kConsumer };

struct ZipkinEndpoint {
  std::string_view service_name;
  // Raw address bytes as Go's net.IP holds them: 16 bytes for JSON text
  // (IPv4 as ::ffff:a.b.c.d), as sent for protobuf. Empty = absent.
  std::string_view ipv4;
  std::string_view ipv6;
  uint16_t port = 0;  // 0 = absent
};

struct ZipkinTag {
  std::string_view key;
  std::string_view value;
};

struct ZipkinAnnotation {
  uint64_t time_unix_nano = 0;
  std::string_view value;
};

struct ZipkinSpan {
  uint64_t trace_id_high = 0;
  uint64_t trace_id_low = 0;
  uint64_t id = 0;
  uint64_t parent_id = 0;  // 0 = no parent
  uint64_t start_unix_nano = 0;
  uint64_t duration_nanos = 0;
  // JSON span without a (non-zero) timestamp: the translator starts it at the
  // Unix epoch and marks it with otel.zipkin.absentField.startTime.
  bool timestamp_absent = false;
  ZipkinKind kind = ZipkinKind::kUnspecified;
  std::string_view name;
  ZipkinEndpoint local_endpoint;
  ZipkinEndpoint remote_endpoint;
  // Half-open ranges into ZipkinSpanBatch::tags / ::annotations. Tags are in
  // wire order and may repeat a key (the last value wins, as in a Go map).
  uint32_t tags_begin = 0;
  uint32_t tags_end = 0;
  uint32_t annotations_begin = 0;
  uint32_t annotations_end = 0;
};

// Append-only storage for decoded strings: views into it stay valid until
// Clear() or destruction.
class ZipkinStringStore {
 public:
  ZipkinStringStore() = default;
  ZipkinStringStore(const ZipkinStringStore&) = delete;
  ZipkinStringStore& operator=(const ZipkinStringStore&) = delete;

  // Copies `s` into the store.
  std::string_view Store(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > block_left_) NewBlock(s.size());
    char* dst = block_next_;
    std::memcpy(dst, s.data(), s.size());
    block_next_ += s.size();
    block_left_ -= s.size();
    return std::string_view(dst, s.size());
  }

  // Forgets every string; keeps the first block, frees the rest.
  void Clear();

  // Bytes allocated.
  size_t MemoryUsage() const;

 private:
  void NewBlock(size_t at_least);

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<size_t> block_sizes_;
  char* block_next_ = nullptr;
  size_t block_left_ = 0;
};

// Decoded spans of one request. Reusable: Clear() keeps the capacity.
class ZipkinSpanBatch {
 public:
  ZipkinSpanBatch() = default;
  ZipkinSpanBatch(const ZipkinSpanBatch&) = delete;
  ZipkinSpanBatch& operator=(const ZipkinSpanBatch&) = delete;

  std::vector<ZipkinSpan> spans;
  std::vector<ZipkinTag> tags;
  std::vector<ZipkinAnnotation> annotations;

  // Copies `s` into storage owned by the batch; the view stays valid until
  // Clear() or destruction.
  std::string_view Store(std::string_view s) { return strings_.Store(s); }

  // Empties the batch. Keeps the vectors' capacity and the first storage
  // block; frees the rest.
  void Clear() {
    spans.clear();
    tags.clear();
    annotations.clear();
    strings_.Clear();
  }

  // Bytes held by the batch (vectors' capacity and string storage).
  size_t MemoryUsage() const {
    return spans.capacity() * sizeof(ZipkinSpan) + tags.capacity() * sizeof(ZipkinTag) +
           annotations.capacity() * sizeof(ZipkinAnnotation) + strings_.MemoryUsage();
  }

 private:
  ZipkinStringStore strings_;
};

}  // namespace andante::internal

#endif  // ANDANTE_RECEIVER_ZIPKIN_ZIPKIN_SPAN_H_
