#include "wal/wal.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "wal/wal_format.h"

namespace andante::internal {
namespace {

namespace fmt = wal_format;

std::string SegmentPath(const std::string& dir, uint64_t segment) {
  return absl::StrCat(dir, "/", WalSegmentFileName(segment));
}

// Masked CRC of a record: the header bytes after the CRC field, then the
// payload. REQUIRES: `header` holds kRecordHeaderSize bytes.
uint32_t RecordCrc(const char* header, std::string_view payload) {
  uint32_t crc =
      Crc32cExtend(0, header + fmt::kRecordLengthOffset,
                   fmt::kRecordHeaderSize - fmt::kRecordLengthOffset);
  crc = Crc32cExtend(crc, payload.data(), payload.size());
  return MaskCrc(crc);
}

void EncodeRecordHeader(char* header, std::string_view payload) {
  EncodeFixed32(header, fmt::kRecordMagic);
  EncodeFixed32(header + fmt::kRecordLengthOffset,
                static_cast<uint32_t>(payload.size()));
  header[fmt::kRecordTypeOffset] = static_cast<char>(fmt::kFullType);
  EncodeFixed32(header + fmt::kRecordCrcOffset, RecordCrc(header, payload));
}

std::string EncodeSegmentHeader(uint64_t segment) {
  std::string h(fmt::kSegmentHeaderSize, '\0');
  EncodeFixed32(h.data(), fmt::kSegmentMagic);
  EncodeFixed32(h.data() + 4, fmt::kFormatVersion);
  EncodeFixed64(h.data() + 8, segment);
  // Bytes [16, 20) are reserved and zero.
  EncodeFixed32(h.data() + fmt::kSegmentHeaderCrcOffset,
                MaskCrc(Crc32c(
                    std::string_view(h.data(), fmt::kSegmentHeaderCrcOffset))));
  return h;
}

// What CheckRecord found at a position.
enum class RecordCheck {
  kOk,
  kTruncated,  // header or payload extends past the end of the data
  kBadMagic,
  kBadLength,  // length field above kMaxRecordPayload
  kBadCrc,
  kBadType,  // CRC valid but the type is not one this reader knows
};

std::string Describe(RecordCheck check) {
  switch (check) {
    case RecordCheck::kOk:
      return "ok";
    case RecordCheck::kTruncated:
      return "record extends past end of segment";
    case RecordCheck::kBadMagic:
      return "bad record magic";
    case RecordCheck::kBadLength:
      return "record length over limit";
    case RecordCheck::kBadCrc:
      return "crc mismatch";
    case RecordCheck::kBadType:
      return "unknown record type";
  }
  return "?";
}

// Validates the record starting at `pos` of `data`; on kOk sets `*length`.
RecordCheck CheckRecord(std::string_view data, size_t pos, uint32_t* length) {
  if (data.size() - pos < fmt::kRecordHeaderSize)
    return RecordCheck::kTruncated;
  const char* h = data.data() + pos;
  if (DecodeFixed32(h) != fmt::kRecordMagic) return RecordCheck::kBadMagic;
  const uint32_t len = DecodeFixed32(h + fmt::kRecordLengthOffset);
  if (len > fmt::kMaxRecordPayload) return RecordCheck::kBadLength;
  if (data.size() - pos - fmt::kRecordHeaderSize < len) {
    return RecordCheck::kTruncated;
  }
  std::string_view payload(h + fmt::kRecordHeaderSize, len);
  if (RecordCrc(h, payload) != DecodeFixed32(h + fmt::kRecordCrcOffset)) {
    return RecordCheck::kBadCrc;
  }
  if (static_cast<uint8_t>(h[fmt::kRecordTypeOffset]) != fmt::kFullType) {
    return RecordCheck::kBadType;
  }
  *length = len;
  return RecordCheck::kOk;
}

// Offset of the first valid record at or after `from`, or npos. Only a
// record that passes every check counts, so a stray magic inside damaged
// bytes does not end the search.
size_t FindNextRecord(std::string_view data, size_t from) {
  char magic[4];
  EncodeFixed32(magic, fmt::kRecordMagic);
  const std::string_view needle(magic, sizeof(magic));
  while (from < data.size()) {
    const size_t pos = data.find(needle, from);
    if (pos == std::string_view::npos) return pos;
    uint32_t len;
    if (CheckRecord(data, pos, &len) == RecordCheck::kOk) return pos;
    from = pos + 1;
  }
  return std::string_view::npos;
}

absl::StatusOr<std::string> ReadWholeFile(WalFileSystem* fs,
                                          const std::string& path) {
  absl::StatusOr<std::unique_ptr<WalFile>> file = fs->OpenFile(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<uint64_t> size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string data(*size, '\0');
  absl::StatusOr<size_t> n = (*file)->ReadAt(0, data.size(), data.data());
  if (!n.ok()) return n.status();
  data.resize(*n);
  return data;
}

// Replays one segment's bytes into `fn`, recording damage in `report`.
absl::Status ReplaySegment(
    uint64_t segment, std::string_view data,
    absl::FunctionRef<absl::Status(const WalRecordRef&, std::string_view)> fn,
    WalReplayReport& report) {
  const std::string name = absl::StrFormat("segment %06d", segment);
  ++report.segments;
  if (data.size() < fmt::kSegmentHeaderSize) {
    // Crashed between creating the file and writing its header.
    report.torn_tail = true;
    report.problems.push_back(absl::StrCat(
        name, ": incomplete segment header (", data.size(), " bytes)"));
    return absl::OkStatus();
  }
  const char* h = data.data();
  const bool header_ok =
      DecodeFixed32(h) == fmt::kSegmentMagic &&
      UnmaskCrc(DecodeFixed32(h + fmt::kSegmentHeaderCrcOffset)) ==
          Crc32c(std::string_view(h, fmt::kSegmentHeaderCrcOffset));
  if (!header_ok) {
    // Records carry their own CRCs, so a damaged segment header costs
    // nothing but this note.
    report.problems.push_back(absl::StrCat(name, ": bad segment header"));
  } else if (DecodeFixed32(h + 4) != fmt::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ": unsupported WAL format version ", DecodeFixed32(h + 4),
        " (this build reads ", fmt::kFormatVersion, ")"));
  } else if (DecodeFixed64(h + 8) != segment) {
    report.problems.push_back(
        absl::StrCat(name, ": header names segment ", DecodeFixed64(h + 8)));
  }

  size_t pos = fmt::kSegmentHeaderSize;
  while (pos < data.size()) {
    uint32_t len = 0;
    const RecordCheck check = CheckRecord(data, pos, &len);
    if (check == RecordCheck::kOk) {
      const WalRecordRef ref{segment, pos + fmt::kRecordHeaderSize, len};
      absl::Status s = fn(ref, data.substr(ref.offset, len));
      if (!s.ok()) return s;
      ++report.records;
      report.bytes += len;
      pos = ref.offset + len;
      continue;
    }
    // Damage at `pos`. Never trust its length field: resync by scanning for
    // the next record that passes every check.
    const size_t next = FindNextRecord(data, pos + 1);
    if (next != std::string_view::npos) {
      ++report.corrupt_records;
      report.problems.push_back(absl::StrCat(name, ": ", Describe(check),
                                             " at offset ", pos,
                                             ", resynced at ", next));
      pos = next;
      continue;
    }
    if (check == RecordCheck::kBadCrc || check == RecordCheck::kBadType) {
      // A whole record is present but wrong: corruption, not a torn write.
      ++report.corrupt_records;
      report.problems.push_back(absl::StrCat(name, ": ", Describe(check),
                                             " at offset ", pos,
                                             ", no valid record after it"));
    } else {
      report.torn_tail = true;
      report.problems.push_back(absl::StrCat(
          name, ": torn tail at offset ", pos, " (", Describe(check), ", ",
          data.size() - pos, " bytes dropped)"));
    }
    break;
  }
  return absl::OkStatus();
}

}  // namespace

std::string WalSegmentFileName(uint64_t segment) {
  return absl::StrFormat("%0*d%s", fmt::kSegmentNameDigits, segment,
                         fmt::kSegmentSuffix);
}

absl::StatusOr<std::vector<uint64_t>> ListWalSegments(const std::string& dir) {
  return ListWalSegments(dir, WalFileSystem::Default());
}

absl::StatusOr<std::vector<uint64_t>> ListWalSegments(const std::string& dir,
                                                      WalFileSystem* fs) {
  absl::StatusOr<std::vector<std::string>> names = fs->ListDir(dir);
  if (absl::IsNotFound(names.status())) return std::vector<uint64_t>{};
  if (!names.ok()) return names.status();
  return WalSegmentsIn(*names);
}

std::vector<uint64_t> WalSegmentsIn(const std::vector<std::string>& names) {
  const size_t suffix_len = std::strlen(fmt::kSegmentSuffix);
  std::vector<uint64_t> segments;
  for (const std::string& name : names) {
    if (name.size() < fmt::kSegmentNameDigits + suffix_len ||
        name.size() > 20 + suffix_len ||
        name.compare(name.size() - suffix_len, suffix_len,
                     fmt::kSegmentSuffix) != 0) {
      continue;
    }
    uint64_t n = 0;
    bool digits = true;
    for (size_t i = 0; i < name.size() - suffix_len && digits; ++i) {
      digits = name[i] >= '0' && name[i] <= '9';
      n = n * 10 + static_cast<uint64_t>(name[i] - '0');
    }
    // Round-tripping rejects overflow and non-canonical widths.
    if (digits && WalSegmentFileName(n) == name) segments.push_back(n);
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

absl::StatusOr<WalReplayReport> ReplayWal(
    const std::string& dir,
    absl::FunctionRef<absl::Status(const WalRecordRef&, std::string_view)> fn) {
  return ReplayWal(dir, fn, WalFileSystem::Default());
}

absl::StatusOr<WalReplayReport> ReplayWal(
    const std::string& dir,
    absl::FunctionRef<absl::Status(const WalRecordRef&, std::string_view)> fn,
    WalFileSystem* fs) {
  absl::StatusOr<std::vector<uint64_t>> segments = ListWalSegments(dir, fs);
  if (!segments.ok()) return segments.status();
  WalReplayReport report;
  for (uint64_t segment : *segments) {
    // A whole segment in memory keeps resync simple; segments are bounded
    // by segment_bytes (or one record of at most 64 MiB).
    absl::StatusOr<std::string> data =
        ReadWholeFile(fs, SegmentPath(dir, segment));
    if (absl::IsNotFound(data.status())) continue;  // deleted meanwhile
    if (!data.ok()) return data.status();
    absl::Status s = ReplaySegment(segment, *data, fn, report);
    if (!s.ok()) return s;
  }
  return report;
}

// ---------------------------------------------------------------------------
// Wal

Wal::Wal(const WalOptions& options, std::string dir, const WalShared& shared)
    : options_(options),
      dir_(std::move(dir)),
      fs_(shared.fs),
      lazy_(shared.lazy),
      shared_syncer_(options.fsync == WalFsync::kInterval ? shared.syncer
                                                          : nullptr),
      own_files_(shared.files == nullptr ? std::make_unique<WalFileCache>(0)
                                         : nullptr),
      files_(shared.files != nullptr ? shared.files : own_files_.get()),
      owner_(files_->NewOwner()) {}

Wal::~Wal() {
  absl::Status s = Close();
  if (!s.ok()) {
    ANDANTE_LOG(kError, "wal close failed",
                {{"dir", dir_}, {"error", s.ToString()}});
  }
  // Reads after Close may have reopened segments; a shared cache must not
  // keep them.
  files_->EraseBelow(owner_, UINT64_MAX);
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options,
                                               std::string dir) {
  return Open(options, std::move(dir), WalFileSystem::Default());
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options,
                                               std::string dir,
                                               WalFileSystem* fs) {
  WalShared shared;
  shared.fs = fs;
  return Open(options, std::move(dir), shared);
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options,
                                               std::string dir,
                                               const WalShared& shared) {
  WalFileSystem* const fs = shared.fs;
  if (dir.empty()) return absl::InvalidArgumentError("empty WAL directory");
  if (options.fsync == WalFsync::kInterval &&
      options.fsync_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "WAL fsync_interval must be positive under the interval policy");
  }
  absl::Status s;
  if (!shared.lazy) {
    s = fs->CreateDirs(dir);
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::vector<uint64_t>> segments = ListWalSegments(dir, fs);
  if (!segments.ok()) return segments.status();
  // Segments from earlier runs count towards bytes_on_disk until deleted.
  uint64_t existing_bytes = 0;
  for (uint64_t segment : *segments) {
    absl::StatusOr<uint64_t> size = fs->FileSize(SegmentPath(dir, segment));
    if (size.ok()) existing_bytes += *size;
  }
  const uint64_t first = segments->empty() ? 1 : segments->back() + 1;

  std::unique_ptr<Wal> wal(new Wal(options, std::move(dir), shared));
  {
    absl::MutexLock lock(&wal->mu_);
    wal->closed_bytes_ = existing_bytes;
    wal->segment_ = first;
    if (!shared.lazy) s = wal->StartSegment(first);
  }
  if (!s.ok()) return s;
  if (options.fsync == WalFsync::kInterval && wal->shared_syncer_ == nullptr) {
    wal->syncer_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

absl::Status Wal::StartSegment(uint64_t segment) {
  // A lazy Wal creates its directory with its first segment. If that fails
  // the directory goes again (unless it holds anything), so a refused push
  // leaves nothing on disk.
  bool created_dir = false;
  if (lazy_) {
    absl::StatusOr<std::vector<std::string>> listed = fs_->ListDir(dir_);
    if (absl::IsNotFound(listed.status())) {
      absl::Status s = fs_->CreateDirs(dir_);
      if (!s.ok()) return s;
      created_dir = true;
    } else if (!listed.ok()) {
      return listed.status();
    }
  }
  auto undo_dir = [&] {
    if (created_dir) fs_->DeleteDir(dir_).IgnoreError();
  };
  const std::string path = SegmentPath(dir_, segment);
  absl::StatusOr<std::unique_ptr<WalFile>> file = fs_->CreateFile(path);
  if (!file.ok()) {
    undo_dir();
    return file.status();
  }
  const std::string header = EncodeSegmentHeader(segment);
  absl::Status s = (*file)->WriteAt(0, header, {});
  if (!s.ok()) {
    file->reset();
    fs_->DeleteFile(path).IgnoreError();  // else replay reports a torn header
    undo_dir();
    return s;
  }
  // Make the header and the directory entry durable now, so a power loss
  // never leaves a segment whose records were fsynced but whose name was
  // not, nor an empty segment with a torn header.
  // A lazy Wal under kInterval defers both to the fsync of its first
  // record (WaitDurable syncs the directory after the file): a push to a
  // new tenant then waits for no fsync, as under kInterval it never does;
  // a power loss before that fsync can only tear this segment's header,
  // which replay reports as a torn tail.
  if (lazy_ && options_.fsync == WalFsync::kInterval) {
    dir_unsynced_ = true;
  } else if (options_.fsync != WalFsync::kNever) {
    s = (*file)->Sync();
    if (s.ok()) s = fs_->SyncDir(dir_);
    if (!s.ok()) {
      // Sticky like every fsync failure (see WaitDurable). The file stays:
      // its header is valid and replay reads it as an empty segment.
      if (sync_error_.ok()) sync_error_ = s;
      return s;
    }
  }
  files_->Insert(owner_, segment, std::move(*file));
  segment_ = segment;
  started_ = true;
  offset_ = fmt::kSegmentHeaderSize;
  need_rotate_ = false;
  bytes_written_ += header.size();
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<WalFile>> Wal::CurrentFile() {
  std::shared_ptr<WalFile> file = files_->Lookup(owner_, segment_);
  if (file != nullptr) return file;
  absl::StatusOr<std::unique_ptr<WalFile>> opened =
      fs_->OpenFileForWrite(SegmentPath(dir_, segment_));
  if (!opened.ok()) return opened.status();
  return files_->Insert(owner_, segment_, std::move(*opened));
}

absl::Status Wal::RotateLocked() {
  // A lazy Wal that wrote nothing to its current segment has nothing to
  // finish: later appends already land at or above segment_.
  if (!started_) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<WalFile>> current = CurrentFile();
  if (!current.ok()) return current.status();
  // The finished segment's fsync is queued, not done here under mu_ (it
  // stalled every append for the whole segment's writeback): the next
  // group-commit leader does it before fsyncing anything later, so no record
  // is reported durable before every earlier one is.
  if (synced_seq_ < written_seq_ || dir_unsynced_) {
    unsynced_closed_.push_back({*current, dir_unsynced_});
    dir_unsynced_ = false;
  }
  absl::StatusOr<uint64_t> size = (*current)->Size();
  const uint64_t old_size = size.ok() ? *size : offset_;
  const uint64_t old_segment = segment_;
  if (lazy_) {
    // The next segment is created by the Append that needs it.
    segment_ = old_segment + 1;
    started_ = false;
    offset_ = 0;
    need_rotate_ = false;
  } else {
    absl::Status s = StartSegment(old_segment + 1);
    if (!s.ok()) {
      need_rotate_ = true;
      return s;
    }
  }
  segment_base_seq_ = written_seq_;
  closed_bytes_ += old_size;
  // Written once and read back only by lookups and flushes: reopened
  // read-only on demand.
  files_->Erase(owner_, old_segment);
  return absl::OkStatus();
}

absl::Status Wal::CheckWritable() const {
  if (closed_) return absl::FailedPreconditionError("WAL is closed");
  if (!sync_error_.ok()) return sync_error_;
  return absl::OkStatus();
}

absl::Status Wal::WaitDurable(uint64_t seq) {
  while (true) {
    if (!sync_error_.ok()) return sync_error_;
    if (synced_seq_ >= seq) return absl::OkStatus();
    if (!sync_running_) break;
    sync_cv_.Wait(&mu_);
  }
  // Group commit: become the leader. Everything written up to now is in
  // the rotated segments still queued and the current one, so fsyncing them
  // in that order covers it; records written while the fsyncs run wait for
  // the next leader.
  const uint64_t target = written_seq_;
  const uint64_t file_segment = segment_;
  std::shared_ptr<WalFile> file;
  bool sync_dir = false;
  bool sync_current_dir = false;
  if (started_ && target > segment_base_seq_) {
    absl::StatusOr<std::shared_ptr<WalFile>> current = CurrentFile();
    if (!current.ok()) return current.status();  // e.g. EMFILE; not sticky
    file = std::move(*current);
    sync_current_dir = dir_unsynced_;
  }
  std::vector<UnsyncedSegment> closed = std::move(unsynced_closed_);
  unsynced_closed_.clear();
  sync_dir = sync_current_dir;
  for (const UnsyncedSegment& c : closed) sync_dir = sync_dir || c.sync_dir;
  sync_running_ = true;
  mu_.Unlock();
  absl::Status s;
  for (const UnsyncedSegment& c : closed) {
    s = c.file->Sync();
    if (!s.ok()) break;
  }
  if (s.ok() && file != nullptr) s = file->Sync();
  // The segments' names after their bytes: a deferred directory fsync (see
  // StartSegment) is due with the first fsync of the segment.
  if (s.ok() && sync_dir) s = fs_->SyncDir(dir_);
  closed.clear();  // closes the rotated segments' handles, without mu_
  mu_.Lock();
  if (s.ok() && sync_current_dir && segment_ == file_segment) {
    dir_unsynced_ = false;
  }
  sync_running_ = false;
  if (s.ok()) {
    synced_seq_ = std::max(synced_seq_, target);
  } else if (sync_error_.ok()) {
    // fsync failures are not retried: the kernel may already have dropped
    // the dirty pages, so a later success would prove nothing.
    sync_error_ = s;
    ANDANTE_LOG(kError, "wal fsync failed",
                {{"dir", dir_}, {"error", s.ToString()}});
  }
  sync_cv_.SignalAll();
  return sync_error_.ok() ? absl::OkStatus() : sync_error_;
}

absl::StatusOr<WalRecordRef> Wal::Append(std::string_view payload) {
  if (payload.size() > fmt::kMaxRecordPayload) {
    return absl::InvalidArgumentError(
        absl::StrCat("WAL record payload of ", payload.size(),
                     " bytes exceeds the limit of ", fmt::kMaxRecordPayload));
  }
  // CRC outside the lock, so concurrent appenders checksum in parallel.
  char header[fmt::kRecordHeaderSize];
  EncodeRecordHeader(header, payload);
  const uint64_t record_size = fmt::kRecordHeaderSize + payload.size();

  absl::MutexLock lock(&mu_);
  absl::Status s = CheckWritable();
  if (!s.ok()) return s;
  if (need_rotate_ || (started_ && offset_ > fmt::kSegmentHeaderSize &&
                       offset_ + record_size > options_.segment_bytes)) {
    s = RotateLocked();
    if (!s.ok()) return s;
  }
  if (!started_) {
    s = StartSegment(segment_);
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::shared_ptr<WalFile>> file = CurrentFile();
  if (!file.ok()) return file.status();
  s = (*file)->WriteAt(offset_, std::string_view(header, sizeof(header)),
                       payload);
  file->reset();
  if (!s.ok()) {
    // The bytes at offset_ are now unknown; never write after them.
    need_rotate_ = true;
    return s;
  }
  const WalRecordRef ref{segment_, offset_ + fmt::kRecordHeaderSize,
                         static_cast<uint32_t>(payload.size())};
  offset_ += record_size;
  bytes_written_ += record_size;
  const uint64_t seq = ++written_seq_;
  if (options_.fsync == WalFsync::kAlways) {
    s = WaitDurable(seq);
    if (!s.ok()) return s;
  } else if (shared_syncer_ != nullptr && !sync_scheduled_) {
    sync_scheduled_ = true;
    shared_syncer_->Schedule(this);
  }
  return ref;
}

absl::StatusOr<uint64_t> Wal::Rotate() {
  absl::MutexLock lock(&mu_);
  absl::Status s = CheckWritable();
  if (!s.ok()) return s;
  s = RotateLocked();
  if (!s.ok()) return s;
  const uint64_t segment = segment_;
  // Every record of the finished segments; mu_ is released while the
  // fsync runs.
  s = WaitDurable(segment_base_seq_);
  if (!s.ok()) return s;
  return segment;
}

absl::StatusOr<uint64_t> Wal::RotateWithoutSync() {
  absl::MutexLock lock(&mu_);
  absl::Status s = CheckWritable();
  if (!s.ok()) return s;
  s = RotateLocked();
  if (!s.ok()) return s;
  return segment_;
}

absl::Status Wal::DeleteSegmentsBefore(uint64_t segment) {
  uint64_t current;
  {
    absl::MutexLock lock(&mu_);
    current = segment_;
  }
  // The current segment only grows, so anything below this stays closed.
  const uint64_t limit = std::min(segment, current);
  files_->EraseBelow(owner_, limit);
  absl::StatusOr<std::vector<uint64_t>> segments = ListWalSegments(dir_, fs_);
  if (!segments.ok()) return segments.status();
  bool deleted = false;
  for (uint64_t n : *segments) {
    if (n >= limit) break;
    const std::string path = SegmentPath(dir_, n);
    absl::StatusOr<uint64_t> size = fs_->FileSize(path);
    if (absl::IsNotFound(size.status())) continue;
    if (!size.ok()) return size.status();
    absl::Status s = fs_->DeleteFile(path);
    if (absl::IsNotFound(s)) continue;
    if (!s.ok()) return s;
    deleted = true;
    absl::MutexLock lock(&mu_);
    closed_bytes_ -= std::min(closed_bytes_, *size);
  }
  if (deleted && options_.fsync != WalFsync::kNever) return fs_->SyncDir(dir_);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Wal::ReadPayload(const WalRecordRef& ref) const {
  std::string payload;
  absl::Status s = ReadPayloadAppend(ref, &payload);
  if (!s.ok()) return s;
  return payload;
}

absl::Status Wal::ReadPayloadAppend(const WalRecordRef& ref,
                                    std::string* out) const {
  if (ref.length > fmt::kMaxRecordPayload ||
      ref.offset < fmt::kSegmentHeaderSize + fmt::kRecordHeaderSize) {
    // No payload byte can be there.
    return absl::InvalidArgumentError(
        absl::StrCat("invalid WAL record reference: segment ", ref.segment,
                     " offset ", ref.offset, " length ", ref.length));
  }
  // The current segment is read through the Wal's own handle (it may not be
  // fsynced, but the kernel serves what was written); closed ones are opened
  // once and cached until deleted (a flush reads every fragment of them).
  std::shared_ptr<const WalFile> file = files_->Lookup(owner_, ref.segment);
  if (file == nullptr) {
    bool current;
    {
      absl::MutexLock lock(&mu_);
      current = started_ && !closed_ && ref.segment == segment_;
    }
    // The current segment is opened read-write, so Append can use the
    // handle too; a closed one read-only. Should the segment be rotated
    // meanwhile, a read-write handle of a closed segment is harmless.
    const std::string path = SegmentPath(dir_, ref.segment);
    absl::StatusOr<std::unique_ptr<WalFile>> opened =
        current ? fs_->OpenFileForWrite(path) : fs_->OpenFile(path);
    if (!opened.ok()) return opened.status();
    file = files_->Insert(owner_, ref.segment, std::move(*opened));
  }
  // A plain pread with no CRC check: refs may name any byte range inside a
  // payload (the ingester keeps one ref per trace fragment of a record), so
  // there is no record header to check against. Read straight into `out`
  // (resize grows the capacity geometrically; zero-filling what pread then
  // overwrites costs little next to the read).
  const size_t old_size = out->size();
  out->resize(old_size + ref.length);
  absl::StatusOr<size_t> n =
      file->ReadAt(ref.offset, ref.length, out->data() + old_size);
  if (!n.ok() || *n < ref.length) {
    out->resize(old_size);
    if (!n.ok()) return n.status();
    return absl::DataLossError(absl::StrCat(
        "WAL segment ", ref.segment, ": ", ref.length, " bytes at offset ",
        ref.offset, " run past the end of the file (", ref.offset + *n, ")"));
  }
  return absl::OkStatus();
}

absl::Status Wal::Sync() {
  absl::MutexLock lock(&mu_);
  absl::Status s = CheckWritable();
  if (!s.ok()) return s;
  return WaitDurable(written_seq_);
}

void Wal::SyncLoop() {
  // Sleeps on mu_ itself, so Close (which sets closed_) wakes it at once.
  absl::MutexLock lock(&mu_);
  while (!closed_) {
    mu_.AwaitWithTimeout(absl::Condition(&closed_), options_.fsync_interval);
    if (closed_) break;
    if (written_seq_ > synced_seq_ && sync_error_.ok()) {
      // A failure is sticky and logged by WaitDurable; Append reports it.
      WaitDurable(written_seq_).IgnoreError();
    }
  }
}

void Wal::SyncScheduled() {
  absl::MutexLock lock(&mu_);
  // Appends from now on schedule again.
  sync_scheduled_ = false;
  if (!closed_ && written_seq_ > synced_seq_ && sync_error_.ok()) {
    // A failure is sticky and logged by WaitDurable; Append reports it.
    WaitDurable(written_seq_).IgnoreError();
  }
}

absl::Status Wal::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return close_status_;
    closed_ = true;  // rejects new appends and stops SyncLoop
  }
  // Joined without mu_ held: the syncer may be mid-fsync and needs mu_ to
  // finish.
  if (syncer_.joinable()) syncer_.join();
  if (shared_syncer_ != nullptr) shared_syncer_->Cancel(this);
  absl::MutexLock lock(&mu_);
  absl::Status s;
  if (options_.fsync != WalFsync::kNever) s = WaitDurable(written_seq_);
  // Under kNever, rotated segments still queued for an fsync are left to
  // the kernel's writeback, as their records are.
  unsynced_closed_.clear();
  // Later reads reopen what they need, read-only.
  files_->EraseBelow(owner_, UINT64_MAX);
  close_status_ = s;
  return s;
}

uint64_t Wal::current_segment() const {
  absl::MutexLock lock(&mu_);
  return segment_;
}

uint64_t Wal::bytes_on_disk() const {
  absl::MutexLock lock(&mu_);
  return closed_bytes_ + offset_;
}

uint64_t Wal::bytes_written() const {
  absl::MutexLock lock(&mu_);
  return bytes_written_;
}

}  // namespace andante::internal
