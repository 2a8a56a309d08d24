// Encoding and decoding of one remote-write queue file
// (docs/remote-write-queue.md, constants in remote_write_queue_format.h).
#ifndef ANDANTE_GENERATOR_REMOTE_WRITE_QUEUE_RECORD_H_
#define ANDANTE_GENERATOR_REMOTE_WRITE_QUEUE_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace andante::internal {

struct QueueRecord {
  std::string tenant;
  uint64_t samples = 0;
  std::string body;      // snappy WriteRequest
  std::string fallback;  // same without initial zeros, or empty
};

// The file contents for `r`.
std::string EncodeQueueRecord(const QueueRecord& r);

// False for anything but one complete, CRC-valid record (short, wrong magic
// or version, bad CRC, oversized length, trailing bytes).
bool DecodeQueueRecord(std::string_view data, QueueRecord* out);

}  // namespace andante::internal

#endif  // ANDANTE_GENERATOR_REMOTE_WRITE_QUEUE_RECORD_H_
