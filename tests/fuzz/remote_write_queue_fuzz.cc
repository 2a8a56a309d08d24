// Fuzzes the remote-write queue file decoder (files read back at start):
// any input is rejected or decodes to a record that re-encodes to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "generator/remote_write_queue_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  andante::internal::QueueRecord rec;
  if (!andante::internal::DecodeQueueRecord(in, &rec)) return 0;
  if (andante::internal::EncodeQueueRecord(rec) != in) std::abort();
  return 0;
}
