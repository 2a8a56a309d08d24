#include "serve.h"

#include <chrono>
#include <exception>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace andante::request {
namespace {

// Times `serve()`; an exception becomes `on_exception(what)`. Returns the
// result and the seconds taken.
template <typename Result, typename Serve, typename OnException>
Result Timed(Serve serve, OnException on_exception, double* seconds) {
  const auto start = std::chrono::steady_clock::now();
  Result result;
  try {
    result = serve();
  } catch (const std::exception& e) {
    result = on_exception(absl::StrCat("internal error: ", e.what()));
  } catch (...) {
    result = on_exception(std::string("internal error"));
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
                 .count();
  return result;
}

}  // namespace

HttpResponse ServeHttp(
    RequestObserver* observer, std::string_view method,
    absl::FunctionRef<void(HttpResponse*, std::string_view* route)> serve) {
  std::string_view route = "other";
  double seconds = 0;
  HttpResponse resp = Timed<HttpResponse>(
      [&] {
        HttpResponse r;
        serve(&r, &route);
        return r;
      },
      [](std::string message) {
        HttpResponse r;
        r.SetText(500, message + "\n");
        return r;
      },
      &seconds);
  if (observer != nullptr) {
    observer->ObserveRequest(method, route, std::to_string(resp.status),
                             seconds);
  }
  return resp;
}

absl::Status ServeGrpc(RequestObserver* observer, std::string_view route,
                       absl::FunctionRef<absl::Status()> serve) {
  double seconds = 0;
  absl::Status s = Timed<absl::Status>(
      [&] { return serve(); },
      [](std::string message) { return absl::InternalError(message); },
      &seconds);
  if (observer != nullptr) {
    const std::string_view code =
        s.ok()                                     ? "success"
        : s.code() == absl::StatusCode::kCancelled ? "cancel"
                                                   : "error";
    observer->ObserveRequest("gRPC", route, code, seconds);
  }
  return s;
}

std::string RouteLabel(std::string_view route_template) {
  std::string out;
  out.reserve(route_template.size());
  for (char c : route_template) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (out.empty() || out.back() != '_') {
      out.push_back('_');  // a run of other characters becomes one '_'
    }
  }
  size_t b = out.find_first_not_of('_');
  if (b == std::string::npos) return "root";
  size_t e = out.find_last_not_of('_');
  return out.substr(b, e - b + 1);
}

}  // namespace andante::request
