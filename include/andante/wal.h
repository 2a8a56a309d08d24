// The write-ahead log on its own: an append-only sequence of opaque,
// CRC32C-checked records in numbered segment files (format:
// docs/wal-format.md). The Store keeps one per tenant; a program may use one
// directly, e.g. to journal its own records or to inspect a Store's WAL.
//
//   andante::WalOptions options;
//   options.fsync = andante::WalFsync::kAlways;
//   absl::StatusOr<std::unique_ptr<andante::WriteAheadLog>> wal =
//       andante::WriteAheadLog::Open(options, "/var/lib/app/wal");
//   if (!wal.ok()) return wal.status();
//   absl::StatusOr<andante::WalPosition> at = (*wal)->Append("payload");
//   // at.ok(): the record is durable; (*wal)->Read(*at) gives it back.
//   absl::Status closed = (*wal)->Close();
//
//   // After a restart, before reopening for appends:
//   auto report = andante::ReplayWriteAheadLog(
//       "/var/lib/app/wal",
//       [&](const andante::WalPosition& at, std::string_view payload) {
//         return Apply(payload);  // payload valid during the call only
//       });
//
// Call order: Open (Append | Read | Sync | Rotate | DeleteSegmentsBefore)*
// Close. Replay a directory before opening it: Open never appends to an
// existing segment, it starts a new one.
#ifndef ANDANTE_WAL_H_
#define ANDANTE_WAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "andante/options.h"

namespace andante {

// Where a record's payload lives: its segment, the file offset of its first
// byte and its length. Plain values, valid until DeleteSegmentsBefore removes
// the segment.
struct WalPosition {
  uint64_t segment = 0;
  uint64_t offset = 0;
  uint32_t length = 0;

  friend bool operator==(const WalPosition&, const WalPosition&) = default;
};

// An open WAL directory. All methods are thread-safe. Not copyable.
//
// Failure model: a failed write makes the next Append start a new segment
// (replay reports the damaged tail as torn). A failed fsync is sticky: every
// later Append, Rotate and Sync returns it; reopen (and replay) to recover.
class WriteAheadLog {
 public:
  // Opens or creates directory `dir` (and its parents). Does not replay.
  // Appends go to a new segment numbered one above the highest existing one.
  // Uses options.fsync, fsync_interval and segment_bytes; `options.path` is
  // ignored. INVALID_ARGUMENT if options.fsync is kInterval with a
  // non-positive interval.
  static absl::StatusOr<std::unique_ptr<WriteAheadLog>> Open(
      const WalOptions& options, std::string dir);

  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;
  // Calls Close (an error it returns is logged).
  ~WriteAheadLog();

  // Appends one record; returns once it is durable under options.fsync
  // (kAlways: fsynced, concurrent appends share one fsync; kInterval: in the
  // kernel, fsynced within fsync_interval; kNever: in the kernel).
  // INVALID_ARGUMENT if payload is larger than 64 MiB; FAILED_PRECONDITION
  // after Close.
  absl::StatusOr<WalPosition> Append(std::string_view payload);

  // The payload at `position` (as Append or replay returned it, or a byte
  // range inside one payload). No CRC is checked here (replay checks them).
  // NOT_FOUND if the segment was deleted; DATA_LOSS if the range runs past
  // the end of the file. Concurrent with Append; works after Close.
  absl::StatusOr<std::string> Read(const WalPosition& position) const;

  // Makes every record appended so far durable, under any fsync policy.
  absl::Status Sync();

  // Finishes the current segment (fsynced) and starts a new one; returns the
  // new segment's number. Every earlier record lies in a lower segment.
  absl::StatusOr<uint64_t> Rotate();

  // Deletes the segment files numbered below `segment` (never the current
  // one). Positions in them become unreadable.
  absl::Status DeleteSegmentsBefore(uint64_t segment);

  // Fsyncs (unless kNever) and closes the current segment. Idempotent.
  absl::Status Close();

  // The segment appends currently go to.
  uint64_t current_segment() const;
  // Bytes written since Open (headers included). Monotonic.
  uint64_t bytes_written() const;

  // The library's representation; opaque here.
  struct Rep;

 private:
  explicit WriteAheadLog(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// What a replay found.
struct WalReplayStats {
  uint64_t segments = 0;  // segment files read
  uint64_t records = 0;   // records passed to the callback
  uint64_t bytes = 0;     // payload bytes passed to the callback
  // Damaged regions skipped (bad magic, length or CRC).
  uint64_t corrupt_records = 0;
  // A segment ended mid-record: normal after a crash.
  bool torn_tail = false;
  // One human-readable line per damaged region.
  std::vector<std::string> problems;
};

// Reads every segment of `dir` in order and calls `fn` for each complete,
// CRC-valid record; `payload` is valid only during the call. Damage never
// fails a replay (it is skipped and counted). Fails on I/O errors, on a
// segment of an unknown format version (FAILED_PRECONDITION), or with the
// first error `fn` returns. A missing directory replays nothing.
// REQUIRES: no WriteAheadLog has `dir` open for appends.
absl::StatusOr<WalReplayStats> ReplayWriteAheadLog(
    const std::string& dir,
    absl::FunctionRef<absl::Status(const WalPosition& position,
                                   std::string_view payload)>
        fn);

}  // namespace andante

#endif  // ANDANTE_WAL_H_
