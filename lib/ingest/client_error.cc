#include "ingest/client_error.h"

#include <algorithm>

#include "util/log.h"
#include "util/strings.h"

namespace andante::internal {
namespace {

// Characters that end a path inside a message.
bool EndsPath(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' ||
         c == ')' || c == ']' || c == ',' || c == ';';
}

// Characters after which a path may start.
bool StartsWord(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' ||
         c == '(' || c == '[' || c == '=';
}

}  // namespace

std::string StripPaths(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  size_t i = 0;
  while (i < message.size()) {
    bool word_start = i == 0 || StartsWord(message[i - 1]);
    if (message[i] != '/' || !word_start) {
      out.push_back(message[i++]);
      continue;
    }
    size_t end = i;
    while (end < message.size() && !EndsPath(message[end])) ++end;
    std::string_view path = message.substr(i, end - i);
    // "path: reason" — the colon belongs to the message, not the path.
    size_t trailing = 0;
    while (trailing < path.size() &&
           (path[path.size() - 1 - trailing] == ':' ||
            path[path.size() - 1 - trailing] == '.')) {
      ++trailing;
    }
    std::string_view body = path.substr(0, path.size() - trailing);
    if (std::count(body.begin(), body.end(), '/') < 2) {
      out.append(path);
    } else {
      std::string_view last = body.substr(body.rfind('/') + 1);
      out.append(".../");
      out.append(last);
      out.append(path.substr(body.size()));
    }
    i = end;
  }
  return out;
}

absl::Status ForClient(const absl::Status& status) {
  if (status.ok()) return status;
  std::string stripped = StripPaths(ToStd(status.message()));
  if (stripped == ToStd(status.message())) return status;
  ANDANTE_LOG(kWarn, "store error (paths removed from the client's copy)",
              {{"code", absl::StatusCodeToString(status.code())},
               {"error", std::string(ToStd(status.message()))}});
  return absl::Status(status.code(), stripped);
}

}  // namespace andante::internal
