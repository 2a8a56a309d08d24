// The Zipkin receiver on 9411, as the collector's zipkin receiver answers:
// every path and method is served; a path containing "api/v1/spans" is the
// v1 API, anything else v2; Content-Type application/x-protobuf selects
// protobuf, anything else JSON (v1: application/x-thrift selects Thrift).
// `Content-Encoding: gzip` / `deflate` / `zlib` bodies are inflated
// (bounded); a body whose gzip/zlib header does not match is read as is.
//
//   202 (empty body)   accepted
//   400 <error>        undecodable body, or IDs the store rejects
//   500 <error>        the store failed (or no org id with multitenancy)
#ifndef ANDANTE_REQUEST_ZIPKIN_ROUTES_H_
#define ANDANTE_REQUEST_ZIPKIN_ROUTES_H_

#include "andante/request.h"

namespace andante::request {

// Answers one Zipkin request (any path, any method).
void ZipkinSpans(Store* store, const RequestOptions& options,
                 const HttpRequest& req, HttpResponse* resp);

// The route label: "api_v1_spans" for a v1 path, else "api_v2_spans".
std::string_view ZipkinRoute(std::string_view path);

}  // namespace andante::request

#endif  // ANDANTE_REQUEST_ZIPKIN_ROUTES_H_
