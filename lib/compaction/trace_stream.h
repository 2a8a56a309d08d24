// The block-version-agnostic seam of the compactor: a pull stream over the
// traces of one input block, and a sink that writes one output block.
// Compaction merges TraceStreams into BlockSinks and never sees a block
// format; OpenTraceStream / NewBlockSink pick the implementation from the
// block's formatVersion (v1 today; the columnar v2 adds one case to each).
//
// Call order:  TraceStream: Next* (until it returns false or an error)
//              BlockSink:   Add+ Finish
#ifndef ANDANTE_COMPACTION_TRACE_STREAM_H_
#define ANDANTE_COMPACTION_TRACE_STREAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/options.h"
#include "block/block_meta.h"
#include "compaction/trace_stats.h"

namespace andante::internal {

class TraceStream {
 public:
  virtual ~TraceStream() = default;
  // The next trace in strictly increasing ID order: true and sets *id and
  // *data, or false at the end. `*data` stays valid until the next call of
  // Next on this stream (or its destruction). DATA_LOSS for a damaged block,
  // the backend's error for a failed read.
  virtual absl::StatusOr<bool> Next(TraceId* id, std::string_view* data) = 0;
};

class BlockSink {
 public:
  virtual ~BlockSink() = default;
  // Appends one trace. REQUIRES: `id` greater than the previous Add's.
  virtual absl::Status Add(const TraceId& id, std::string_view data,
                           const TraceStats& stats) = 0;
  // Bytes the block will take in the backend so far.
  virtual uint64_t EstimatedSize() const = 0;
  // Writes the block, meta.json last. REQUIRES: one Add; called once.
  virtual absl::StatusOr<BlockMeta> Finish() = 0;
};

// A stream over the block `meta` describes. `read_buffer_bytes` bounds what
// it holds ahead of the consumer (`v2_in_buffer_bytes`): stored pages read
// but not yet decoded, and decoded traces. Once `*cancel` (if non-null) is
// set, Next returns CANCELLED within kCancelPoll even while a backend read
// is pending, and destroying the stream does not wait for that read (the
// read finishes on its own thread, which then exits).
// UNIMPLEMENTED for a formatVersion this build cannot read.
absl::StatusOr<std::unique_ptr<TraceStream>> OpenTraceStream(
    std::shared_ptr<Backend> backend, const BlockMeta& meta,
    uint64_t read_buffer_bytes, const std::atomic<bool>* cancel = nullptr);

inline constexpr absl::Duration kCancelPoll = absl::Milliseconds(50);

// A sink writing block `block_id` of `tenant` in the current format, with
// meta.json's compactionLevel set to `compaction_level`. `backend` must
// outlive the sink.
std::unique_ptr<BlockSink> NewBlockSink(const BlockOptions& options,
                                        Backend& backend, std::string tenant,
                                        std::string block_id,
                                        uint32_t compaction_level,
                                        uint64_t estimated_traces);

}  // namespace andante::internal

#endif  // ANDANTE_COMPACTION_TRACE_STREAM_H_
