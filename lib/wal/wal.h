// The write-ahead log: an append-only sequence of opaque, CRC-checked
// records in numbered segment files. It knows bytes and records only;
// encoding spans into payloads is the ingester's business. Format:
// lib/wal/wal_format.h and docs/wal-format.md.
//
// Writing:
//   ASSIGN_OR_RETURN(std::unique_ptr<Wal> wal, Wal::Open(options, dir));
//   ASSIGN_OR_RETURN(WalRecordRef ref, wal->Append(payload));  // durable
//   ...
//   ASSIGN_OR_RETURN(uint64_t first_kept, wal->Rotate());
//   // ... once everything before `first_kept` is in a block:
//   RETURN_IF_ERROR(wal->DeleteSegmentsBefore(first_kept));
//
// Recovery (before Open, which never appends to existing segments):
//   ReplayWal(dir, [&](const WalRecordRef& ref, std::string_view payload) {
//     return ApplyRecord(payload);
//   });
#ifndef ANDANTE_WAL_WAL_H_
#define ANDANTE_WAL_WAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "andante/options.h"
#include "wal/wal_file.h"
#include "wal/wal_file_cache.h"
#include "wal/wal_syncer.h"

namespace andante::internal {

// Where a record's payload lives. Append and ReplayWal return whole
// payloads; a caller may narrow one to a byte range inside it (offset
// further in, length shorter) and read that with Wal::ReadPayload.
struct WalRecordRef {
  uint64_t segment = 0;
  uint64_t offset = 0;  // file offset of the payload's first byte
  uint32_t length = 0;
};

// File name of segment `segment`, e.g. "000000000001.wal".
std::string WalSegmentFileName(uint64_t segment);

// What a Wal may share with the other Wals of the process (the ingester
// opens one per tenant), so that open files and threads stay bounded by a
// constant whatever the number of tenants. Lifetimes: everything pointed to
// outlives the Wal.
struct WalShared {
  WalFileSystem* fs = WalFileSystem::Default();
  // Open segment handles. Null: a private, unbounded cache (a current
  // segment stays open until rotated, a read handle of a closed segment
  // until the segment is deleted).
  WalFileCache* files = nullptr;
  // Background fsync under WalFsync::kInterval. Null: a thread of the Wal's
  // own. REQUIRES: syncer->interval() is the interval wanted; the Wal's
  // options.fsync_interval is then ignored.
  WalSyncer* syncer = nullptr;
  // Create the directory and each segment file on the first Append that
  // needs them instead of at Open and Rotate: opening a tenant's WAL, or
  // cutting an idle one, then touches nothing on disk, and a push that fails
  // leaves no directory behind (it is removed again if still empty).
  bool lazy = false;
};

// An open WAL directory. All methods are thread-safe.
//
// Call order: Open (Append | Rotate | ReadPayload | Sync |
// DeleteSegmentsBefore)* Close. After Close, Append/Rotate/Sync return
// FAILED_PRECONDITION; ReadPayload of closed segments still works.
//
// Failure model: a failed write leaves the tail of the current segment
// unknown, so the next Append starts a new segment (replay sees the damaged
// tail as a torn tail). A failed fsync is sticky: the kernel may have dropped
// the dirty pages, so every later Append, Rotate and Sync returns that error
// and the WAL must be reopened (and replayed) to recover.
class Wal {
 public:
  // Opens/creates directory `dir` (and its parents). Does NOT replay. New
  // appends go to a fresh segment numbered one above the highest existing
  // segment (1 in an empty directory); existing segments are never appended
  // to, so a torn tail stays where it is. INVALID_ARGUMENT if
  // options.fsync == kInterval and options.fsync_interval <= 0.
  // `options.path` is ignored: `dir` is the directory.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const WalOptions& options,
                                                   std::string dir);
  // As above, with all I/O through `fs`. REQUIRES: `fs` outlives the Wal.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const WalOptions& options,
                                                   std::string dir,
                                                   WalFileSystem* fs);
  // As above, with resources shared with other Wals (see WalShared). With
  // shared.lazy, Open creates nothing: the segment current_segment() names
  // is created by the first Append, and Rotate of a segment not yet created
  // returns its number unchanged.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const WalOptions& options,
                                                   std::string dir,
                                                   const WalShared& shared);

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;
  ~Wal();  // Close(), logging an error it returns.

  // Appends one record and returns where its payload lives, once durable
  // per options.fsync:
  //   kAlways:   fsynced. Concurrent appenders share one fsync (group
  //              commit): while one fsync runs, later records are written
  //              and the next fsync covers them all.
  //   kInterval: written to the kernel; a background thread fsyncs every
  //              fsync_interval.
  //   kNever:    written to the kernel.
  // Starts a new segment first if the record would take the current one past
  // options.segment_bytes (a record never spans segments; one larger than
  // segment_bytes gets a segment to itself). INVALID_ARGUMENT if
  // payload.size() > 64 MiB.
  absl::StatusOr<WalRecordRef> Append(std::string_view payload)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Finishes the current segment and starts a new one; returns the new
  // segment's number once the finished segment is fsynced (under every
  // policy). Every later Append lands in a segment >= that number, and every
  // earlier one in a segment below it. The fsync runs without the Wal's lock
  // held, so appends to the new segment go on meanwhile.
  absl::StatusOr<uint64_t> Rotate() ABSL_LOCKS_EXCLUDED(mu_);
  // As Rotate, but returns without waiting for the finished segment's fsync:
  // it is queued and done by the next fsync of this Wal (Sync, Rotate, Close,
  // the kInterval syncer, a kAlways group commit), before that fsync covers
  // anything in a later segment. A caller that switches segments under a lock
  // of its own calls this under it and Sync() after releasing it.
  absl::StatusOr<uint64_t> RotateWithoutSync() ABSL_LOCKS_EXCLUDED(mu_);

  // Deletes all segment files numbered < `segment`, never the current one.
  // Segments from before Open count. Missing files are not an error.
  absl::Status DeleteSegmentsBefore(uint64_t segment) ABSL_LOCKS_EXCLUDED(mu_);

  // pread of ref.length bytes at file offset ref.offset of segment
  // ref.segment (current or closed). `ref` may be a whole record's ref from
  // Append/ReplayWal or any byte range inside one payload, so no CRC is
  // checked here (replay checks them). DATA_LOSS if the range runs past the
  // end of the file, NOT_FOUND if the segment was deleted, INVALID_ARGUMENT
  // if the range cannot hold payload bytes. Concurrent with Append.
  absl::StatusOr<std::string> ReadPayload(const WalRecordRef& ref) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // As ReadPayload, appending the bytes to `*out` instead (a block flush
  // gathers a trace's fragments this way without a buffer per fragment). On
  // error `*out` keeps its previous contents.
  absl::Status ReadPayloadAppend(const WalRecordRef& ref, std::string* out) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Makes every record appended so far durable, under any policy.
  absl::Status Sync() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the background syncer, fsyncs (unless kNever) and closes the
  // current segment. Idempotent: later calls return the first call's result.
  absl::Status Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Called by the shared WalSyncer: fsyncs what this Wal has written since
  // it scheduled itself. Not for other callers.
  void SyncScheduled() ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t current_segment() const ABSL_LOCKS_EXCLUDED(mu_);
  // Sum of the sizes of this directory's segment files, as tracked since
  // Open (files written behind the Wal's back are not seen).
  uint64_t bytes_on_disk() const ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes written since Open: record headers, payloads and segment headers.
  // Monotonic.
  uint64_t bytes_written() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Wal(const WalOptions& options, std::string dir, const WalShared& shared);

  // Creates segment `segment`, writes its header and makes it current.
  // Unless kNever, fsyncs the header and the directory first (a failure
  // there is sticky). With lazy_, creates the directory first if needed and
  // removes it again if it was created here and the segment was not.
  absl::Status StartSegment(uint64_t segment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The handle of the current segment, reopened read-write if the shared
  // cache closed it. REQUIRES: started_.
  absl::StatusOr<std::shared_ptr<WalFile>> CurrentFile()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the current segment's fsync (unless everything in it is durable
  // already), then starts segment current + 1. On error the current segment
  // stays current and need_rotate_ is set.
  absl::Status RotateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns once every record with sequence number <= `seq` is fsynced,
  // becoming the group-commit leader if no fsync is running: the leader
  // fsyncs the rotated segments still queued, then the current one. May
  // release and reacquire mu_.
  absl::Status WaitDurable(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Error to return from a mutating call, or OK if it may proceed.
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Body of the kInterval background thread.
  void SyncLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const WalOptions options_;
  const std::string dir_;
  WalFileSystem* const fs_;
  const bool lazy_;
  WalSyncer* const shared_syncer_;
  // files_ is either `own_files_` or the shared cache.
  std::unique_ptr<WalFileCache> own_files_;
  WalFileCache* const files_;
  const uint64_t owner_;  // this Wal's key space in files_

  mutable absl::Mutex mu_;
  // Signalled when an fsync finishes and on Close.
  absl::CondVar sync_cv_;
  // Current segment. Its handle lives in files_ (shared_ptr, so a
  // group-commit leader or a reader can keep using it across a rotation or
  // an eviction).
  uint64_t segment_ ABSL_GUARDED_BY(mu_) = 0;
  // The current segment's file exists (always, unless lazy_).
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  // The current segment's directory entry (and header) still awaits an
  // fsync (lazy_ under kInterval only; see StartSegment).
  bool dir_unsynced_ ABSL_GUARDED_BY(mu_) = false;
  // Scheduled on shared_syncer_ and not yet synced by it.
  bool sync_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  // End of the last record written to the current segment (0 if not
  // started).
  uint64_t offset_ ABSL_GUARDED_BY(mu_) = 0;
  // A write to the current segment failed; its tail is unknown.
  bool need_rotate_ ABSL_GUARDED_BY(mu_) = false;
  // Rotated segments whose records are not all fsynced yet, oldest first.
  // The next group-commit leader fsyncs them before the current segment, so
  // synced_seq_ never passes a record still in one of them. Each holds its
  // handle (dropped from files_ at rotation) until then: at most the
  // segments rotated since this Wal's last fsync.
  struct UnsyncedSegment {
    std::shared_ptr<WalFile> file;
    bool sync_dir = false;  // its directory entry awaits an fsync too
  };
  std::vector<UnsyncedSegment> unsynced_closed_ ABSL_GUARDED_BY(mu_);
  // written_seq_ when the current segment became current: records above it
  // are in the current segment.
  uint64_t segment_base_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Sizes of the segment files other than the current one.
  uint64_t closed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_written_ ABSL_GUARDED_BY(mu_) = 0;
  // Records are numbered 1, 2, ... in write order; those <= synced_seq_ are
  // durable.
  uint64_t written_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool sync_running_ ABSL_GUARDED_BY(mu_) = false;
  // First fsync failure; sticky.
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  // Read handles of closed segments live in files_ too, opened on first
  // ReadPayload and kept until deleted or evicted: a block flush reads every
  // fragment of its segments, and reopening the file per fragment would
  // dominate its cost.
  std::thread syncer_;  // kInterval without shared_syncer_; joined by Close
};

struct WalReplayReport {
  uint64_t segments = 0;  // segment files read
  uint64_t records = 0;   // records passed to fn
  uint64_t bytes = 0;     // payload bytes passed to fn
  // Damaged regions skipped because of magic/CRC/length damage followed by a
  // valid record, plus records whose CRC failed with nothing valid after them.
  uint64_t corrupt_records = 0;
  // Some segment ended mid-record or with unparseable bytes: normal after a
  // crash, for the segment that was current then (a reopened WAL starts a
  // new segment, so this need not be the last one).
  bool torn_tail = false;
  // Human-readable, one per damaged region, e.g. "segment 000003: crc
  // mismatch at offset 4096, resynced at 8192".
  std::vector<std::string> problems;
};

// Segment numbers named by `names` (a directory's entries), ascending. Names
// that are not exactly WalSegmentFileName(n) are ignored.
std::vector<uint64_t> WalSegmentsIn(const std::vector<std::string>& names);

// Segment numbers present in `dir`, ascending (empty if `dir` is missing).
// Names that are not exactly WalSegmentFileName(n) are ignored.
absl::StatusOr<std::vector<uint64_t>> ListWalSegments(const std::string& dir);
absl::StatusOr<std::vector<uint64_t>> ListWalSegments(const std::string& dir,
                                                      WalFileSystem* fs);

// Reads every segment in order and calls `fn` for every complete, CRC-valid
// record; `payload` is valid only during the call. Corruption never fails
// replay: a damaged record is skipped and reading resyncs at the next valid
// record header; a torn tail ends that segment; both are counted in the
// report. Fails only on I/O errors reading the directory or its segment
// files, on a segment whose (CRC-valid) header names an unknown format
// version (FAILED_PRECONDITION), or with the first error `fn` returns.
absl::StatusOr<WalReplayReport> ReplayWal(
    const std::string& dir,
    absl::FunctionRef<absl::Status(const WalRecordRef&,
                                   std::string_view payload)>
        fn);
absl::StatusOr<WalReplayReport> ReplayWal(
    const std::string& dir,
    absl::FunctionRef<absl::Status(const WalRecordRef&,
                                   std::string_view payload)>
        fn,
    WalFileSystem* fs);

}  // namespace andante::internal

#endif  // ANDANTE_WAL_WAL_H_
