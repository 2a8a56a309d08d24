// Cost of the S3 client's CPU work per request: signing (SigV4, with the
// daily signing key cached as the client does), deriving the key, hashing
// a PUT payload, and parsing a 1000-key ListObjectsV2 page.
#include <string>

#include "absl/strings/str_cat.h"
#include "backend/s3/s3_xml.h"
#include "backend/s3/sigv4.h"
#include "benchmark/benchmark.h"

namespace andante::s3 {
namespace {

SigningRequest RangedGet() {
  SigningRequest r;
  r.method = "GET";
  r.canonical_uri = UriEncode(
      "/tempo-traces/single-tenant/0e07d0c7-3f95-49b5-bec6-ad83de586605/data",
      true);
  r.headers = {{"host", "garage.storage:3900"},
               {"range", "bytes=1048576-1114111"},
               {"x-amz-content-sha256", Sha256Hex("")},
               {"x-amz-date", "20261207T015500Z"}};
  r.payload_hash = Sha256Hex("");
  return r;
}

void BM_SignRangedGet(benchmark::State& state) {
  const SigningKeyParts parts{"secret", "20261207", "garage", "s3"};
  const std::string key = SigningKey(parts);
  const SigningRequest r = RangedGet();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        Sign(r, "GK31c2f218a2e44f485b94239e", "20261207T015500Z", parts, key));
  }
}
BENCHMARK(BM_SignRangedGet);

void BM_SigningKey(benchmark::State& state) {
  const SigningKeyParts parts{"secret", "20261207", "garage", "s3"};
  for (auto _ : state) benchmark::DoNotOptimize(SigningKey(parts));
}
BENCHMARK(BM_SigningKey);

void BM_PayloadSha256(benchmark::State& state) {
  const std::string body(state.range(0), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Sha256Hex(body));
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_PayloadSha256)->Arg(64 << 10)->Arg(5 << 20);

void BM_ParseList1000(benchmark::State& state) {
  std::string xml =
      "<ListBucketResult><Name>tempo-traces</Name>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>"
      "abc</NextContinuationToken>";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(
        &xml, "<Contents><Key>single-tenant/block-", i,
        "/meta.json</Key><LastModified>2026-12-07T01:00:00.000Z"
        "</LastModified><ETag>&quot;599bab3ed2c697f1d26842727561fd94"
        "&quot;</ETag><Size>142</Size><StorageClass>STANDARD"
        "</StorageClass></Contents>");
  }
  xml += "</ListBucketResult>";
  for (auto _ : state) benchmark::DoNotOptimize(ParseListResult(xml));
  state.SetBytesProcessed(state.iterations() * xml.size());
}
BENCHMARK(BM_ParseList1000);

}  // namespace
}  // namespace andante::s3

BENCHMARK_MAIN();
