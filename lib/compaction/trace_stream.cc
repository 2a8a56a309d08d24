#include "compaction/trace_stream.h"

#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "block/block_builder.h"
#include "block/block_format.h"
#include "block/block_reader.h"

namespace andante::internal {
namespace {

// Traces decoded by the producer, handed to the consumer in one piece.
struct Batch {
  std::string bytes;
  struct Entry {
    TraceId id;
    size_t offset, length;
  };
  std::vector<Entry> entries;
};

// Turns a block reader's push-style scan (ForEach) into a pull stream: the
// scan runs on its own thread and hands over batches of about
// `batch_bytes`, at most kQueueDepth ahead. Memory per stream is therefore
// bounded by (kQueueDepth + 2) batches plus the reader's scan buffer,
// whatever the block size, and the scan's decompression runs in parallel
// with the merge. Works for any reader with a ForEach, so v2 may reuse it.
class ScanThreadStream : public TraceStream {
 public:
  static constexpr size_t kQueueDepth = 2;

  ScanThreadStream(std::unique_ptr<BlockReader> reader, uint64_t batch_bytes)
      : reader_(std::move(reader)), batch_bytes_(batch_bytes) {
    producer_ = std::thread([this] { Produce(); });
  }

  ~ScanThreadStream() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    producer_.join();
  }

  absl::StatusOr<bool> Next(TraceId* id, std::string_view* data) override {
    while (pos_ >= current_.entries.size()) {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ScanThreadStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return !s->queue_.empty() || s->finished_;
          },
          this));
      if (queue_.empty()) {
        if (!final_status_.ok()) return final_status_;
        return false;
      }
      current_ = std::move(queue_.front());
      queue_.pop_front();
      pos_ = 0;
    }
    const Batch::Entry& e = current_.entries[pos_++];
    *id = e.id;
    *data = std::string_view(current_.bytes).substr(e.offset, e.length);
    return true;
  }

 private:
  void Produce() {
    Batch batch;
    auto hand_over = [&]() -> absl::Status {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ScanThreadStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->queue_.size() < kQueueDepth || s->cancelled_;
          },
          this));
      if (cancelled_) return absl::CancelledError("stream closed");
      queue_.push_back(std::move(batch));
      batch = Batch();
      return absl::OkStatus();
    };
    absl::Status s = reader_->ForEach(
        [&](const TraceId& id, std::string_view data) -> absl::Status {
          batch.entries.push_back({id, batch.bytes.size(), data.size()});
          batch.bytes.append(data);
          if (batch.bytes.size() >= batch_bytes_) return hand_over();
          return absl::OkStatus();
        });
    if (s.ok() && !batch.entries.empty()) s = hand_over();
    absl::MutexLock lock(&mu_);
    final_status_ = s;
    finished_ = true;
  }

  const std::unique_ptr<BlockReader> reader_;
  const uint64_t batch_bytes_;
  std::thread producer_;

  absl::Mutex mu_;
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);

  // Consumer side only.
  Batch current_;
  size_t pos_ = 0;
};

class V1BlockSink : public BlockSink {
 public:
  V1BlockSink(const BlockOptions& options, Backend& backend, std::string tenant,
              std::string block_id, uint32_t level, uint64_t estimated_traces)
      : builder_(options, backend, std::move(tenant), std::move(block_id),
                 estimated_traces) {
    builder_.set_compaction_level(level);
  }
  absl::Status Add(const TraceId& id, std::string_view data,
                   const TraceStats& stats) override {
    return builder_.Add(id, data, stats.start_unix_nano, stats.end_unix_nano,
                        stats.span_count);
  }
  uint64_t EstimatedSize() const override { return builder_.EstimatedSize(); }
  absl::StatusOr<BlockMeta> Finish() override { return builder_.Finish(); }

 private:
  BlockBuilder builder_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TraceStream>> OpenTraceStream(
    std::shared_ptr<Backend> backend, const BlockMeta& meta,
    uint64_t read_buffer_bytes) {
  switch (meta.format_version) {
    case kBlockFormatVersion:
    case kBlockFormatVersionV2: {  // BlockReader reads both
      absl::StatusOr<std::unique_ptr<BlockReader>> reader =
          BlockReader::Open(std::move(backend), meta);
      if (!reader.ok()) return reader.status();
      // A quarter each: one batch filling, kQueueDepth queued, one consumed.
      uint64_t batch = std::max<uint64_t>(read_buffer_bytes / 4, 64 << 10);
      return std::make_unique<ScanThreadStream>(*std::move(reader), batch);
    }
    default:
      return absl::UnimplementedError(
          absl::StrCat("compaction cannot read block ", meta.block_id,
                       " of formatVersion ", meta.format_version));
  }
}

std::unique_ptr<BlockSink> NewBlockSink(const BlockOptions& options,
                                        Backend& backend, std::string tenant,
                                        std::string block_id,
                                        uint32_t compaction_level,
                                        uint64_t estimated_traces) {
  return std::make_unique<V1BlockSink>(options, backend, std::move(tenant),
                                       std::move(block_id), compaction_level,
                                       estimated_traces);
}

}  // namespace andante::internal
