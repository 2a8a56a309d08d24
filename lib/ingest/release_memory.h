// Hands the pages the allocator keeps for reuse back to the kernel.
//
// After a compaction job or a burst of block builds, tens of megabytes
// that the job freed sit in the allocator's dirty pages until its decay
// (jemalloc: dirty_decay_ms, 10 s by default, on its background thread)
// or forever (glibc, for memory below the top of a heap). Calling this at
// the end of such a job makes an idle server's RSS follow its heap at once.
#ifndef ANDANTE_INGEST_RELEASE_MEMORY_H_
#define ANDANTE_INGEST_RELEASE_MEMORY_H_

namespace andante::internal {

// With jemalloc in the process (the server links it when found): purges
// every arena (`mallctl("arena.<all>.purge")`), looked up at run time so
// the library does not depend on it. Otherwise glibc's malloc_trim(0).
// Costs a few milliseconds; call it after big jobs, not per request.
void ReleaseFreeMemory();

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_RELEASE_MEMORY_H_
