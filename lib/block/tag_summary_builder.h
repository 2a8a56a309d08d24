// Collects a v2 block's tag summary (block/tag_summary.h, the `tags`
// object) from the raw columns of its pages as V2BlockWriter cuts them.
//
//   TagSummaryBuilder b;                  // V2BlockWriter owns one
//   per page: b.Column(c, raw) for every column, b.KeyChunk(raw) per key
//             chunk, then b.EndPage(keyed)
//   std::optional<std::string> object = b.Finish(zstd_level);
#ifndef ANDANTE_BLOCK_TAG_SUMMARY_BUILDER_H_
#define ANDANTE_BLOCK_TAG_SUMMARY_BUILDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace andante::internal {

// Collects a block's summary from its pages' raw columns as the v2 writer
// cuts them (the columns it already holds: no trace is decoded).
class TagSummaryBuilder {
 public:
  TagSummaryBuilder();
  ~TagSummaryBuilder();

  // The raw bytes of column `c` of the page being cut.
  void Column(uint32_t c, std::string_view raw);
  // Keyed pages: the raw bytes of one key chunk.
  void KeyChunk(std::string_view raw);
  // The page is complete (`keyed`: its column 12 is the keyed layout).
  void EndPage(bool keyed);
  // The encoded `tags` object, or nullopt if a page could not be read (the
  // block is then answered from its data). Resets the builder.
  std::optional<std::string> Finish(int zstd_level);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace andante::internal

#endif  // ANDANTE_BLOCK_TAG_SUMMARY_BUILDER_H_
