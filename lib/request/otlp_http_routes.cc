#include "otlp_http_routes.h"

#include <google/protobuf/arena.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "receiver_push.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "receiver/otlp_http.h"
#include "util/strings.h"

namespace andante::request {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

void SetAnswer(internal::OtlpHttpAnswer&& a, HttpResponse* resp) {
  resp->status = a.status;
  resp->content_type = std::move(a.content_type);
  resp->body = std::move(a.body);
}

}  // namespace

void OtlpHttpExport(Store* store, const RequestOptions& options,
                    const HttpRequest& req, HttpResponse* resp) {
  internal::OtlpHttpInput in;
  in.method = req.method;
  in.content_type = req.Header("Content-Type").value_or("");
  in.content_encoding = req.Header("Content-Encoding").value_or("");
  in.body = req.body;
  in.body_too_large = req.body_too_large;
  internal::OtlpHttpLimits limits;
  limits.max_request_body_size = options.otlp_http_max_request_body_size;

  // A protobuf payload is split on its wire bytes (SpanBatch::FromProto)
  // and never parsed. A JSON payload is parsed into a request that lives in
  // an arena whose first block is reused by every request on this thread:
  // parsing then allocates by bumping a pointer, and the whole message graph
  // is released at once at the end instead of object by object.
  constexpr size_t kArenaBlockBytes = 1 << 20;
  thread_local std::unique_ptr<char[]> arena_block(new char[kArenaBlockBytes]);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block.get();
  arena_options.initial_block_size = kArenaBlockBytes;
  arena_options.start_block_size = 256 << 10;
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  auto* request =
      google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);

  std::string_view protobuf_payload;
  internal::OtlpHttpDecodeResult decoded = internal::DecodeOtlpHttpRequest(
      in, limits, request, &protobuf_payload);
  if (!decoded.ok) {
    SetAnswer(std::move(decoded.error), resp);
    return;
  }
  absl::StatusOr<SpanBatch> batch =
      decoded.encoding == internal::OtlpEncoding::kProtobuf
          ? SpanBatch::FromProto(protobuf_payload)
          : SpanBatchFromRequest(*request);
  if (!batch.ok()) {
    // Not OTLP protobuf: the same 400 as a failed parse.
    SetAnswer(internal::OtlpHttpError(decoded.encoding, batch.status()), resp);
    return;
  }
  // Tenant: like Tempo's distributor, checked once the payload is decoded.
  absl::Status pushed = TenantAndPush(store, options, {"otlp", "http"},
                                      OrgIdsOf(req), *batch,
                                      decoded.payload_bytes);
  if (!pushed.ok()) {
    SetAnswer(internal::OtlpHttpError(decoded.encoding, pushed), resp);
    return;
  }
  SetAnswer(internal::OtlpHttpSuccess(decoded.encoding), resp);
}

absl::Status OtlpGrpcExport(Store* store, const RequestOptions& options,
                            std::string_view message, const OrgIds& ids) {
  absl::StatusOr<SpanBatch> batch = SpanBatch::FromProto(message);
  if (!batch.ok()) {
    // What grpc-go (and so the collector in Tempo) answers for a message
    // that does not unmarshal.
    return absl::InternalError(absl::StrCat(
        "grpc: error unmarshalling request: ", batch.status().message()));
  }
  return TenantAndPush(store, options, {"otlp", "grpc"}, ids, *batch,
                       message.size());
}

}  // namespace andante::request
