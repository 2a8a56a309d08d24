// protobuf's C++ parser explains a rejected message only through its global
// log ("String field 'opentelemetry.proto.trace.v1.Span.name' contains
// invalid UTF-8 data ...") and prints that to stderr on every bad request.
// For a server that is both a useless error for the client and a way to
// flood the log. ProtobufErrorCapture turns those lines into the error
// message of the decode that caused them.
//
//   ProtobufErrorCapture capture;
//   if (!msg.ParseFromArray(data, size)) {
//     return absl::InvalidArgumentError(capture.Explain("cannot parse"));
//   }
//
// RouteProtobufLogs (called by the first capture, and by the server at
// startup) installs a process-wide protobuf log handler, once. Outside a
// capture, protobuf's ERROR and WARNING lines go to Andante's log at debug
// level; FATAL lines keep protobuf's default handling.
#ifndef ANDANTE_MODEL_PROTOBUF_ERRORS_H_
#define ANDANTE_MODEL_PROTOBUF_ERRORS_H_

#include <string>
#include <string_view>

namespace andante::internal {

// Installs the protobuf log handler described above. Idempotent.
void RouteProtobufLogs();

// Collects protobuf log messages emitted on this thread while it lives.
// Not copyable; captures nest (the innermost collects).
class ProtobufErrorCapture {
 public:
  ProtobufErrorCapture();
  ~ProtobufErrorCapture();
  ProtobufErrorCapture(const ProtobufErrorCapture&) = delete;
  ProtobufErrorCapture& operator=(const ProtobufErrorCapture&) = delete;

  // `what`, followed by ": <first captured message>" if protobuf said why.
  std::string Explain(std::string_view what) const;

  // Called by the log handler.
  void Record(std::string_view message);

 private:
  ProtobufErrorCapture* previous_;
  std::string first_message_;
};

}  // namespace andante::internal

#endif  // ANDANTE_MODEL_PROTOBUF_ERRORS_H_
