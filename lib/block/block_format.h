// Block formats v1 and v2: the constants that reach disk. The fixed-width and
// varint encodings the block objects use are util/coding.h's.
// docs/block-format.md is the specification; this header is its executable
// half.
//
// PERSISTENT: every value marked so below is written into blocks that outlive
// the binary. Never renumber or reuse one; a change of layout is a new
// kBlockFormatVersion, and readers keep understanding the old one.
#ifndef ANDANTE_BLOCK_BLOCK_FORMAT_H_
#define ANDANTE_BLOCK_BLOCK_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/coding.h"

namespace andante::internal {

// ---- meta.json identity (PERSISTENT) --------------------------------------

// The "format" field: names the family of this layout.
inline constexpr std::string_view kBlockFormatName = "andante-v1";
// The "formatVersion" field. Readers reject any other value.
inline constexpr uint32_t kBlockFormatVersion = 1;
// The "encoding" field: data pages are zstd frames.
inline constexpr std::string_view kBlockEncoding = "zstd";

// ---- object names under <tenant>/<block-id>/ (PERSISTENT) -----------------

inline constexpr std::string_view kMetaObjectName = "meta.json";
inline constexpr std::string_view kDataObjectName = "data";
inline constexpr std::string_view kIndexObjectName = "index";
// Bloom shard i is the object "bloom-<i>", i in decimal, 0-based.
inline constexpr std::string_view kBloomObjectPrefix = "bloom-";

// ---- data pages (PERSISTENT) ----------------------------------------------
//
// page    := zstd_frame(entry*) masked_crc32c(zstd_frame):fixed32
// entry   := trace_id:16 bytes  length:varint64  data:length bytes
//
// Entries within a page, and pages within the data object, are in strictly
// increasing trace ID order (bytewise, i.e. big-endian numeric order).
inline constexpr size_t kPageTrailerSize = 4;

// ---- index object (PERSISTENT) --------------------------------------------
//
// index   := magic:fixed32 page_count:fixed32 page_entry{page_count}
//            masked_crc32c(all preceding bytes):fixed32
// page_entry (kIndexEntrySize bytes) :=
//            first_id:16 bytes  last_id:16 bytes  offset:fixed64
//            length:fixed32 (stored bytes, trailer included)
//            raw_length:fixed32 (uncompressed bytes)
//            trace_count:fixed32  page_crc:fixed32 (= the page trailer)
inline constexpr uint32_t kIndexMagic = 0x31584e41;  // "ANX1" little-endian
inline constexpr size_t kIndexHeaderSize = 8;
inline constexpr size_t kIndexEntrySize = 56;
inline constexpr size_t kIndexTrailerSize = 4;

// ---- bloom shards (PERSISTENT) --------------------------------------------
//
// shard   := magic:fixed32 num_hashes:fixed32 num_bits:fixed32
//            bits:(num_bits / 8) bytes
//            masked_crc32c(all preceding bytes):fixed32
//
// Bit i lives in byte i / 8 under mask 1 << (i % 8). For a trace ID with
// big-endian halves hi (bytes 0-7) and lo (bytes 8-15), using Mix64 below:
//   shard  = Mix64(hi ^ Mix64(lo ^ kBloomShardSeed)) % shard_count
//   h1     = Mix64(hi ^ Mix64(lo ^ kBloomHashSeed1))
//   h2     = Mix64(lo ^ Mix64(hi ^ kBloomHashSeed2)) | 1
//   x_j    = (h1 + j * h2) mod 2^64,  j in [0, num_hashes)
// and the magic says how x_j becomes a bit:
//   kBloomMagic      ("BLF1"): bit_j = x_j mod num_bits
//   kBloomMagicMixed ("BLF2"): bit_j = (Mix64(x_j) * num_bits) >> 64
//                              (128-bit product: the high 64 bits)
// BLF1 is plain double hashing; in small shards its probe sequences overlap
// (keys whose x sequences are shifts of one another share most bits), which
// puts a floor under the false-positive rate (~8e-4 at 512 bits, 20 keys,
// 17 probes, where 1e-5 was asked). BLF2 remixes each probe, so the rate
// is the independent-probe one at any size. Builders write BLF2 trace-ID
// shards; readers accept both. The v2 index's string blooms stay BLF1.
// All 16 bytes feed every hash: 64-bit Jaeger/Zipkin IDs widened to 128 bits
// have hi == 0 and must still spread.
inline constexpr uint32_t kBloomMagic = 0x31464c42;       // "BLF1" little-endian
inline constexpr uint32_t kBloomMagicMixed = 0x32464c42;  // "BLF2" little-endian
inline constexpr size_t kBloomHeaderSize = 12;
inline constexpr size_t kBloomTrailerSize = 4;
inline constexpr uint64_t kBloomShardSeed = 0x9e3779b97f4a7c15ull;
inline constexpr uint64_t kBloomHashSeed1 = 0xd6e8feb86659fd93ull;
inline constexpr uint64_t kBloomHashSeed2 = 0xa0761d6478bd642full;

// ---- trace-ID filter shards of kind GCS1 (PERSISTENT) ---------------------
//
// Builders write the "bloom-<i>" objects in this form since BLF2 (readers
// tell the kinds apart by the magic and read all three):
// shard   := magic:fixed32 (kFingerprintMagic) key_count:fixed32
//            fingerprint_bits:fixed32 (b, 1..kMaxFingerprintBits)
//            codes:ceil(code_bits / 8) bytes
//            masked_crc32c(all preceding bytes):fixed32
// For a trace ID (hi, lo as for blooms; shard chosen as for blooms) in a
// shard of n = key_count keys:
//   f = Mix64(lo ^ Mix64(hi ^ kFingerprintSeed))
//   v = (f * (n << b)) >> 64          (128-bit product: the high 64 bits)
// The n values v sorted ascending (repeats kept), each is coded as its gap
// d to the previous (the first: to 0): q = d >> b zero bits, a one bit, then
// the low b bits of d, least significant first. Bits are packed from bit 0
// of byte 0 upwards (bit p: byte p / 8, mask 1 << (p % 8)); unused bits of
// the last byte are 0. A lookup answers "maybe" iff v(id) is one of the
// values: false positives 2^-b, about b + 1.6 bits per key.
inline constexpr uint32_t kFingerprintMagic = 0x31534347;  // "GCS1" little-endian
inline constexpr size_t kFingerprintHeaderSize = 12;
inline constexpr uint32_t kMaxFingerprintBits = 32;
inline constexpr uint64_t kFingerprintSeed = 0x452821e638d01377ull;

// murmur3's 64-bit finalizer. PERSISTENT: bloom bit positions depend on it.
inline constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// ---- limits (not persistent; may change between builds) -------------------

// Upper bound on the number of bloom shards of one block (Tempo's cap). Past
// it, shards grow beyond bloom_filter_shard_size_bytes instead.
inline constexpr uint32_t kMaxBloomShards = 1000;
// A reader refuses pages claiming more uncompressed bytes than this, so a
// corrupt index cannot make it allocate without bound.
inline constexpr uint32_t kMaxPageRawBytes = 1u << 30;

// ---- block format v2: columnar pages (PERSISTENT) ------------------------
//
// docs/block-format.md "Version 2" is the specification. Objects: meta.json
// (format "andante-v2", formatVersion 2), data, index (kV2IndexMagic) and the
// same trace-ID bloom shards as v1.
//
// page    := chunk{kV2ColumnCount} [marker key_chunk{key_count}]
//            (column order = column ids; keyed pages: see below)
// chunk   := zstd_frame(column bytes) masked_crc32c(zstd_frame):fixed32
// The index holds, per page, each chunk's stored length, raw length and CRC,
// so a scan reads and decompresses only the columns it needs and a lookup
// reads the whole page with one ranged read.
inline constexpr std::string_view kBlockFormatNameV2 = "andante-v2";
inline constexpr uint32_t kBlockFormatVersionV2 = 2;
inline constexpr uint32_t kV2IndexMagic = 0x32584e41;  // "ANX2" little-endian

// Column ids: a column's position in a page and in the index's directory.
enum V2Column : uint32_t {
  kV2Traces = 0,          // per trace: id, ResourceSpans/ScopeSpans structure
  kV2Strings = 1,         // the page's string dictionary
  kV2Resources = 2,       // distinct resources of the page
  kV2Scopes = 3,          // distinct instrumentation scopes of the page
  kV2SpanIds = 4,         // 8 bytes per span
  kV2Parents = 5,         // per span: 0 none, 1 + 8 raw bytes, k+2 k-th span
  kV2Names = 6,           // varint string index per span
  kV2Kinds = 7,           // varint per span
  kV2StatusCodes = 8,     // varint per span
  kV2StatusMessages = 9,  // varint string index per span
  kV2Starts = 10,         // zigzag varint delta from the previous span's start
  kV2Durations = 11,      // zigzag varint end - start
  kV2SpanAttributes = 12, // per span: count, attribute*
  kV2Events = 13,         // per span: length-prefixed Span{events, dropped}
  kV2Links = 14,          // per span: length-prefixed Span{links, dropped}
  kV2Misc = 15,           // per span: flags, length-prefixed Span{the rest}
  kV2ColumnCount = 16,
};

// Attribute value tags (one byte before each value).
enum V2ValueTag : uint8_t {
  kV2String = 0,  // varint string index
  kV2Bool = 1,    // one byte 0/1
  kV2Int = 2,     // zigzag varint
  kV2Double = 3,  // fixed64 bit pattern
  kV2Any = 4,     // varint length + serialized AnyValue (arrays, kvlists...)
  kV2NoValue = 5, // KeyValue without a value
};

// kV2Misc flags.
inline constexpr uint64_t kV2FlagTraceIdIsPages = 1;  // span.trace_id = trace's
inline constexpr uint64_t kV2FlagSpanIdInColumn = 2;  // span_id from kV2SpanIds

// Index flags (the fixed32 after the block bloom).
inline constexpr uint32_t kV2IndexServicesComplete = 1;   // services list whole
inline constexpr uint32_t kV2IndexSpanNamesComplete = 2;  // span names whole
// The index ends with span-attribute key statistics per page (key set, value
// types, int bounds and up to kV2MaxIntValuesListed distinct int values).
// Indexes written before it existed lack the bit and the section; readers
// then skip pages by the string blooms alone.
inline constexpr uint32_t kV2IndexAttributeStats = 4;

// Keyed span attributes (pages written since; docs/block-format.md "Keyed
// span attributes"): the page's 16 chunks are followed by a marker chunk and
// one chunk per span-attribute key, so a scan reads and decompresses only
// the keys a query references. Column kV2SpanAttributes then holds the
// layout (which keys each span carries, in order), each key chunk the key's
// values. The marker is a zstd skippable frame, which no earlier page has
// after its 16th chunk: magic:fixed32 size:fixed32 then `size` bytes of
// version:varint (= kV2KeyedVersion) key_count:varint. In the index, a keyed
// page's chunk directory has 17 + key_count entries (marker, then the key
// chunks in the order of the page's key statistics).
inline constexpr uint32_t kV2KeyedMarkerMagic = 0x184D2A5A;  // skippable
inline constexpr uint64_t kV2KeyedVersion = 1;
inline constexpr uint32_t kV2KeyedFirstChunk = kV2ColumnCount + 1;

// String hashing for the block's and pages' value blooms: a string s maps to
// the 16-byte key (Mix64(Fnv1a64(s) ^ kV2StringSeedHi),
// Mix64(Fnv1a64(s) ^ kV2StringSeedLo)) fed to the v1 bloom filter code.
inline constexpr uint64_t kV2StringSeedHi = 0x243f6a8885a308d3ull;
inline constexpr uint64_t kV2StringSeedLo = 0x13198a2e03707344ull;
inline constexpr uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// ---- v2 limits (not persistent) --------------------------------------------
// v2 columns are about 4x denser than v1's protobuf entries, so a v2 page is
// cut at page_size_bytes / kV2PageSizeDivisor raw bytes: about as many spans
// per page as v1, so a lookup decodes about as much.
inline constexpr uint64_t kV2PageSizeDivisor = 4;
// A reader refuses counts beyond these before allocating for them.
inline constexpr uint64_t kV2MaxPageSpans = 1u << 24;
inline constexpr uint64_t kV2MaxPageStrings = 1u << 24;
// Block-level lists of distinct service and span names stop growing here
// (the index then marks them incomplete).
inline constexpr uint32_t kV2MaxNamesListed = 10000;
// A page's key statistics list a span-attribute key's distinct int values
// up to this many; past it only the bounds (the list is written empty).
inline constexpr uint32_t kV2MaxIntValuesListed = 16;

// ---- v2 tag summary object `tags` (PERSISTENT) ----------------------------
// Written by v2 writers since the tag summary (docs/block-format.md "`tags`"):
// per scope, the block's tag names and per name its distinct values, so the
// tags and tag values endpoints answer without reading the data. Optional:
// a block without it (v1, older v2) is answered from its data.
//   object := magic:fixed32 raw_size:varint zstd_frame(body)
//             masked_crc32c(every byte before it):fixed32
//   body   := count:varint entry{count}   (sorted by scope, then name)
//   entry  := scope:byte name:len+bytes flags:byte value_count:varint value*
//   value  := type:byte payload
inline constexpr std::string_view kTagSummaryObjectName = "tags";
inline constexpr uint32_t kTagSummaryMagic = 0x31534754;  // "TGS1" little-endian
// Entry scopes. Intrinsic entries hold values only (not tag names), under
// the names kTagSummaryIntrinsicNames lists.
enum TagSummaryScope : uint8_t {
  kTagScopeResource = 0,
  kTagScopeSpan = 1,
  kTagScopeEvent = 2,
  kTagScopeLink = 3,
  kTagScopeInstrumentation = 4,
  kTagScopeIntrinsic = 5,
  kTagScopeCount = 6,
};
inline constexpr std::string_view kTagSummaryIntrinsicNames[] = {
    "name",          "statusMessage",        "status",
    "kind",          "rootName",             "rootServiceName",
    "event:name",    "instrumentation:name", "instrumentation:version"};
// Entry flags: the name has more distinct values than the summary keeps
// (value_count is then 0; a reader reads the name's values from the data).
inline constexpr uint8_t kTagSummaryOverflowed = 1;
// Value types and payloads.
enum TagSummaryValueType : uint8_t {
  kTagValueString = 0,  // len:varint bytes
  kTagValueInt = 1,     // zigzag varint
  kTagValueFloat = 2,   // fixed64 bit pattern
  kTagValueBool = 3,    // byte 0/1
  kTagValueStatus = 4,  // varint: 0 unset, 1 ok, 2 error
  kTagValueKind = 5,    // varint: OTLP SpanKind 0-5
};

// ---- tag summary limits (not persistent) ---------------------------------
// A name keeps at most this many distinct values, or this many bytes of
// them, in a block's summary; past either it is marked overflowed.
inline constexpr uint32_t kTagSummaryMaxValuesPerName = 1000;
inline constexpr uint64_t kTagSummaryMaxBytesPerName = 64 << 10;
// A reader refuses a summary whose body claims more than this.
inline constexpr uint64_t kTagSummaryMaxRawBytes = 256 << 20;

// ---- encodings ------------------------------------------------------------
// Fixed-width integers are little-endian; varints are LEB128 (protobuf's);
// signed varints are ZigZag-mapped. The functions live in util/coding.h.

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_BLOCK_FORMAT_H_
