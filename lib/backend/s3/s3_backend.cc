// Backend over an S3 bucket. Object keys map to "<prefix>/<key>" in the
// bucket; List maps onto ListObjects with delimiter '/', so "directories"
// are S3's common prefixes. Streamed writes use multipart upload once they
// outgrow one part, so a block's data never sits in memory whole.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "andante/backend.h"
#include "andante/s3.h"
#include "backend/s3/s3_client.h"
#include "backend/s3/s3_xml.h"
#include "util/crash_point.h"
#include "util/strings.h"

namespace andante {
namespace internal {

absl::Status ValidateObjectKey(std::string_view key);
absl::StatusOr<std::string_view> NormalizeListPrefix(std::string_view prefix);

}  // namespace internal

namespace {

using internal::CrashPoint;
using internal::ToAbsl;
using s3::S3Client;
using s3::S3Request;
using s3::S3Response;

std::string GetEnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

class S3Backend;

// Buffers up to one part; past that, each full part is uploaded as it fills
// (CreateMultipartUpload on the first). Close sends a single PUT for a small
// object, else the last part and CompleteMultipartUpload. Any failure, and
// destruction before Close, aborts the upload so no parts linger.
class MultipartWriter final : public ObjectWriter {
 public:
  MultipartWriter(S3Client& client, std::string key, std::string display)
      : client_(client), key_(std::move(key)), display_(std::move(display)) {}
  ~MultipartWriter() override {
    if (!closed_) Abort();
  }

  absl::Status Append(std::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("Append after Close");
    if (!failed_.ok()) return failed_;
    const uint64_t part = client_.options().options.part_size;
    while (!data.empty()) {
      const size_t take = static_cast<size_t>(
          std::min<uint64_t>(data.size(), part - buffer_.size()));
      buffer_.append(data.data(), take);
      data.remove_prefix(take);
      if (buffer_.size() == part) {
        if (absl::Status s = UploadPart(); !s.ok()) return Fail(s);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return absl::FailedPreconditionError("Close called twice");
    closed_ = true;
    if (!failed_.ok()) return failed_;
    if (upload_id_.empty()) {
      S3Request put;
      put.method = "PUT";
      put.key = key_;
      put.body = buffer_;
      AddStorageClass(put);
      absl::StatusOr<S3Response> r = client_.Execute("Write", put);
      std::string().swap(buffer_);
      return r.ok() ? absl::OkStatus() : r.status();
    }
    if (!buffer_.empty()) {
      if (absl::Status s = UploadPart(); !s.ok()) return Fail(s);
    }
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags_.size(); ++i) {
      absl::StrAppend(&xml, "<Part><PartNumber>", i + 1, "</PartNumber><ETag>",
                      XmlEscape(etags_[i]), "</ETag></Part>");
    }
    xml += "</CompleteMultipartUpload>";
    // TEST HOOK: every part is in the bucket, the object is not.
    CrashPoint("s3.before_complete");
    S3Request complete;
    complete.method = "POST";
    complete.key = key_;
    complete.query = {{"uploadId", upload_id_}};
    complete.headers = {{"content-type", "application/xml"}};
    complete.body = xml;
    absl::StatusOr<S3Response> r =
        client_.Execute("CompleteMultipartUpload", complete);
    if (!r.ok()) return Fail(r.status());
    upload_id_.clear();
    return absl::OkStatus();
  }

 private:
  static std::string XmlEscape(std::string_view in) {
    std::string out;
    for (char c : in) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        default:
          out.push_back(c);
      }
    }
    return out;
  }

  void AddStorageClass(S3Request& r) {
    const std::string& sc = client_.options().options.storage_class;
    if (!sc.empty()) r.headers.emplace_back("x-amz-storage-class", sc);
  }

  absl::Status UploadPart() {
    if (upload_id_.empty()) {
      S3Request create;
      create.method = "POST";
      create.key = key_;
      create.query = {{"uploads", ""}};
      AddStorageClass(create);
      absl::StatusOr<S3Response> r =
          client_.Execute("CreateMultipartUpload", create);
      if (!r.ok()) return r.status();
      absl::StatusOr<std::string> id = s3::ParseUploadId(r->body);
      if (!id.ok()) {
        return absl::InternalError(
            absl::StrCat(display_, ": ", id.status().message()));
      }
      upload_id_ = *std::move(id);
    }
    S3Request part;
    part.method = "PUT";
    part.key = key_;
    part.query = {{"partNumber", std::to_string(etags_.size() + 1)},
                  {"uploadId", upload_id_}};
    part.body = buffer_;
    absl::StatusOr<S3Response> r = client_.Execute("UploadPart", part);
    if (!r.ok()) return r.status();
    if (r->etag.empty()) {
      return absl::InternalError(
          absl::StrCat(display_, ": UploadPart answered without an ETag"));
    }
    etags_.push_back(r->etag);
    buffer_.clear();
    // TEST HOOK: an upload with parts, never completed nor aborted.
    CrashPoint("s3.after_part");
    return absl::OkStatus();
  }

  absl::Status Fail(absl::Status s) {
    failed_ = s;
    Abort();
    std::string().swap(buffer_);
    return s;
  }

  void Abort() {
    if (upload_id_.empty()) return;
    S3Request abort;
    abort.method = "DELETE";
    abort.key = key_;
    abort.query = {{"uploadId", upload_id_}};
    // Best effort: a bucket lifecycle rule for incomplete uploads is the
    // backstop (docs/s3.md).
    client_.Execute("AbortMultipartUpload", abort).IgnoreError();
    upload_id_.clear();
  }

  S3Client& client_;
  const std::string key_;
  const std::string display_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  absl::Status failed_;
  bool closed_ = false;
};

class S3Backend final : public Backend {
 public:
  explicit S3Backend(s3::ResolvedOptions options)
      : prefix_(options.options.prefix), client_(std::move(options)) {}

  absl::StatusOr<std::string> Read(std::string_view key) override {
    if (absl::Status s = internal::ValidateObjectKey(key); !s.ok()) return s;
    S3Request get;
    get.key = FullKey(key);
    absl::StatusOr<S3Response> r = client_.Execute("Read", get);
    if (!r.ok()) return r.status();
    if (r->status == 404) return NotFound("Read", key);
    if (r->status != 200) return Unexpected("Read", key, r->status);
    return std::move(r->body);
  }

  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
    if (absl::Status s = internal::ValidateObjectKey(key); !s.ok()) return s;
    const std::string full = FullKey(key);
    if (length == 0 || length > UINT64_MAX - offset) {
      // HTTP cannot ask for zero bytes, and an overflowing range is past
      // any end: HEAD tells existence and size.
      S3Request head;
      head.method = "HEAD";
      head.key = full;
      absl::StatusOr<S3Response> r = client_.Execute("ReadRange", head);
      if (!r.ok()) return r.status();
      if (r->status == 404) return NotFound("ReadRange", key);
      if (length == 0 && offset <= r->content_length) return std::string();
      return PastEnd(key, offset, length, r->content_length);
    }
    S3Request get;
    get.key = full;
    get.headers = {
        {"range", absl::StrCat("bytes=", offset, "-", offset + length - 1)}};
    absl::StatusOr<S3Response> r = client_.Execute("ReadRange", get);
    if (!r.ok()) return r.status();
    if (r->status == 404) return NotFound("ReadRange", key);
    if (r->status == 416) return PastEnd(key, offset, length, 0);
    if (r->status == 200) {
      // A store that ignored the Range header sent the whole object.
      if (offset > r->body.size() || length > r->body.size() - offset) {
        return PastEnd(key, offset, length, r->body.size());
      }
      return r->body.substr(offset, length);
    }
    if (r->status != 206) return Unexpected("ReadRange", key, r->status);
    if (r->body.size() != length) {
      return PastEnd(key, offset, length, offset + r->body.size());
    }
    return std::move(r->body);
  }

  absl::Status Write(std::string_view key, std::string_view data) override {
    if (absl::Status s = internal::ValidateObjectKey(key); !s.ok()) return s;
    S3Request put;
    put.method = "PUT";
    put.key = FullKey(key);
    put.body = data;
    const std::string& sc = client_.options().options.storage_class;
    if (!sc.empty()) put.headers.emplace_back("x-amz-storage-class", sc);
    absl::StatusOr<S3Response> r = client_.Execute("Write", put);
    if (!r.ok()) return r.status();
    if (r->status / 100 != 2) return Unexpected("Write", key, r->status);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> List(
      std::string_view prefix) override {
    absl::StatusOr<std::string_view> normalized =
        internal::NormalizeListPrefix(prefix);
    if (!normalized.ok()) return normalized.status();
    std::string dir = std::string(*normalized);
    if (!prefix_.empty()) dir = dir.empty() ? prefix_ : prefix_ + "/" + dir;
    if (!dir.empty()) dir += "/";

    std::vector<std::string> names;
    absl::Status s = client_.options().options.list_with_delimiter
                         ? ListDelimited(dir, names)
                         : ListRecursive(dir, names);
    if (!s.ok()) return s;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  }

  absl::Status Delete(std::string_view key) override {
    if (absl::Status s = internal::ValidateObjectKey(key); !s.ok()) return s;
    S3Request del;
    del.method = "DELETE";
    del.key = FullKey(key);
    absl::StatusOr<S3Response> r = client_.Execute("Delete", del);
    if (!r.ok()) return r.status();
    // 404 is fine: deleting an absent object succeeds.
    if (r->status / 100 != 2 && r->status != 404) {
      return Unexpected("Delete", key, r->status);
    }
    return absl::OkStatus();
  }

  // ListMultipartUploads under the prefix, then AbortMultipartUpload for
  // each upload begun before `started_before`. A store without the listing
  // (501 NotImplemented) is not asked again.
  absl::StatusOr<uint64_t> AbortIncompleteWrites(
      std::string_view prefix, absl::Time started_before) override {
    if (!lists_uploads_.load(std::memory_order_relaxed)) return 0;
    std::string dir = FullKey(prefix);
    if (!prefix.empty()) dir += "/";  // tenant "a" is not a prefix of "ab"
    uint64_t aborted = 0;
    std::string key_marker;
    std::string upload_id_marker;
    while (true) {
      S3Request list;
      list.query = {{"uploads", ""}, {"prefix", dir}};
      if (!key_marker.empty()) {
        list.query.emplace_back("key-marker", key_marker);
        list.query.emplace_back("upload-id-marker", upload_id_marker);
      }
      absl::StatusOr<S3Response> r =
          client_.Execute("ListMultipartUploads", list);
      if (absl::IsUnimplemented(r.status())) {
        lists_uploads_.store(false, std::memory_order_relaxed);
        return aborted;
      }
      if (!r.ok()) return r.status();
      if (r->status != 200) {
        return Unexpected("ListMultipartUploads", prefix, r->status);
      }
      absl::StatusOr<s3::MultipartUploadList> page =
          s3::ParseMultipartUploadList(r->body);
      if (!page.ok()) return page.status();
      for (const s3::MultipartUpload& u : page->uploads) {
        if (u.initiated >= started_before ||
            u.key.substr(0, dir.size()) != dir) {
          continue;
        }
        S3Request abort;
        abort.method = "DELETE";
        abort.key = u.key;
        abort.query = {{"uploadId", u.upload_id}};
        absl::StatusOr<S3Response> a =
            client_.Execute("AbortMultipartUpload", abort);
        if (!a.ok()) return a.status();
        if (a->status != 404) ++aborted;  // 404: already gone
      }
      if (!page->truncated || page->next_key_marker.empty()) return aborted;
      key_marker = page->next_key_marker;
      upload_id_marker = page->next_upload_id_marker;
    }
  }

  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(
      std::string_view key) override {
    if (absl::Status s = internal::ValidateObjectKey(key); !s.ok()) return s;
    std::string full = FullKey(key);
    std::string display = Display(full);
    return std::make_unique<MultipartWriter>(client_, std::move(full),
                                             std::move(display));
  }

 private:
  // One ListObjects page under `dir`; `position` is the continuation token
  // (V2) or marker/start-after.
  absl::StatusOr<s3::ListResult> ListPage(const std::string& dir,
                                          bool delimiter,
                                          const std::string& position,
                                          bool position_is_token) {
    const S3Options& o = client_.options().options;
    S3Request list;
    if (delimiter) list.query.emplace_back("delimiter", "/");
    list.query.emplace_back("max-keys", std::to_string(o.list_max_keys));
    list.query.emplace_back("prefix", dir);
    if (!o.list_objects_v1) list.query.emplace_back("list-type", "2");
    if (!position.empty()) {
      list.query.emplace_back(o.list_objects_v1   ? "marker"
                              : position_is_token ? "continuation-token"
                                                  : "start-after",
                              position);
    }
    absl::StatusOr<S3Response> r = client_.Execute("List", list);
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return absl::FailedPreconditionError(
          absl::StrCat("s3 List s3://", o.bucket, "/", dir, ": HTTP ",
                       r->status, " (does the bucket exist?)"));
    }
    absl::StatusOr<s3::ListResult> result = s3::ParseListResult(r->body);
    if (!result.ok()) {
      return absl::InternalError(absl::StrCat("s3 List s3://", o.bucket, "/",
                                              dir, ": ",
                                              result.status().message()));
    }
    return result;
  }

  // The first path segment of `full` below `dir`, or "" if none.
  static std::string_view ChildOf(std::string_view full,
                                  const std::string& dir) {
    if (full.substr(0, dir.size()) != dir) return {};
    std::string_view name = full.substr(dir.size());
    return name.substr(0, name.find('/'));
  }

  absl::Status ListRecursive(const std::string& dir,
                             std::vector<std::string>& names) {
    std::string after;
    while (true) {
      absl::StatusOr<s3::ListResult> page =
          ListPage(dir, /*delimiter=*/false, after, false);
      if (!page.ok()) return page.status();
      for (const std::string& k : page->keys) {
        std::string_view child = ChildOf(k, dir);
        if (!child.empty()) names.emplace_back(child);
      }
      if (!page->truncated || page->keys.empty()) return absl::OkStatus();
      // Skip the rest of the last child's keys: nothing valid in UTF-8 sorts
      // after U+10FFFF.
      const std::string& last = page->keys.back();
      std::string_view child = ChildOf(last, dir);
      if (!child.empty() && last.size() > dir.size() + child.size()) {
        after = absl::StrCat(dir, ToAbsl(child), "/\xF4\x8F\xBF\xBF");
      } else {
        after = last;
      }
    }
  }

  absl::Status ListDelimited(const std::string& dir,
                             std::vector<std::string>& names) {
    const S3Options& o = client_.options().options;
    std::string token;
    while (true) {
      absl::StatusOr<s3::ListResult> result =
          ListPage(dir, /*delimiter=*/true, token, !o.list_objects_v1);
      if (!result.ok()) return result.status();
      auto add = [&](std::string_view full, bool is_prefix) {
        if (full.substr(0, dir.size()) != dir) return;
        std::string_view name = full.substr(dir.size());
        if (is_prefix && !name.empty() && name.back() == '/') {
          name.remove_suffix(1);
        }
        if (!name.empty() && name.find('/') == std::string_view::npos) {
          names.emplace_back(name);
        }
      };
      for (const std::string& k : result->keys) add(k, false);
      for (const std::string& p : result->common_prefixes) add(p, true);
      if (!result->truncated) break;
      if (o.list_objects_v1) {
        token = result->next_marker;
        if (token.empty()) {
          // V1 omits NextMarker without a delimiter; with one, the last
          // key or prefix of the page continues the listing.
          std::string last;
          if (!result->keys.empty()) last = result->keys.back();
          if (!result->common_prefixes.empty()) {
            last = std::max(last, result->common_prefixes.back());
          }
          token = last;
        }
      } else {
        token = result->next_continuation_token;
      }
      if (token.empty()) {
        return absl::InternalError(
            absl::StrCat("s3 List s3://", o.bucket, "/", dir,
                         ": truncated listing without a continuation token"));
      }
      continue;
    }
    return absl::OkStatus();
  }

  std::string FullKey(std::string_view key) const {
    return prefix_.empty() ? std::string(key)
                           : absl::StrCat(prefix_, "/", ToAbsl(key));
  }
  std::string Display(std::string_view full) const {
    return absl::StrCat("s3://", client_.options().options.bucket, "/",
                        ToAbsl(full));
  }
  absl::Status NotFound(std::string_view op, std::string_view key) const {
    return absl::NotFoundError(absl::StrCat(
        "s3 ", ToAbsl(op), " ", Display(FullKey(key)), ": no such object"));
  }
  absl::Status PastEnd(std::string_view key, uint64_t offset, uint64_t length,
                       uint64_t size) const {
    return absl::OutOfRangeError(absl::StrCat(
        "s3 ReadRange ", Display(FullKey(key)), ": range [", offset, ", +",
        length, ") is past the end of the object",
        size > 0 ? absl::StrCat(" (", size, " bytes)") : std::string()));
  }
  absl::Status Unexpected(std::string_view op, std::string_view key,
                          int status) const {
    return absl::InternalError(absl::StrCat("s3 ", ToAbsl(op), " ",
                                            Display(FullKey(key)),
                                            ": unexpected HTTP ", status));
  }

  const std::string prefix_;
  S3Client client_;
  std::atomic<bool> lists_uploads_{true};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> OpenS3Backend(S3Options options) {
  absl::StatusOr<s3::ResolvedOptions> resolved =
      s3::ResolveOptions(std::move(options), &GetEnvOrEmpty);
  if (!resolved.ok()) return resolved.status();
  return std::make_unique<S3Backend>(*std::move(resolved));
}

}  // namespace andante
