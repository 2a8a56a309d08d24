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

// The example of the ListMultipartUploads reference, shortened.
TEST(S3XmlTest, ParsesMultipartUploadList) {
  constexpr char kList[] =
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator><ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID><DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName></Initiator>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>OwnerDisplayName</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie&amp;.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <StorageClass>STANDARD</StorageClass>
  </Upload>
</ListMultipartUploadsResult>)";
  absl::StatusOr<MultipartUploadList> list = ParseMultipartUploadList(kList);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->uploads.size(), 2u);
  EXPECT_EQ(list->uploads[0].key, "my-divisor");
  EXPECT_EQ(list->uploads[0].upload_id,
            "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(list->uploads[0].initiated,
            absl::FromUnixSeconds(1289422113));  // date -d 2010-11-10T20:48:33Z
  EXPECT_EQ(list->uploads[1].key, "my-movie&.m2ts");
  EXPECT_EQ(list->uploads[1].initiated, absl::InfinitePast());
  EXPECT_TRUE(list->truncated);
  EXPECT_EQ(list->next_key_marker, "my-movie.m2ts");
  EXPECT_EQ(list->next_upload_id_marker,
            "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");

  absl::StatusOr<MultipartUploadList> empty = ParseMultipartUploadList(
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->uploads.empty());
  EXPECT_FALSE(empty->truncated);
  EXPECT_FALSE(ParseMultipartUploadList("<ListBucketResult/>").ok());
  EXPECT_FALSE(ParseMultipartUploadList(
                   "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
                   "</ListMultipartUploadsResult>")
                   .ok());
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
