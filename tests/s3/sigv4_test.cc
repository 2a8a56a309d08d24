// SigV4 against AWS's published examples: the Signature Version 4 test suite
// (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, region us-east-1, service
// "service") and the S3 API reference's "Example: GET Object" with a Range
// header (AKIAIOSFODNN7EXAMPLE, 2013-05-24, bucket examplebucket).
#include "backend/s3/sigv4.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace andante::s3 {
namespace {

constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteDate[] = "20150830T123600Z";
constexpr char kEmptyHash[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningKeyParts SuiteParts() {
  return {kSuiteSecret, "20150830", "us-east-1", "service"};
}

Signature SignSuite(const SigningRequest& r) {
  const SigningKeyParts parts = SuiteParts();
  return Sign(r, "AKIDEXAMPLE", kSuiteDate, parts, SigningKey(parts));
}

SigningRequest SuiteGet(std::string uri) {
  SigningRequest r;
  r.method = "GET";
  r.canonical_uri = std::move(uri);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}};
  r.payload_hash = kEmptyHash;
  return r;
}

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), kEmptyHash);
  // FIPS 180-2 "abc".
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacTest, Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SigV4SuiteTest, GetVanilla) {
  const SigningRequest r = SuiteGet("/");
  const std::string canonical = CanonicalRequest(r);
  EXPECT_EQ(canonical,
            absl::StrCat("GET\n/\n\nhost:example.amazonaws.com\n"
                         "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n",
                         kEmptyHash));
  EXPECT_EQ(Sha256Hex(canonical),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  const Signature s = SignSuite(r);
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
            "service/aws4_request, SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1"
            "d763fbf31");
}

TEST(SigV4SuiteTest, GetVanillaQueryOrderKeyCase) {
  SigningRequest r = SuiteGet("/");
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  EXPECT_EQ(CanonicalQuery(r.query), "Param1=value1&Param2=value2");
  EXPECT_EQ(SignSuite(r).signature,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4SuiteTest, GetUtf8) {
  // The path "/ሴ" (U+1234), encoded once.
  const SigningRequest r = SuiteGet(UriEncode("/\xE1\x88\xB4", true));
  EXPECT_EQ(r.canonical_uri, "/%E1%88%B4");
  EXPECT_EQ(SignSuite(r).signature,
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(SigV4SuiteTest, PostXWwwFormUrlencoded) {
  SigningRequest r = SuiteGet("/");
  r.method = std::string("POST");
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Host", "example.amazonaws.com"},
               {"X-Amz-Date", kSuiteDate}};
  r.payload_hash = Sha256Hex("Param1=value1");
  EXPECT_EQ(r.payload_hash,
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  const std::string sts = StringToSign(
      kSuiteDate, CredentialScope(SuiteParts()), CanonicalRequest(r));
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
            "aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c"
            "73c2154021281");
  const Signature s = SignSuite(r);
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
            "service/aws4_request, SignedHeaders=content-type;host;x-amz-date, "
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a"
            "0fe09473a");
}

TEST(SigV4S3ExampleTest, GetObjectWithRange) {
  SigningRequest r = SuiteGet("/test.txt");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptyHash},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = kEmptyHash;
  const SigningKeyParts parts{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                              "20130524", "us-east-1", "s3"};
  EXPECT_EQ(StringToSign("20130524T000000Z", CredentialScope(parts),
                         CanonicalRequest(r)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
            "aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2"
            "dc43964946972");
  const Signature s = Sign(r, "AKIAIOSFODNN7EXAMPLE", "20130524T000000Z", parts,
                           SigningKey(parts));
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
            "us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-"
            "content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6"
            "ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, ChangingAnySignedPartChangesTheSignature) {
  const std::string base = SignSuite(SuiteGet("/a")).signature;
  EXPECT_NE(SignSuite(SuiteGet("/b")).signature, base);
  SigningRequest r = SuiteGet("/a");
  r.payload_hash = Sha256Hex("x");
  EXPECT_NE(SignSuite(r).signature, base);
  const SigningKeyParts other{"other", "20150830", "us-east-1", "service"};
  EXPECT_NE(
      Sign(SuiteGet("/a"), "AKIDEXAMPLE", kSuiteDate, other, SigningKey(other))
          .signature,
      base);
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndDuplicatesJoined) {
  SigningRequest r = SuiteGet("/");
  r.headers.emplace_back("My-Header1", "  a   b  ");
  r.headers.emplace_back("my-header1", "c");
  const std::string c = CanonicalRequest(r);
  EXPECT_NE(c.find("my-header1:a b,c\n"), std::string::npos) << c;
  EXPECT_EQ(SignedHeaders(r.headers), "host;my-header1;x-amz-date");
}

TEST(UriEncodeTest, KeysAndQueryValues) {
  EXPECT_EQ(UriEncode("single-tenant/0a1b/meta.json", true),
            "single-tenant/0a1b/meta.json");
  EXPECT_EQ(UriEncode("a b+c/d~e_f.g-h", true), "a%20b%2Bc/d~e_f.g-h");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("=&?%*", false), "%3D%26%3F%25%2A");
  EXPECT_EQ(UriEncode("\xC3\xA9", true), "%C3%A9");
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQuery({{"prefix", "t/b/"}, {"delimiter", "/"}}),
            "delimiter=%2F&prefix=t%2Fb%2F");
}

TEST(AmzDateTest, Formats) {
  const absl::Time t = absl::FromUnixSeconds(1440938160);  // 2015-08-30 12:36
  EXPECT_EQ(AmzDate(t), kSuiteDate);
  EXPECT_EQ(AmzDay(t), "20150830");
}

}  // namespace
}  // namespace andante::s3
