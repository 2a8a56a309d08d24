// Fuzzes the S3 response extractor (lib/backend/s3/s3_xml.h): any bytes must
// give a value or an error, never a crash, a hang or a read out of bounds;
// decoded text never outgrows the input (entities only shrink or keep size,
// except numeric references: at most 4 UTF-8 bytes for >= 4 input bytes).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "backend/s3/s3_xml.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace andante::s3;
  absl::StatusOr<ListResult> list = ParseListResult(in);
  if (list.ok()) {
    size_t total = 0;
    for (const auto& k : list->keys) total += k.size();
    for (const auto& p : list->common_prefixes) total += p.size();
    Check(total <= in.size());
    Check(list->keys.size() <= in.size() / 10 + 1);
  }
  absl::StatusOr<std::string> id = ParseUploadId(in);
  if (id.ok()) Check(!id->empty() && id->size() <= in.size());
  std::optional<S3Error> err = ParseError(in);
  if (err.has_value())
    Check(err->code.size() + err->message.size() <= in.size());
  absl::StatusOr<std::string> text = XmlUnescape(in);
  if (text.ok()) Check(text->size() <= in.size());
  return 0;
}
