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
// scan runs on its own thread, reading the block in ranges of `read_bytes`
// and handing over batches of about `batch_bytes`, at most kQueueDepth
// ahead. Memory per stream is therefore bounded by one read range plus
// (kQueueDepth + 2) batches, whatever the block size, and the scan's
// decompression runs in parallel with the merge. Works for any reader with
// a ForEach, so v2 may reuse it.
//
// The producer thread shares `Shared` (and owns the reader), so that a
// cancelled stream can be destroyed while a backend read is still pending:
// the thread is detached, finishes that read, sees `closed` and exits.
class ScanThreadStream : public TraceStream {
 public:
  static constexpr size_t kQueueDepth = 2;

  ScanThreadStream(std::unique_ptr<BlockReader> reader, uint64_t batch_bytes,
                   uint64_t read_bytes, const std::atomic<bool>* cancel)
      : shared_(std::make_shared<Shared>()), cancel_(cancel) {
    producer_ = std::thread(
        [shared = shared_, reader = std::shared_ptr<BlockReader>(
                               std::move(reader)),
         batch_bytes, read_bytes] {
          Produce(*shared, *reader, batch_bytes, read_bytes);
        });
  }

  ~ScanThreadStream() override {
    bool finished;
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->closed = true;
      finished = shared_->finished;
    }
    // Uncancelled, wait: the producer stops at its next hand-over.
    if (finished || !cancelled()) {
      producer_.join();
    } else {
      producer_.detach();
    }
  }

  absl::StatusOr<bool> Next(TraceId* id, std::string_view* data) override {
    while (pos_ >= current_.entries.size()) {
      absl::MutexLock lock(&shared_->mu);
      const absl::Condition ready(
          +[](Shared* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
            return !s->queue.empty() || s->finished;
          },
          shared_.get());
      while (!shared_->mu.AwaitWithTimeout(ready, kCancelPoll)) {
        if (cancelled()) return absl::CancelledError("compaction cancelled");
      }
      if (shared_->queue.empty()) {
        if (!shared_->final_status.ok()) return shared_->final_status;
        return false;
      }
      current_ = std::move(shared_->queue.front());
      shared_->queue.pop_front();
      pos_ = 0;
    }
    const Batch::Entry& e = current_.entries[pos_++];
    *id = e.id;
    *data = std::string_view(current_.bytes).substr(e.offset, e.length);
    return true;
  }

 private:
  struct Shared {
    absl::Mutex mu;
    std::deque<Batch> queue ABSL_GUARDED_BY(mu);
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool closed ABSL_GUARDED_BY(mu) = false;  // the consumer is gone
    absl::Status final_status ABSL_GUARDED_BY(mu);
  };

  bool cancelled() const {
    return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed);
  }

  static void Produce(Shared& shared, BlockReader& reader,
                      uint64_t batch_bytes, uint64_t read_bytes) {
    Batch batch;
    auto hand_over = [&]() -> absl::Status {
      absl::MutexLock lock(&shared.mu);
      shared.mu.Await(absl::Condition(
          +[](Shared* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
            return s->queue.size() < kQueueDepth || s->closed;
          },
          &shared));
      if (shared.closed) return absl::CancelledError("stream closed");
      shared.queue.push_back(std::move(batch));
      batch = Batch();
      return absl::OkStatus();
    };
    absl::Status s = reader.ForEach(
        [&](const TraceId& id, std::string_view data) -> absl::Status {
          batch.entries.push_back({id, batch.bytes.size(), data.size()});
          batch.bytes.append(data);
          if (batch.bytes.size() >= batch_bytes) return hand_over();
          return absl::OkStatus();
        },
        read_bytes);
    if (s.ok() && !batch.entries.empty()) s = hand_over();
    absl::MutexLock lock(&shared.mu);
    shared.final_status = s;
    shared.finished = true;
  }

  const std::shared_ptr<Shared> shared_;
  const std::atomic<bool>* const cancel_;
  std::thread producer_;

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
    uint64_t read_buffer_bytes, const std::atomic<bool>* cancel) {
  switch (meta.format_version) {
    case kBlockFormatVersion:
    case kBlockFormatVersionV2: {  // BlockReader reads both
      absl::StatusOr<std::unique_ptr<BlockReader>> reader =
          BlockReader::Open(std::move(backend), meta);
      if (!reader.ok()) return reader.status();
      // A fifth each: the stored range being decoded, one batch filling,
      // kQueueDepth queued, one consumed. (A range holds at least one page.)
      uint64_t fifth = std::max<uint64_t>(read_buffer_bytes / 5, 64 << 10);
      return std::make_unique<ScanThreadStream>(*std::move(reader), fifth,
                                                fifth, cancel);
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
