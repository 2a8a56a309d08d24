// The one wrapper every request runs in, whatever its protocol: the handler
// is timed, an exception escaping it becomes an error answer (500 /
// INTERNAL "internal error: <what>") instead of leaving the library, and the
// request is observed as tempo_request_duration_seconds{method, route,
// status_code}.
//
//   HttpResponse resp = ServeHttp(observer, req.method,
//       [&](HttpResponse* r, std::string_view* route) {
//         *route = "api_echo";
//         r->SetText(200, "echo\n");
//       });
#ifndef ANDANTE_REQUEST_SERVE_H_
#define ANDANTE_REQUEST_SERVE_H_

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "andante/request.h"

namespace andante::request {

// Runs `serve`, which fills the answer and sets the route label (left at
// "other" for an unknown route; must outlive the call).
HttpResponse ServeHttp(
    RequestObserver* observer, std::string_view method,
    absl::FunctionRef<void(HttpResponse*, std::string_view* route)> serve);

// Runs `serve` for a gRPC method observed as `route`, with code "success",
// "cancel" or "error".
absl::Status ServeGrpc(RequestObserver* observer, std::string_view route,
                       absl::FunctionRef<absl::Status()> serve);

// Turns a route template into the `route` label Tempo uses (dskit's
// MakeLabelValue): each run of non-alphanumeric characters becomes one '_',
// leading/trailing '_' are trimmed, the rest lower-cased; "" becomes "root"
// ("/api/traces/{traceID}" -> "api_traces_traceid").
std::string RouteLabel(std::string_view route_template);

}  // namespace andante::request

#endif  // ANDANTE_REQUEST_SERVE_H_
