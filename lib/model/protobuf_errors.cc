#include "model/protobuf_errors.h"

#include <mutex>

#include "google/protobuf/stubs/logging.h"
#include "util/log.h"

namespace andante::internal {
namespace {

thread_local ProtobufErrorCapture* t_capture = nullptr;
google::protobuf::LogHandler* g_default_handler = nullptr;

void HandleProtobufLog(google::protobuf::LogLevel level, const char* filename,
                       int line, const std::string& message) {
  if (level >= google::protobuf::LOGLEVEL_FATAL) {
    if (g_default_handler != nullptr) {
      g_default_handler(level, filename, line, message);
    }
    return;
  }
  if (t_capture != nullptr) {
    t_capture->Record(message);
    return;
  }
  ANDANTE_LOG(kDebug, "protobuf", {{"message", message}});
}

}  // namespace

void RouteProtobufLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_default_handler = google::protobuf::SetLogHandler(&HandleProtobufLog);
  });
}

ProtobufErrorCapture::ProtobufErrorCapture() : previous_(t_capture) {
  RouteProtobufLogs();
  t_capture = this;
}

ProtobufErrorCapture::~ProtobufErrorCapture() { t_capture = previous_; }

void ProtobufErrorCapture::Record(std::string_view message) {
  // protobuf ends some messages with a space ("... raw bytes. "); a header
  // value may not (RFC 9113 §8.2.1), and gRPC clients drop a grpc-message
  // trailer that does, leaving the client with no reason at all.
  while (!message.empty() && (message.back() == ' ' || message.back() == '\n')) {
    message.remove_suffix(1);
  }
  if (!first_message_.empty()) return;
  first_message_ = std::string(message);
  // The OTLP schemas are compiled under Andante's own package (so that a
  // program may also link the OpenTelemetry SDK's generated classes); a
  // client knows the fields by their upstream names.
  static constexpr std::string_view kOwn = "andante.otlp.";
  static constexpr std::string_view kUpstream = "opentelemetry.proto.";
  for (size_t at = first_message_.find(kOwn); at != std::string::npos;
       at = first_message_.find(kOwn, at + kUpstream.size())) {
    first_message_.replace(at, kOwn.size(), kUpstream);
  }
}

std::string ProtobufErrorCapture::Explain(std::string_view what) const {
  std::string out(what);
  if (!first_message_.empty()) out.append(": ").append(first_message_);
  return out;
}

}  // namespace andante::internal
