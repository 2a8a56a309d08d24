// Errors that leave the Store reach clients (HTTP bodies, gRPC statuses):
// they must name the problem, not the server's filesystem layout.
//
//   absl::Status s = wal->Append(...);   // "open /var/tempo/wal/t/0001: ..."
//   return ForClient(s);                 // "open .../0001: ..." (logged whole)
#ifndef ANDANTE_INGEST_CLIENT_ERROR_H_
#define ANDANTE_INGEST_CLIENT_ERROR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace andante::internal {

// `message` with every absolute path ("/a/b/c", a word starting with '/'
// that holds at least two '/') shortened to ".../c", its last component.
std::string StripPaths(std::string_view message);

// `status` with StripPaths applied to its message, same code. If that
// changed anything, the original is logged (warn) so operators keep the
// paths. OK stays OK.
absl::Status ForClient(const absl::Status& status);

}  // namespace andante::internal

#endif  // ANDANTE_INGEST_CLIENT_ERROR_H_
