// On-disk format of the write-ahead log. docs/wal-format.md is the spec;
// this header holds its constants. Every value marked PERSISTENT has been
// written to disk by some release: never renumber or reuse it, only add.
//
// A WAL directory holds segment files named `%012llu.wal` (SegmentFileName).
// Each segment is a segment header followed by records, all little-endian:
//
//   segment header (kSegmentHeaderSize = 24 bytes)
//     magic u32 = kSegmentMagic | version u32 | segment u64 | reserved u32 = 0
//     | masked CRC32C u32 of the preceding 20 bytes
//   record (kRecordHeaderSize = 13 bytes + payload)
//     magic u32 = kRecordMagic | masked CRC32C u32 | length u32 | type u8
//     | payload[length]
//
// A record's CRC covers the header bytes after it (length and type) and then
// the payload, so every byte but the magic is checked.
#ifndef ANDANTE_WAL_WAL_FORMAT_H_
#define ANDANTE_WAL_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace andante::internal::wal_format {

// PERSISTENT. First four bytes of every segment file ("AWAL").
inline constexpr uint32_t kSegmentMagic = 0x4c415741u;

// PERSISTENT. Segment format version. Readers reject versions they do not
// know (a newer writer may have changed the record layout).
inline constexpr uint32_t kFormatVersion = 1;

// PERSISTENT. First four bytes of every record; what replay scans for to
// resynchronize after damage. Chosen to be unlikely in protobuf or text.
inline constexpr uint32_t kRecordMagic = 0xa17d0e5cu;

// PERSISTENT. Record types. 0 is never written, so a zero-filled region
// cannot pass for a record even if its CRC happened to match.
enum RecordType : uint8_t {
  kZeroType = 0,
  // The payload is one whole record handed to Wal::Append.
  kFullType = 1,
};

// PERSISTENT layout sizes and field offsets.
inline constexpr size_t kSegmentHeaderSize = 24;
inline constexpr size_t kSegmentHeaderCrcOffset = 20;  // CRC covers [0, 20)
inline constexpr size_t kRecordHeaderSize = 13;
inline constexpr size_t kRecordCrcOffset = 4;
inline constexpr size_t kRecordLengthOffset = 8;  // CRC starts here
inline constexpr size_t kRecordTypeOffset = 12;

// Largest payload a record may carry. Append rejects larger payloads and
// replay treats a larger length field as damage.
inline constexpr uint32_t kMaxRecordPayload = 64u << 20;

// Segment file names: this many decimal digits, zero-padded, then kSuffix.
inline constexpr int kSegmentNameDigits = 12;
inline constexpr char kSegmentSuffix[] = ".wal";

}  // namespace andante::internal::wal_format

#endif  // ANDANTE_WAL_WAL_FORMAT_H_
