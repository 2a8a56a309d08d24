// OTLP over HTTP (POST <traces_url_path>, port 4318) and gRPC
// (TraceService/Export, port 4317): the payload is decoded into a SpanBatch
// (protobuf wire bytes are split without building the message tree) and
// handed to TenantAndPush.
#ifndef ANDANTE_REQUEST_OTLP_HTTP_ROUTES_H_
#define ANDANTE_REQUEST_OTLP_HTTP_ROUTES_H_

#include <string_view>

#include "absl/status/status.h"
#include "andante/request.h"
#include "receiver_push.h"

namespace andante::request {

// Answers an OTLP/HTTP export whose path matched. Answers in the request's
// encoding (receiver/otlp_http.h).
void OtlpHttpExport(Store* store, const RequestOptions& options,
                    const HttpRequest& req, HttpResponse* resp);

// Pushes one OTLP/gRPC Export message (`message`, decompressed); the status
// is the gRPC answer.
absl::Status OtlpGrpcExport(Store* store, const RequestOptions& options,
                            std::string_view message, const OrgIds& ids);

}  // namespace andante::request

#endif  // ANDANTE_REQUEST_OTLP_HTTP_ROUTES_H_
