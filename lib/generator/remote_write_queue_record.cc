#include "generator/remote_write_queue_record.h"

#include "generator/remote_write_queue_format.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

bool GetBytes(std::string_view* in, std::string* out) {
  uint32_t n = 0;
  if (!GetFixed32(in, &n) || n > rwq::kMaxFieldBytes || in->size() < n) {
    return false;
  }
  out->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

std::string EncodeQueueRecord(const QueueRecord& r) {
  std::string rest;
  PutFixed32(&rest, static_cast<uint32_t>(r.tenant.size()));
  rest += r.tenant;
  PutFixed64(&rest, r.samples);
  PutFixed32(&rest, static_cast<uint32_t>(r.body.size()));
  rest += r.body;
  PutFixed32(&rest, static_cast<uint32_t>(r.fallback.size()));
  rest += r.fallback;
  std::string data;
  PutFixed32(&data, rwq::kMagic);
  data.push_back(static_cast<char>(rwq::kVersion));
  PutFixed32(&data, MaskCrc(Crc32c(rest)));
  data += rest;
  return data;
}

bool DecodeQueueRecord(std::string_view v, QueueRecord* out) {
  uint32_t magic = 0, crc = 0;
  if (!GetFixed32(&v, &magic) || magic != rwq::kMagic || v.empty() ||
      static_cast<uint8_t>(v[0]) != rwq::kVersion) {
    return false;
  }
  v.remove_prefix(1);
  if (!GetFixed32(&v, &crc) || UnmaskCrc(crc) != Crc32c(v)) return false;
  return GetBytes(&v, &out->tenant) && GetFixed64(&v, &out->samples) &&
         GetBytes(&v, &out->body) && GetBytes(&v, &out->fallback) && v.empty();
}

}  // namespace andante::internal
