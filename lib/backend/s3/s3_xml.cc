#include "backend/s3/s3_xml.h"

#include <charconv>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "util/strings.h"

namespace andante::s3 {
namespace {

using internal::ToAbsl;

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

absl::Status CheckSize(std::string_view xml) {
  if (xml.size() > kMaxXmlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3 XML response of ", xml.size(),
                     " bytes exceeds the limit of ", kMaxXmlBytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '&') {
      out.push_back(c);
      ++i;
      continue;
    }
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      return absl::InvalidArgumentError("unterminated XML entity");
    }
    std::string_view name = text.substr(i + 1, semi - i - 1);
    if (name == "amp") {
      out.push_back('&');
    } else if (name == "lt") {
      out.push_back('<');
    } else if (name == "gt") {
      out.push_back('>');
    } else if (name == "quot") {
      out.push_back('"');
    } else if (name == "apos") {
      out.push_back('\'');
    } else if (name.size() >= 2 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      std::string_view digits = name.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [p, ec] = std::from_chars(
          digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc() ||
          p != digits.data() + digits.size() || cp == 0 || cp > 0x10FFFF ||
          (cp >= 0xD800 && cp <= 0xDFFF)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad XML character reference &", ToAbsl(name), ";"));
      }
      AppendUtf8(cp, out);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown XML entity &", ToAbsl(name), ";"));
    }
    i = semi + 1;
  }
  return out;
}

absl::StatusOr<std::vector<std::string_view>> XmlElements(
    std::string_view xml, std::string_view tag) {
  if (absl::Status s = CheckSize(xml); !s.ok()) return s;
  std::vector<std::string_view> out;
  const std::string close = absl::StrCat("</", ToAbsl(tag), ">");
  size_t pos = 0;
  while (true) {
    size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos) break;
    pos = lt + 1;
    if (xml.compare(lt + 1, tag.size(), tag) != 0) continue;
    const size_t after = lt + 1 + tag.size();
    if (after >= xml.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unterminated <", ToAbsl(tag), "> in S3 response"));
    }
    const char next = xml[after];
    if (next != '>' && next != ' ' && next != '/' && next != '\t' &&
        next != '\n' && next != '\r') {
      continue;  // <KeyCount> is not <Key>
    }
    const size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unterminated <", ToAbsl(tag), "> in S3 response"));
    }
    if (xml[gt - 1] == '/') {  // <tag/>
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    const size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "<", ToAbsl(tag), "> without ", close, " in S3 response"));
    }
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> XmlFirst(std::string_view xml,
                                                    std::string_view tag) {
  absl::StatusOr<std::vector<std::string_view>> all = XmlElements(xml, tag);
  if (!all.ok()) return all.status();
  if (all->empty()) return std::optional<std::string>();
  // Every element read this way is a leaf: raw '<' in it is markup, not
  // text (and would let two leaves overlap).
  if (all->front().find('<') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3 XML element <", ToAbsl(tag), "> holds markup, not text"));
  }
  absl::StatusOr<std::string> text = XmlUnescape(all->front());
  if (!text.ok()) return text.status();
  return std::optional<std::string>(*std::move(text));
}

absl::StatusOr<ListResult> ParseListResult(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "S3 list response has no <ListBucketResult>");
  }
  ListResult r;
  absl::StatusOr<std::vector<std::string_view>> contents =
      XmlElements(xml, "Contents");
  if (!contents.ok()) return contents.status();
  for (std::string_view c : *contents) {
    absl::StatusOr<std::optional<std::string>> key = XmlFirst(c, "Key");
    if (!key.ok()) return key.status();
    if (!key->has_value()) {
      return absl::InvalidArgumentError("S3 list entry without <Key>");
    }
    r.keys.push_back(**std::move(key));
  }
  absl::StatusOr<std::vector<std::string_view>> prefixes =
      XmlElements(xml, "CommonPrefixes");
  if (!prefixes.ok()) return prefixes.status();
  for (std::string_view p : *prefixes) {
    absl::StatusOr<std::optional<std::string>> prefix = XmlFirst(p, "Prefix");
    if (!prefix.ok()) return prefix.status();
    if (!prefix->has_value()) {
      return absl::InvalidArgumentError("S3 common prefix without <Prefix>");
    }
    r.common_prefixes.push_back(**std::move(prefix));
  }
  absl::StatusOr<std::optional<std::string>> truncated =
      XmlFirst(xml, "IsTruncated");
  if (!truncated.ok()) return truncated.status();
  r.truncated = truncated->has_value() && **truncated == "true";
  for (auto [tag, field] :
       {std::pair<const char*, std::string*>{"NextContinuationToken",
                                             &r.next_continuation_token},
        {"NextMarker", &r.next_marker}}) {
    absl::StatusOr<std::optional<std::string>> v = XmlFirst(xml, tag);
    if (!v.ok()) return v.status();
    if (v->has_value()) *field = **v;
  }
  return r;
}

absl::StatusOr<std::string> ParseUploadId(std::string_view xml) {
  absl::StatusOr<std::optional<std::string>> id = XmlFirst(xml, "UploadId");
  if (!id.ok()) return id.status();
  if (!id->has_value() || (*id)->empty()) {
    return absl::InvalidArgumentError(
        "S3 CreateMultipartUpload response has no <UploadId>");
  }
  return **std::move(id);
}

absl::StatusOr<MultipartUploadList> ParseMultipartUploadList(
    std::string_view xml) {
  if (xml.find("<ListMultipartUploadsResult") == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "S3 ListMultipartUploads response has no <ListMultipartUploadsResult>");
  }
  MultipartUploadList r;
  absl::StatusOr<std::vector<std::string_view>> uploads =
      XmlElements(xml, "Upload");
  if (!uploads.ok()) return uploads.status();
  for (std::string_view u : *uploads) {
    MultipartUpload upload;
    for (auto [tag, field] : {std::pair<const char*, std::string*>{
                                  "Key", &upload.key},
                              {"UploadId", &upload.upload_id}}) {
      absl::StatusOr<std::optional<std::string>> v = XmlFirst(u, tag);
      if (!v.ok()) return v.status();
      if (!v->has_value() || (*v)->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("S3 upload entry without <", tag, ">"));
      }
      *field = **std::move(v);
    }
    upload.initiated = absl::InfinitePast();
    absl::StatusOr<std::optional<std::string>> when = XmlFirst(u, "Initiated");
    if (!when.ok()) return when.status();
    std::string err;
    if (when->has_value() &&
        !absl::ParseTime(absl::RFC3339_full, **when, &upload.initiated, &err)) {
      upload.initiated = absl::InfinitePast();
    }
    r.uploads.push_back(std::move(upload));
  }
  absl::StatusOr<std::optional<std::string>> truncated =
      XmlFirst(xml, "IsTruncated");
  if (!truncated.ok()) return truncated.status();
  r.truncated = truncated->has_value() && **truncated == "true";
  for (auto [tag, field] :
       {std::pair<const char*, std::string*>{"NextKeyMarker",
                                             &r.next_key_marker},
        {"NextUploadIdMarker", &r.next_upload_id_marker}}) {
    absl::StatusOr<std::optional<std::string>> v = XmlFirst(xml, tag);
    if (!v.ok()) return v.status();
    if (v->has_value()) *field = **v;
  }
  return r;
}

std::optional<S3Error> ParseError(std::string_view xml) {
  const size_t at = xml.find("<Error>");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view body = xml.substr(at);
  S3Error e;
  absl::StatusOr<std::optional<std::string>> code = XmlFirst(body, "Code");
  if (code.ok() && code->has_value()) e.code = **code;
  absl::StatusOr<std::optional<std::string>> message =
      XmlFirst(body, "Message");
  if (message.ok() && message->has_value()) e.message = **message;
  return e;
}

}  // namespace andante::s3
