#include "otlp_http_routes.h"

#include <google/protobuf/arena.h>

#include <chrono>
#include <exception>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "metrics.h"
#include "receiver_push.h"
#include "andante/otlp/collector/trace/v1/trace_service.pb.h"
#include "receiver/otlp_http.h"
#include "util/strings.h"

namespace andante::server {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

void SetAnswer(internal::OtlpHttpAnswer&& a, HttpResponse* resp) {
  resp->status = a.status;
  resp->content_type = std::move(a.content_type);
  resp->body = std::move(a.body);
}

}  // namespace

OtlpHttpRoutes::OtlpHttpRoutes(Store* store, OtlpHttpOptions options,
                               ServerMetrics* metrics)
    : store_(store),
      options_(std::move(options)),
      metrics_(metrics),
      route_(RouteLabel(options_.traces_url_path)) {}

void OtlpHttpRoutes::Handle(HttpRequest& req, HttpResponse* resp) {
  auto start = std::chrono::steady_clock::now();
  bool matched = req.path == options_.traces_url_path;
  try {
    if (matched) {
      Export(req, resp);
    } else {
      // Go's ServeMux answer for an unknown path.
      resp->SetText(404, "404 page not found\n");
    }
  } catch (const std::exception& e) {
    *resp = HttpResponse();
    resp->SetText(500, absl::StrCat("internal error: ", e.what(), "\n"));
  } catch (...) {
    *resp = HttpResponse();
    resp->SetText(500, "internal error\n");
  }
  if (metrics_ != nullptr) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    metrics_->ObserveRequest(req.method, matched ? route_ : "other",
                             std::to_string(resp->status), seconds);
  }
}

void OtlpHttpRoutes::Export(HttpRequest& req, HttpResponse* resp) {
  internal::OtlpHttpInput in;
  in.method = req.method;
  in.content_type = req.Header("Content-Type").value_or("");
  in.content_encoding = req.Header("Content-Encoding").value_or("");
  in.body = req.body;
  in.body_too_large = req.body_too_large;
  internal::OtlpHttpLimits limits;
  limits.max_request_body_size = options_.max_request_body_size;

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
  const uint64_t spans = batch->span_count();

  // Tenant: like Tempo's distributor, checked once the payload is decoded.
  std::string tenant(kSingleTenant);
  if (options_.multitenancy_enabled) {
    std::optional<std::string_view> h = req.Header("X-Scope-OrgID");
    if (!h.has_value() || req.HeaderCount("X-Scope-OrgID") != 1) {
      absl::Status s = absl::UnavailableError("no org id");
      if (metrics_ != nullptr) {
        metrics_->RecordPush("http", "", spans, decoded.payload_bytes,
                             PushStatusLabel(s), false, 0);
      }
      SetAnswer(internal::OtlpHttpError(decoded.encoding, s), resp);
      return;
    }
    tenant = std::string(*h);
    absl::Status valid = ValidateTenantId(tenant);
    if (!valid.ok()) {
      if (metrics_ != nullptr) {
        metrics_->RecordPush("http", "", spans, decoded.payload_bytes,
                             PushStatusLabel(valid), false, 0);
      }
      SetAnswer(internal::OtlpHttpError(decoded.encoding, valid), resp);
      return;
    }
  }

  absl::StatusOr<PushResult> pushed = store_->Push(tenant, *batch);
  if (metrics_ != nullptr) {
    metrics_->RecordPush(
        "http", tenant, spans, decoded.payload_bytes,
        PushStatusLabel(pushed.status()), pushed.ok(),
        pushed.ok() ? pushed->spans_discarded_trace_too_large : 0);
  }
  if (!pushed.ok()) {
    SetAnswer(internal::OtlpHttpError(decoded.encoding, pushed.status()), resp);
    return;
  }
  SetAnswer(internal::OtlpHttpSuccess(decoded.encoding), resp);
}

}  // namespace andante::server
