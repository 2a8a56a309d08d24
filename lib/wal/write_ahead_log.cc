// andante::WriteAheadLog (include/andante/wal.h): the public face of
// internal::Wal.
#include <memory>
#include <string>
#include <utility>

#include "andante/wal.h"
#include "wal/wal.h"

namespace andante {
namespace {

WalPosition ToPublic(const internal::WalRecordRef& ref) {
  return WalPosition{ref.segment, ref.offset, ref.length};
}

}  // namespace

struct WriteAheadLog::Rep {
  std::unique_ptr<internal::Wal> wal;
};

WriteAheadLog::WriteAheadLog(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
WriteAheadLog::~WriteAheadLog() = default;  // ~Wal closes

absl::StatusOr<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(
    const WalOptions& options, std::string dir) {
  absl::StatusOr<std::unique_ptr<internal::Wal>> wal =
      internal::Wal::Open(options, std::move(dir));
  if (!wal.ok()) return wal.status();
  auto rep = std::make_unique<Rep>();
  rep->wal = std::move(*wal);
  return std::unique_ptr<WriteAheadLog>(new WriteAheadLog(std::move(rep)));
}

absl::StatusOr<WalPosition> WriteAheadLog::Append(std::string_view payload) {
  absl::StatusOr<internal::WalRecordRef> ref = rep_->wal->Append(payload);
  if (!ref.ok()) return ref.status();
  return ToPublic(*ref);
}

absl::StatusOr<std::string> WriteAheadLog::Read(
    const WalPosition& position) const {
  return rep_->wal->ReadPayload(internal::WalRecordRef{
      position.segment, position.offset, position.length});
}

absl::Status WriteAheadLog::Sync() { return rep_->wal->Sync(); }
absl::StatusOr<uint64_t> WriteAheadLog::Rotate() { return rep_->wal->Rotate(); }
absl::Status WriteAheadLog::DeleteSegmentsBefore(uint64_t segment) {
  return rep_->wal->DeleteSegmentsBefore(segment);
}
absl::Status WriteAheadLog::Close() { return rep_->wal->Close(); }
uint64_t WriteAheadLog::current_segment() const {
  return rep_->wal->current_segment();
}
uint64_t WriteAheadLog::bytes_written() const {
  return rep_->wal->bytes_written();
}

absl::StatusOr<WalReplayStats> ReplayWriteAheadLog(
    const std::string& dir,
    absl::FunctionRef<absl::Status(const WalPosition& position,
                                   std::string_view payload)>
        fn) {
  absl::StatusOr<internal::WalReplayReport> report = internal::ReplayWal(
      dir, [&](const internal::WalRecordRef& ref, std::string_view payload) {
        return fn(ToPublic(ref), payload);
      });
  if (!report.ok()) return report.status();
  WalReplayStats stats;
  stats.segments = report->segments;
  stats.records = report->records;
  stats.bytes = report->bytes;
  stats.corrupt_records = report->corrupt_records;
  stats.torn_tail = report->torn_tail;
  stats.problems = std::move(report->problems);
  return stats;
}

}  // namespace andante
