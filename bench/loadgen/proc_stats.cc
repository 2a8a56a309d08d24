#include "proc_stats.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace andante::loadgen {

ProcessSample SampleProcess(int pid) {
  ProcessSample sample;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return sample;
  // The command name (field 2) may hold spaces and parentheses; the fields
  // after the last ')' are fixed: state is field 3, utime 14, stime 15.
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return sample;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  sample.cpu_seconds = static_cast<double>(utime + stime) / ticks;

  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      sample.peak_rss_kb = std::strtoll(line.c_str() + 6, nullptr, 10);
    } else if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_kb = std::strtoll(line.c_str() + 6, nullptr, 10);
    } else if (line.rfind("RssAnon:", 0) == 0) {
      sample.rss_anon_kb = std::strtoll(line.c_str() + 8, nullptr, 10);
    } else if (line.rfind("RssFile:", 0) == 0) {
      sample.rss_file_kb = std::strtoll(line.c_str() + 8, nullptr, 10);
    }
  }
  sample.ok = true;
  return sample;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string MachineNote() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = sched_getaffinity(0, sizeof(set), &set) == 0
                 ? CPU_COUNT(&set)
                 : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(colon + 2);
      break;
    }
  }
  return absl::StrCat(cpus, " CPUs (nproc), ", model);
}

std::string BusyWarning() {
  std::ifstream loadavg("/proc/loadavg");
  double load = 0;
  if (!(loadavg >> load)) return "";
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = sched_getaffinity(0, sizeof(set), &set) == 0
                       ? CPU_COUNT(&set)
                       : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (load <= cpus) return "";
  return absl::StrFormat(
      "WARNING: machine busy before the run (load average %.1f on %d CPUs): "
      "other work competes with the server; figures will be low and noisy",
      load, cpus);
}

DirUsage ScanDir(const std::string& dir) {
  namespace fs = std::filesystem;
  DirUsage usage;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const int64_t size = static_cast<int64_t>(it->file_size(ec));
    const bool meta = it->path().filename() == "meta.json";
    if (it->path().native().find("/~andante-tmp/") != std::string::npos) {
      usage.writing_bytes += size;
      continue;
    }
    if (fs::exists(it->path().parent_path() / "meta.compacted.json", ec)) {
      usage.compacted_bytes += size;
      if (meta) ++usage.compacted_blocks;
      continue;
    }
    ++usage.files;
    usage.bytes += size;
    if (meta) ++usage.blocks;
  }
  return usage;
}

}  // namespace andante::loadgen
