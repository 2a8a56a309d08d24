// How a scan callback stops BlockReader::ForEach or V2Page::ForEachTraceOtlp
// early: it returns Stop(), and the scan turns that status back into OK.
#ifndef ANDANTE_LIB_BLOCK_SCAN_STOP_H_
#define ANDANTE_LIB_BLOCK_SCAN_STOP_H_

#include "absl/status/status.h"

namespace andante::internal::scan {

inline absl::Status Stop() { return absl::CancelledError("scan stopped"); }

// Whether `s` is Stop()'s status.
inline bool IsStop(const absl::Status& s) {
  return absl::IsCancelled(s) && s.message() == "scan stopped";
}

}  // namespace andante::internal::scan

#endif  // ANDANTE_LIB_BLOCK_SCAN_STOP_H_
