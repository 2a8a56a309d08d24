// Object storage as Andante sees it: named immutable objects that can be read
// whole or by byte range, written, listed and deleted.
//
// Keys are '/'-separated paths such as "single-tenant/<block-id>/meta.json"
// (the layout of Tempo's backends). Implementations: a local directory
// (OpenLocalBackend), memory (OpenMemoryBackend, for tests) and, later, S3.
//
//   auto backend = andante::OpenLocalBackend("./data/blocks");
//   if (!backend.ok()) return backend.status();
//   absl::Status s = (*backend)->Write("t/b/meta.json", "{}");
//
// All methods are thread-safe. Errors use canonical codes: a missing object is
// NOT_FOUND, a bad key INVALID_ARGUMENT, an I/O failure UNAVAILABLE/INTERNAL.
#ifndef ANDANTE_BACKEND_H_
#define ANDANTE_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace andante {

// Streams one object into a backend. The object appears, whole, only when
// Close succeeds; a writer destroyed before that leaves nothing visible.
// Not thread-safe: one writer, one thread.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // Appends `data` to the object being written.
  virtual absl::Status Append(std::string_view data) = 0;
  // Makes the object durable and visible. Call at most once; no Append after.
  virtual absl::Status Close() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // The whole object.
  virtual absl::StatusOr<std::string> Read(std::string_view key) = 0;

  // `length` bytes starting at `offset`. Reading past the end of the object is
  // OUT_OF_RANGE.
  virtual absl::StatusOr<std::string> ReadRange(std::string_view key,
                                                uint64_t offset,
                                                uint64_t length) = 0;

  // Creates or replaces the object. On return the object is durable and
  // readers see either the old or the new content, never a mix.
  virtual absl::Status Write(std::string_view key, std::string_view data) = 0;

  // Names of the direct children of `prefix` (objects and "directories"),
  // without the prefix, sorted. An absent prefix lists as empty. `prefix` ""
  // lists the top level (the tenants).
  virtual absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) = 0;

  // Deletes one object. Deleting an absent object succeeds.
  virtual absl::Status Delete(std::string_view key) = 0;

  // A writer that streams the object for `key`, so large objects (a block's
  // data) need not be held in memory whole. The default buffers in memory
  // and calls Write on Close; backends that can stream override it.
  virtual absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(
      std::string_view key);

  // Discards what writers killed mid-object left under `prefix` (S3: the
  // multipart uploads they never completed) if started before
  // `started_before`; returns how many. Backends whose unfinished writes
  // leave nothing behind, or that cannot list them, return 0 (the default).
  virtual absl::StatusOr<uint64_t> AbortIncompleteWrites(
      std::string_view prefix, absl::Time started_before);
};

// A backend rooted at directory `path`, created if missing. Writes go to a
// temporary file that is fsynced and renamed into place.
absl::StatusOr<std::unique_ptr<Backend>> OpenLocalBackend(std::string path);

// A process-local backend for tests and embedding; contents vanish with it.
std::unique_ptr<Backend> OpenMemoryBackend();

}  // namespace andante

#endif  // ANDANTE_BACKEND_H_
