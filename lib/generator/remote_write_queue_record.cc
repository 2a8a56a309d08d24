#include "generator/remote_write_queue_record.h"

#include "generator/remote_write_queue_format.h"
#include "util/crc32c.h"

namespace andante::internal {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) {
    *v |= static_cast<uint32_t>(static_cast<unsigned char>((*in)[i]))
          << (8 * i);
  }
  in->remove_prefix(4);
  return true;
}
bool GetU64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) {
    *v |= static_cast<uint64_t>(static_cast<unsigned char>((*in)[i]))
          << (8 * i);
  }
  in->remove_prefix(8);
  return true;
}
bool GetBytes(std::string_view* in, std::string* out) {
  uint32_t n = 0;
  if (!GetU32(in, &n) || n > rwq::kMaxFieldBytes || in->size() < n) {
    return false;
  }
  out->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

std::string EncodeQueueRecord(const QueueRecord& r) {
  std::string rest;
  PutU32(&rest, static_cast<uint32_t>(r.tenant.size()));
  rest += r.tenant;
  PutU64(&rest, r.samples);
  PutU32(&rest, static_cast<uint32_t>(r.body.size()));
  rest += r.body;
  PutU32(&rest, static_cast<uint32_t>(r.fallback.size()));
  rest += r.fallback;
  std::string data;
  PutU32(&data, rwq::kMagic);
  data.push_back(static_cast<char>(rwq::kVersion));
  PutU32(&data, MaskCrc(Crc32c(rest)));
  data += rest;
  return data;
}

bool DecodeQueueRecord(std::string_view v, QueueRecord* out) {
  uint32_t magic = 0, crc = 0;
  if (!GetU32(&v, &magic) || magic != rwq::kMagic || v.empty() ||
      static_cast<uint8_t>(v[0]) != rwq::kVersion) {
    return false;
  }
  v.remove_prefix(1);
  if (!GetU32(&v, &crc) || UnmaskCrc(crc) != Crc32c(v)) return false;
  return GetBytes(&v, &out->tenant) && GetU64(&v, &out->samples) &&
         GetBytes(&v, &out->body) && GetBytes(&v, &out->fallback) && v.empty();
}

}  // namespace andante::internal
