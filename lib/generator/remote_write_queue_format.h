// On-disk layout of the remote-write queue (docs/remote-write-queue.md).
// Values here reach disk: never renumber them.
#ifndef ANDANTE_GENERATOR_REMOTE_WRITE_QUEUE_FORMAT_H_
#define ANDANTE_GENERATOR_REMOTE_WRITE_QUEUE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace andante::internal::rwq {

// One file per queued request: <dir>/<seq as 16 hex digits><kSuffix>,
// written as <name><kTempSuffix>, fsynced, then renamed.
inline constexpr char kSuffix[] = ".rwq";
inline constexpr char kTempSuffix[] = ".tmp";

// "RWQ1" little-endian.
inline constexpr uint32_t kMagic = 0x31515752;  // persistent
inline constexpr uint8_t kVersion = 1;          // persistent

// magic u32 | version u8 | masked crc32c u32 of the rest | rest...
inline constexpr size_t kHeaderSize = 4 + 1 + 4;

// Largest accepted length field (a corrupt length must not allocate GBs).
inline constexpr uint32_t kMaxFieldBytes = 256u << 20;

}  // namespace andante::internal::rwq

#endif  // ANDANTE_GENERATOR_REMOTE_WRITE_QUEUE_FORMAT_H_
