// V1Scanner: BlockTraceScanner over a v1 block, whose rows are decoded
// whole (OTLP) and converted with traceql::TraceFromOtlp.
#ifndef ANDANTE_LIB_BLOCK_SCAN_V1_SCANNER_H_
#define ANDANTE_LIB_BLOCK_SCAN_V1_SCANNER_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "block/block_scanner.h"

namespace andante::internal::scan {

class V1Scanner : public BlockTraceScanner {
 public:
  explicit V1Scanner(std::shared_ptr<BlockReader> reader)
      : reader_(std::move(reader)) {}

  absl::Status ScanAll(
      absl::FunctionRef<bool(const TraceId&,
                             andante::otlp::trace::v1::TracesData&)>
          fn,
      ScanStats* stats) override;

  // v1 rows are decoded whole: a trace's start is known once it is built.
  absl::Status ScanForQuery(const traceql::Query&, const int64_t* start_after,
                            absl::FunctionRef<bool(const traceql::Trace&)> fn,
                            ScanStats* stats) override;

 private:
  absl::Status Scan(
      ScanStats* stats,
      absl::FunctionRef<absl::Status(const TraceId&, std::string_view)> fn);

  std::shared_ptr<BlockReader> reader_;
};

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_V1_SCANNER_H_
