#include "receiver/otlp_http.h"

#include <zlib.h>
#include <zstd.h>

#include <string>
#include <utility>
#include <vector>

#include "andante/rpc_status.pb.h"
#include "gtest/gtest.h"
#include "receiver/decompress.h"
#include "snappy.h"

namespace andante::internal {
namespace {

using ::andante::otlp::collector::trace::v1::ExportTraceServiceRequest;

constexpr std::string_view kJsonBody =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",)"
    R"("value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"lib"},)"
    R"("spans":[{"traceId":"5b8efff798038103d269b633813fc700",)"
    R"("spanId":"eee19b7ec3c1b100","name":"op","kind":2,)"
    R"("startTimeUnixNano":"1700000000000000000",)"
    R"("endTimeUnixNano":"1700000000500000000"}]}]}]})";

ExportTraceServiceRequest SampleRequest() {
  ExportTraceServiceRequest r;
  auto* span = r.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\x5b'));
  span->set_span_id(std::string(8, '\x01'));
  span->set_name("op");
  span->set_start_time_unix_nano(1700000000000000000ull);
  return r;
}

std::string Gzip(std::string_view data, int window_bits = 16 + MAX_WBITS) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zlib(std::string_view data) { return Gzip(data, MAX_WBITS); }

std::string Zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 1);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Snappy(std::string_view data) {
  std::string out;
  snappy::Compress(data.data(), data.size(), &out);
  return out;
}

struct Call {
  std::string method = "POST";
  std::string content_type = "application/x-protobuf";
  std::string content_encoding;
  std::string body;
  bool body_too_large = false;
  uint64_t limit = 20ull << 20;
};

OtlpHttpDecodeResult Decode(const Call& c, ExportTraceServiceRequest* out) {
  OtlpHttpInput in{c.method, c.content_type, c.content_encoding, c.body,
                   c.body_too_large};
  return DecodeOtlpHttpRequest(in, OtlpHttpLimits{c.limit}, out);
}

andante::rpc::Status ProtoStatus(const OtlpHttpAnswer& a) {
  andante::rpc::Status s;
  EXPECT_TRUE(s.ParseFromString(a.body));
  return s;
}

TEST(OtlpHttpTest, NonPostIs405Text) {
  ExportTraceServiceRequest out;
  for (const char* m : {"GET", "PUT", "DELETE", "PATCH"}) {
    Call c;
    c.method = m;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error.status, 405);
    EXPECT_EQ(r.error.content_type, "text/plain");
    EXPECT_EQ(r.error.body, "405 method not allowed, supported: [POST]");
  }
}

TEST(OtlpHttpTest, UnsupportedMediaTypesAre415Text) {
  ExportTraceServiceRequest out;
  for (const char* ct : {"application/protobuf", "text/plain", "",
                         "application/grpc", "application/jsonx"}) {
    Call c;
    c.content_type = ct;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok) << ct;
    EXPECT_EQ(r.error.status, 415) << ct;
    EXPECT_EQ(r.error.content_type, "text/plain");
    EXPECT_EQ(r.error.body,
              "415 unsupported media type, supported: [application/json, "
              "application/x-protobuf]");
  }
}

TEST(OtlpHttpTest, MediaTypeParametersAndCaseAreIgnored) {
  ExportTraceServiceRequest out;
  Call c;
  c.content_type = "Application/JSON; charset=utf-8";
  c.body = std::string(kJsonBody);
  auto r = Decode(c, &out);
  ASSERT_TRUE(r.ok) << r.error.body;
  EXPECT_EQ(r.encoding, OtlpEncoding::kJson);
}

TEST(OtlpHttpTest, GoodProtobuf) {
  ExportTraceServiceRequest sample = SampleRequest();
  Call c;
  c.body = sample.SerializeAsString();
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_TRUE(r.ok) << r.error.body;
  EXPECT_EQ(r.encoding, OtlpEncoding::kProtobuf);
  EXPECT_EQ(r.payload_bytes, c.body.size());
  EXPECT_EQ(out.SerializeAsString(), c.body);
}

TEST(OtlpHttpTest, GoodJson) {
  Call c;
  c.content_type = "application/json";
  c.body = std::string(kJsonBody);
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_TRUE(r.ok) << r.error.body;
  ASSERT_EQ(out.resource_spans_size(), 1);
  const auto& span = out.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.name(), "op");
  EXPECT_EQ(span.trace_id().size(), 16u);
  EXPECT_EQ(span.start_time_unix_nano(), 1700000000000000000ull);
}

TEST(OtlpHttpTest, EmptyBodyIsAnEmptyRequest) {
  Call c;
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(out.resource_spans_size(), 0);
}

TEST(OtlpHttpTest, EveryEncodingDecodes) {
  const std::string raw = SampleRequest().SerializeAsString();
  struct Case {
    const char* header;
    std::string body;
  };
  const Case cases[] = {
      {"gzip", Gzip(raw)},    {"GZIP", Gzip(raw)}, {"zlib", Zlib(raw)},
      {"deflate", Zlib(raw)}, {"zstd", Zstd(raw)}, {"snappy", Snappy(raw)},
      {"identity", raw},      {"", raw},
  };
  for (const Case& k : cases) {
    Call c;
    c.content_encoding = k.header;
    c.body = k.body;
    ExportTraceServiceRequest out;
    auto r = Decode(c, &out);
    ASSERT_TRUE(r.ok) << k.header << ": " << r.error.body;
    EXPECT_EQ(out.SerializeAsString(), raw) << k.header;
    EXPECT_EQ(r.payload_bytes, raw.size());
  }
}

TEST(OtlpHttpTest, GzipJson) {
  Call c;
  c.content_type = "application/json";
  c.content_encoding = "gzip";
  c.body = Gzip(kJsonBody);
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_TRUE(r.ok) << r.error.body;
  EXPECT_EQ(out.resource_spans_size(), 1);
}

TEST(OtlpHttpTest, MultiMemberGzip) {
  // Two gzip members concatenated: one request split in two (Go's reader
  // reads both).
  ExportTraceServiceRequest a = SampleRequest();
  std::string raw = a.SerializeAsString();
  Call c;
  c.content_encoding = "gzip";
  c.body = Gzip(raw) + Gzip(raw);
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_TRUE(r.ok) << r.error.body;
  EXPECT_EQ(out.resource_spans_size(), 2);  // repeated field concatenates
}

TEST(OtlpHttpTest, UnknownEncodingIs400NamingIt) {
  for (const char* enc : {"br", "lz4", "gzip, zstd", "x-snappy-framed"}) {
    Call c;
    c.content_encoding = enc;
    c.body = "xx";
    ExportTraceServiceRequest out;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error.status, 400);
    EXPECT_EQ(r.error.content_type, "application/x-protobuf");
    andante::rpc::Status s = ProtoStatus(r.error);
    EXPECT_EQ(s.code(), 3);
    EXPECT_EQ(s.message(), std::string("unsupported Content-Encoding: ") + enc);
  }
}

TEST(OtlpHttpTest, UnknownEncodingWithUnknownMediaTypeIsText) {
  Call c;
  c.content_type = "text/html";
  c.content_encoding = "br";
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_EQ(r.error.content_type, "text/plain");
  EXPECT_EQ(r.error.body, "unsupported Content-Encoding: br");
}

// Decision: an oversize body, raw or decompressed, is a 400 whose message
// names the limit. The collector wraps both streams in http.MaxBytesReader;
// the read error surfaces in the OTLP handler, which answers 400 with a
// google.rpc.Status, not 413.
TEST(OtlpHttpTest, RawBodyOverLimitIs400) {
  Call c;
  c.limit = 100;
  c.body = std::string(101, 'x');
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_NE(ProtoStatus(r.error).message().find("100 bytes"),
            std::string::npos);

  Call t;
  t.body_too_large = true;
  r = Decode(t, &out);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_NE(ProtoStatus(r.error).message().find("request body too large"),
            std::string::npos);
}

TEST(OtlpHttpTest, GzipBombIsStoppedWhileInflating) {
  // 64 MiB of zeros compresses to ~64 KiB; the limit is 1 MiB.
  const std::string zeros(64 << 20, '\0');
  for (const char* enc : {"gzip", "zlib", "zstd"}) {
    Call c;
    c.limit = 1 << 20;
    c.content_encoding = enc;
    std::string_view e = enc;
    c.body = e == "gzip"   ? Gzip(zeros)
             : e == "zlib" ? Zlib(zeros)
                           : Zstd(zeros);
    ASSERT_LT(c.body.size(), 4u << 20) << enc;
    ExportTraceServiceRequest out;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok) << enc;
    EXPECT_EQ(r.error.status, 400);
    std::string msg = ProtoStatus(r.error).message();
    EXPECT_EQ(msg,
              std::string(enc) +
                  ": decompressed body exceeds the limit of 1048576 bytes");
  }
}

TEST(OtlpHttpTest, SnappyBombIsRejectedFromItsHeader) {
  // Snappy's block format states the decoded length first (varint): a claim
  // of 1 GiB is refused before anything is allocated.
  Call c;
  c.limit = 1 << 20;
  c.content_encoding = "snappy";
  c.body = std::string("\x80\x80\x80\x80\x04", 5) + std::string(100, 'x');
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_EQ(ProtoStatus(r.error).message(),
            "snappy: decompressed body exceeds the limit of 1048576 bytes");
}

TEST(OtlpHttpTest, DecompressNeverBuffersMoreThanTheLimit) {
  const std::string zeros(32 << 20, '\0');
  std::string out;
  absl::Status s = Decompress(ContentEncoding::kGzip, Gzip(zeros), 1000, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_LE(out.size(), 1001u);
  // Exactly at the limit is fine.
  s = Decompress(ContentEncoding::kGzip, Gzip(std::string(1000, 'a')), 1000,
                 &out);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(out, std::string(1000, 'a'));
  s = Decompress(ContentEncoding::kZstd, Zstd(std::string(1000, 'a')), 1000,
                 &out);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.size(), 1000u);
}

TEST(OtlpHttpTest, CorruptGzipIs400) {
  const std::string raw = SampleRequest().SerializeAsString();
  std::string gz = Gzip(raw);
  struct Case {
    std::string body;
    std::string want;
  };
  std::string flipped = gz;
  flipped[flipped.size() / 2] ^= 0x55;
  flipped[flipped.size() / 2 + 1] ^= 0x55;
  const Case cases[] = {
      {"not gzip at all", "gzip: invalid data: incorrect header check"},
      {gz.substr(0, gz.size() - 6), "gzip: unexpected EOF"},
      {"", "gzip: unexpected EOF"},
      {flipped, "gzip: invalid data"},
  };
  for (const Case& k : cases) {
    Call c;
    c.content_encoding = "gzip";
    c.body = k.body;
    ExportTraceServiceRequest out;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error.status, 400);
    std::string msg = ProtoStatus(r.error).message();
    EXPECT_EQ(msg.substr(0, 5), "gzip:") << msg;
    EXPECT_NE(msg.find(k.want.substr(6)), std::string::npos)
        << msg << " vs " << k.want;
  }
}

TEST(OtlpHttpTest, CorruptZstdIs400) {
  std::string z = Zstd(SampleRequest().SerializeAsString());
  for (const std::string& body :
       {std::string("garbage!"), z.substr(0, z.size() - 3)}) {
    Call c;
    c.content_encoding = "zstd";
    c.body = body;
    ExportTraceServiceRequest out;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error.status, 400);
    EXPECT_EQ(ProtoStatus(r.error).message().substr(0, 5), "zstd:");
  }
}

TEST(OtlpHttpTest, BadProtobufIs400WithProtoStatus) {
  Call c;
  c.body = "\x0a\x7f\x01\x02";  // length 127, 2 bytes follow
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_EQ(r.error.content_type, "application/x-protobuf");
  andante::rpc::Status s = ProtoStatus(r.error);
  EXPECT_EQ(s.code(), 3);
  EXPECT_EQ(s.message(), "proto: cannot parse invalid wire-format data");
  EXPECT_EQ(out.resource_spans_size(), 0);
}

// protobuf C++ rejects invalid UTF-8 in proto3 strings and explains why only
// in its log; the explanation must reach the client instead.
TEST(OtlpHttpTest, InvalidUtf8Is400NamingTheField) {
  ExportTraceServiceRequest valid;
  auto* span = valid.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  span->set_name("NAME");
  std::string bytes = valid.SerializeAsString();
  bytes.replace(bytes.find("NAME"), 4, "\xff\xfe\xfd\xfc");
  Call c;
  c.body = bytes;
  ExportTraceServiceRequest out;
  auto r = Decode(c, &out);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.status, 400);
  andante::rpc::Status s = ProtoStatus(r.error);
  EXPECT_NE(s.message().find("opentelemetry.proto.trace.v1.Span.name"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.message();
}

TEST(OtlpHttpTest, BadJsonIs400WithJsonStatus) {
  for (
      const char* body :
      {"{", "not json",
       R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc"}]}]}]})"}) {
    Call c;
    c.content_type = "application/json";
    c.body = body;
    ExportTraceServiceRequest out;
    auto r = Decode(c, &out);
    ASSERT_FALSE(r.ok) << body;
    EXPECT_EQ(r.error.status, 400);
    EXPECT_EQ(r.error.content_type, "application/json");
    EXPECT_EQ(r.error.body.rfind(R"({"code":3,"message":")", 0), 0u)
        << r.error.body;
  }
}

TEST(OtlpHttpTest, SuccessBodies) {
  OtlpHttpAnswer j = OtlpHttpSuccess(OtlpEncoding::kJson);
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.content_type, "application/json");
  EXPECT_EQ(j.body, R"({"partialSuccess":{}})");
  OtlpHttpAnswer p = OtlpHttpSuccess(OtlpEncoding::kProtobuf);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.content_type, "application/x-protobuf");
  EXPECT_EQ(p.body, std::string("\x0a\x00", 2));
}

TEST(OtlpHttpTest, PushErrorsMapToHttpStatus) {
  OtlpHttpAnswer a = OtlpHttpError(
      OtlpEncoding::kJson, absl::ResourceExhaustedError("RATE_LIMITED: x"));
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.body, R"({"code":8,"message":"RATE_LIMITED: x"})");
  a = OtlpHttpError(OtlpEncoding::kProtobuf,
                    absl::UnavailableError("no org id"));
  EXPECT_EQ(a.status, 503);
  andante::rpc::Status s = ProtoStatus(a);
  EXPECT_EQ(s.code(), 14);
  EXPECT_EQ(s.message(), "no org id");

  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kUnimplemented), 404);
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kResourceExhausted), 429);
  for (auto code :
       {absl::StatusCode::kCancelled, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kAborted, absl::StatusCode::kOutOfRange,
        absl::StatusCode::kUnavailable, absl::StatusCode::kDataLoss}) {
    EXPECT_EQ(HttpStatusForCode(code), 503);
  }
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kNotFound), 500);
  EXPECT_EQ(HttpStatusForCode(absl::StatusCode::kFailedPrecondition), 500);
}


// The server's overload: protobuf payloads are handed on unparsed.

OtlpHttpDecodeResult DecodeUnparsed(const Call& c, ExportTraceServiceRequest* json,
                                    std::string_view* payload) {
  OtlpHttpInput in{c.method, c.content_type, c.content_encoding, c.body,
                   c.body_too_large};
  return DecodeOtlpHttpRequest(in, OtlpHttpLimits{c.limit}, json, payload);
}

TEST(OtlpHttpTest, UnparsedProtobufPayloadIsTheDecompressedBody) {
  const std::string raw = SampleRequest().SerializeAsString();
  for (const auto& [encoding, body] :
       std::vector<std::pair<std::string, std::string>>{
           {"", raw}, {"gzip", Gzip(raw)}, {"zstd", Zstd(raw)}}) {
    Call c;
    c.content_encoding = encoding;
    c.body = body;
    ExportTraceServiceRequest json;
    std::string_view payload;
    OtlpHttpDecodeResult r = DecodeUnparsed(c, &json, &payload);
    ASSERT_TRUE(r.ok) << encoding;
    EXPECT_EQ(r.encoding, OtlpEncoding::kProtobuf);
    EXPECT_EQ(payload, raw) << encoding;
    EXPECT_EQ(r.payload_bytes, raw.size());
    EXPECT_EQ(json.resource_spans_size(), 0);
  }
  // Garbage passes here; SpanBatch::FromProto is the one that checks.
  Call c;
  c.body = "\xff\xff";
  ExportTraceServiceRequest json;
  std::string_view payload;
  EXPECT_TRUE(DecodeUnparsed(c, &json, &payload).ok);
  EXPECT_EQ(payload, "\xff\xff");
}

TEST(OtlpHttpTest, UnparsedOverloadStillParsesJson) {
  Call c;
  c.content_type = "application/json";
  c.body = std::string(kJsonBody);
  ExportTraceServiceRequest json;
  std::string_view payload = "untouched";
  OtlpHttpDecodeResult r = DecodeUnparsed(c, &json, &payload);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.encoding, OtlpEncoding::kJson);
  EXPECT_EQ(json.resource_spans_size(), 1);
  EXPECT_EQ(payload, "untouched");
}

}  // namespace
}  // namespace andante::internal
