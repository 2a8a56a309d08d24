#include "backend/s3/s3_xml.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::s3 {
namespace {

using ::testing::ElementsAre;

// Shaped like S3's documented ListObjectsV2 response with a delimiter.
constexpr char kListV2[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>tempo-traces</Name>
  <Prefix>single-tenant/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>2</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>single-tenant/index.json.gz</Key>
    <LastModified>2026-12-07T01:00:00.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>142</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>single-tenant/a&amp;b &lt;c&gt;</Key>
    <Size>1</Size>
  </Contents>
  <CommonPrefixes>
    <Prefix>single-tenant/0a1b2c/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes><Prefix>single-tenant/&#x e;</Prefix></CommonPrefixes>
</ListBucketResult>)";

TEST(S3XmlTest, RejectsBadCharacterReference) {
  // The second common prefix carries a malformed reference.
  EXPECT_TRUE(absl::IsInvalidArgument(ParseListResult(kListV2).status()));
}

TEST(S3XmlTest, ParsesListObjectsV2) {
  std::string xml = kListV2;
  const std::string bad =
      "<CommonPrefixes><Prefix>single-tenant/&#x e;</Prefix></CommonPrefixes>";
  xml.replace(xml.find(bad), bad.size(),
              "<CommonPrefixes><Prefix>single-tenant/&#xe9;&#233;</Prefix>"
              "</CommonPrefixes>");
  absl::StatusOr<ListResult> r = ParseListResult(xml);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->keys, ElementsAre("single-tenant/index.json.gz",
                                   "single-tenant/a&b <c>"));
  EXPECT_THAT(
      r->common_prefixes,
      ElementsAre("single-tenant/0a1b2c/", "single-tenant/\xC3\xA9\xC3\xA9"));
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->next_continuation_token,
            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(r->next_marker, "");
}

TEST(S3XmlTest, ParsesListObjectsV1LastPage) {
  constexpr char kV1[] =
      "<ListBucketResult><Name>b</Name><Prefix></Prefix><Marker>m</Marker>"
      "<NextMarker>t/9</NextMarker><IsTruncated>false</IsTruncated>"
      "<Contents><Key>t/9</Key></Contents></ListBucketResult>";
  absl::StatusOr<ListResult> r = ParseListResult(kV1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->keys, ElementsAre("t/9"));
  EXPECT_TRUE(r->common_prefixes.empty());
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(r->next_marker, "t/9");
}

TEST(S3XmlTest, EmptyListAndSelfClosingElements) {
  absl::StatusOr<ListResult> r = ParseListResult(
      "<ListBucketResult><Prefix/><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->keys.empty());
  EXPECT_FALSE(r->truncated);
}

TEST(S3XmlTest, KeyCountIsNotKey) {
  absl::StatusOr<std::vector<std::string_view>> v =
      XmlElements("<KeyCount>3</KeyCount><Key>k</Key>", "Key");
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(*v, ElementsAre("k"));
}

TEST(S3XmlTest, MalformedDocumentsAreErrors) {
  EXPECT_FALSE(ParseListResult("<Error><Code>x</Code></Error>").ok());
  EXPECT_FALSE(ParseListResult("<ListBucketResult><Contents><Key>a").ok());
  EXPECT_FALSE(ParseListResult("<ListBucketResult><Contents><Size>1</Size>"
                               "</Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(XmlUnescape("a&bogus;").ok());
  EXPECT_FALSE(XmlUnescape("a&amp").ok());
  EXPECT_FALSE(XmlUnescape("&#0;").ok());
  EXPECT_FALSE(XmlUnescape("&#xD800;").ok());
  EXPECT_FALSE(XmlUnescape("&#x110000;").ok());
  EXPECT_FALSE(XmlElements(std::string(kMaxXmlBytes + 1, ' '), "Key").ok());
  // A '<' at the very end must not read past the input.
  EXPECT_TRUE(XmlElements("abc<", "Key").ok());
  EXPECT_FALSE(XmlElements("<Key", "Key").ok());
}

TEST(S3XmlTest, ParsesUploadId) {
  constexpr char kInitiate[] =
      R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>tempo-traces</Bucket>
  <Key>single-tenant/b/data</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)";
  absl::StatusOr<std::string> id = ParseUploadId(kInitiate);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());
  EXPECT_FALSE(ParseUploadId("<UploadId></UploadId>").ok());
}

TEST(S3XmlTest, ParsesErrors) {
  std::optional<S3Error> e = ParseError(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/tempo-traces/x</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The resource you requested does not exist");
  EXPECT_FALSE(ParseError("").has_value());
  EXPECT_FALSE(ParseError("<CompleteMultipartUploadResult>"
                          "<ETag>x</ETag></CompleteMultipartUploadResult>")
                   .has_value());
  // CompleteMultipartUpload's 200-with-error form.
  std::optional<S3Error> in200 = ParseError(
      "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code>"
      "<Message>We encountered an internal error. Please try again."
      "</Message></Error>");
  ASSERT_TRUE(in200.has_value());
  EXPECT_EQ(in200->code, "InternalError");
}

}  // namespace
}  // namespace andante::s3
