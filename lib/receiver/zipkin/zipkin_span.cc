#include "receiver/zipkin/zipkin_span.h"

#include <algorithm>

namespace andante::internal {
namespace {
constexpr size_t kBlockBytes = 64 << 10;
}  // namespace

void ZipkinStringStore::NewBlock(size_t at_least) {
  // Blocks grow with the request (doubling up to 1 MiB) so a large body
  // costs few allocations; a string larger than that gets its own block.
  size_t size = kBlockBytes;
  if (!block_sizes_.empty()) size = std::min<size_t>(block_sizes_.back() * 2, 1 << 20);
  size = std::max(size, at_least);
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
  block_sizes_.push_back(size);
  block_next_ = blocks_.back().get();
  block_left_ = size;
}

void ZipkinStringStore::Clear() {
  if (blocks_.size() > 1 || (!block_sizes_.empty() && block_sizes_[0] > kBlockBytes)) {
    blocks_.clear();
    block_sizes_.clear();
    block_next_ = nullptr;
    block_left_ = 0;
  } else if (!blocks_.empty()) {
    block_next_ = blocks_[0].get();
    block_left_ = block_sizes_[0];
  }
}

size_t ZipkinStringStore::MemoryUsage() const {
  size_t n = 0;
  for (size_t s : block_sizes_) n += s;
  return n;
}

}  // namespace andante::internal
