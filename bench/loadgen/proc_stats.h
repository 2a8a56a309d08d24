// Resource usage of a process and facts about the machine, from /proc.
#ifndef ANDANTE_BENCH_LOADGEN_PROC_STATS_H_
#define ANDANTE_BENCH_LOADGEN_PROC_STATS_H_

#include <cstdint>
#include <string>

namespace andante::loadgen {

struct ProcessSample {
  bool ok = false;          // false when the process is gone or unreadable
  double cpu_seconds = 0;   // utime + stime
  int64_t rss_kb = 0;       // VmRSS
  int64_t peak_rss_kb = 0;  // VmHWM
  // VmRSS split: anonymous (heap, stacks) and file-backed (mapped files,
  // the binary) pages.
  int64_t rss_anon_kb = 0;
  int64_t rss_file_kb = 0;
};

// Reads /proc/<pid>/stat and /proc/<pid>/status.
ProcessSample SampleProcess(int pid);

// CPU seconds (user + system) this process has used.
double SelfCpuSeconds();

// "2 CPUs (nproc), AMD EPYC 7B13" from sched_getaffinity and /proc/cpuinfo.
std::string MachineNote();

// A warning when the 1-minute load average already exceeds the CPU count
// (other work competes with the benchmark); empty otherwise.
std::string BusyWarning();

// Sum of the sizes of the regular files under `dir`, and how many
// directories hold a meta.json (complete blocks). Blocks marked compacted
// (meta.compacted.json), kept until compacted_block_retention runs out, hold
// a second copy of their spans, and objects still being written (the local
// backend's ~andante-tmp) are not blocks yet: both are counted apart.
// Missing dir: zeros.
struct DirUsage {
  int64_t bytes = 0;
  int64_t files = 0;
  int64_t blocks = 0;
  int64_t compacted_bytes = 0;  // in blocks marked compacted (not in bytes)
  int64_t compacted_blocks = 0;
  int64_t writing_bytes = 0;  // objects being written (~andante-tmp)
};
DirUsage ScanDir(const std::string& dir);

}  // namespace andante::loadgen

#endif  // ANDANTE_BENCH_LOADGEN_PROC_STATS_H_
