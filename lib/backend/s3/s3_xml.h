// The few elements Andante reads from S3's XML responses, found by a narrow,
// bounded extractor — not a general XML parser. S3 responses are flat,
// generated documents: elements of interest never nest in themselves, carry
// no CDATA, and use only the five predefined entities plus numeric
// character references. Anything else is an error, never a crash.
#ifndef ANDANTE_LIB_BACKEND_S3_S3_XML_H_
#define ANDANTE_LIB_BACKEND_S3_S3_XML_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace andante::s3 {

// Responses larger than this are rejected before parsing.
inline constexpr size_t kMaxXmlBytes = 32 << 20;

// The text of an element with entities decoded: "a&amp;b" -> "a&b".
// INVALID_ARGUMENT on an unknown entity or an out-of-range reference.
absl::StatusOr<std::string> XmlUnescape(std::string_view text);

// The raw inner text of every <tag>...</tag> (also <tag attr="...">) in
// `xml`, in document order; <tag/> yields "". Views into `xml`.
// INVALID_ARGUMENT on an unterminated element.
absl::StatusOr<std::vector<std::string_view>> XmlElements(std::string_view xml,
                                                          std::string_view tag);

// The decoded text of the first <tag> in `xml`; nullopt if none.
absl::StatusOr<std::optional<std::string>> XmlFirst(std::string_view xml,
                                                    std::string_view tag);

// ListObjectsV2 / ListObjects (V1) result.
struct ListResult {
  std::vector<std::string> keys;             // Contents/Key
  std::vector<std::string> common_prefixes;  // CommonPrefixes/Prefix
  bool truncated = false;                    // IsTruncated
  std::string next_continuation_token;       // V2
  std::string next_marker;                   // V1 (may be absent)
};
absl::StatusOr<ListResult> ParseListResult(std::string_view xml);

// InitiateMultipartUploadResult/UploadId.
absl::StatusOr<std::string> ParseUploadId(std::string_view xml);

// ListMultipartUploads result: the uploads begun and not yet completed or
// aborted, and where the next page starts.
struct MultipartUpload {
  std::string key;
  std::string upload_id;
  absl::Time initiated;  // InfinitePast if absent or unparsable
};
struct MultipartUploadList {
  std::vector<MultipartUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
absl::StatusOr<MultipartUploadList> ParseMultipartUploadList(
    std::string_view xml);

// An <Error> document's Code and Message.
struct S3Error {
  std::string code;
  std::string message;
};
// nullopt when `xml` is not an <Error> document (CompleteMultipartUpload may
// answer 200 with an error body, so callers check successful bodies too).
std::optional<S3Error> ParseError(std::string_view xml);

}  // namespace andante::s3

#endif  // ANDANTE_LIB_BACKEND_S3_S3_XML_H_
