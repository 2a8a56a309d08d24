// A deliberately small tracer for the example: spans with attributes,
// events, status and parent links, exported as raw OTLP/HTTP protobuf
// (POST application/x-protobuf, the body an ExportTraceServiceRequest) with
// libcurl — what any OTLP exporter sends. A real service would use the
// OpenTelemetry C++ SDK's OtlpHttpExporter the same way: point its `url` at
// the collector's otlp_http_endpoint() and ForceFlush before asserting.
#ifndef ANDANTE_EXAMPLES_CHECKOUT_OTLP_HTTP_TRACER_H_
#define ANDANTE_EXAMPLES_CHECKOUT_OTLP_HTTP_TRACER_H_

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <utility>

#include "andante/otlp/collector/trace/v1/trace_service.pb.h"

namespace checkout {

namespace otlp = ::andante::otlp;

class Tracer;

// A span being recorded; Ends (and is queued for export) when destroyed.
class ScopedSpan {
 public:
  ScopedSpan(Tracer* tracer, otlp::trace::v1::Span span)
      : tracer_(tracer), span_(std::move(span)) {}
  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;
  inline ~ScopedSpan();

  void SetAttribute(const std::string& key, const std::string& value) {
    Attr(key)->set_string_value(value);
  }
  void SetAttribute(const std::string& key, const char* value) {
    Attr(key)->set_string_value(value);
  }
  void SetAttribute(const std::string& key, int64_t value) {
    Attr(key)->set_int_value(value);
  }
  void SetAttribute(const std::string& key, bool value) {
    Attr(key)->set_bool_value(value);
  }
  // An "exception" event, as OpenTelemetry's RecordException writes it.
  void RecordException(const std::string& type, const std::string& message) {
    auto* event = span_.add_events();
    event->set_name("exception");
    event->set_time_unix_nano(Now());
    auto* t = event->add_attributes();
    t->set_key("exception.type");
    t->mutable_value()->set_string_value(type);
    auto* m = event->add_attributes();
    m->set_key("exception.message");
    m->mutable_value()->set_string_value(message);
  }
  void SetError(const std::string& message) {
    span_.mutable_status()->set_code(
        otlp::trace::v1::Status::STATUS_CODE_ERROR);
    span_.mutable_status()->set_message(message);
  }
  // What a child span needs: this span's trace and ID.
  const otlp::trace::v1::Span& context() const { return span_; }

  static uint64_t Now() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  }

 private:
  otlp::common::v1::AnyValue* Attr(const std::string& key) {
    auto* kv = span_.add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  }

  Tracer* tracer_;
  otlp::trace::v1::Span span_;
};

class Tracer {
 public:
  // Spans of `service`, exported to `otlp_http_url` (".../v1/traces").
  Tracer(std::string service, std::string otlp_http_url)
      : url_(std::move(otlp_http_url)) {
    auto* rs = batch_.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value(std::move(service));
    rs->add_scope_spans()->mutable_scope()->set_name("checkout-example");
  }

  // A root span, or a child of `parent`.
  ScopedSpan StartSpan(const std::string& name,
                       otlp::trace::v1::Span::SpanKind kind,
                       const ScopedSpan* parent = nullptr) {
    otlp::trace::v1::Span span;
    std::lock_guard<std::mutex> lock(mu_);
    if (parent != nullptr) {
      span.set_trace_id(parent->context().trace_id());
      span.set_parent_span_id(parent->context().span_id());
    } else {
      span.set_trace_id(RandomBytes(16));
    }
    span.set_span_id(RandomBytes(8));
    span.set_name(name);
    span.set_kind(kind);
    span.set_start_time_unix_nano(ScopedSpan::Now());
    return ScopedSpan(this, std::move(span));
  }

  // Exports every ended span in one request. True on HTTP 200.
  bool ForceFlush() {
    std::string body;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto* spans = batch_.mutable_resource_spans(0)->mutable_scope_spans(0);
      if (spans->spans_size() == 0) return true;
      body = batch_.SerializeAsString();
      spans->clear_spans();
    }
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return false;
    curl_slist* headers =
        curl_slist_append(nullptr, "Content-Type: application/x-protobuf");
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION,
        +[](char*, size_t size, size_t n, void*) { return size * n; });
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status == 200;
  }

 private:
  friend class ScopedSpan;
  void End(otlp::trace::v1::Span span) {
    span.set_end_time_unix_nano(ScopedSpan::Now());
    std::lock_guard<std::mutex> lock(mu_);
    *batch_.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans() =
        std::move(span);
  }
  std::string RandomBytes(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += static_cast<char>(rng_() & 0xff);
    out.back() |= 1;  // never all zero
    return out;
  }

  const std::string url_;
  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  otlp::collector::trace::v1::ExportTraceServiceRequest batch_;
};

ScopedSpan::~ScopedSpan() { tracer_->End(std::move(span_)); }

}  // namespace checkout

#endif  // ANDANTE_EXAMPLES_CHECKOUT_OTLP_HTTP_TRACER_H_
