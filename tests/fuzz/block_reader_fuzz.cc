// Fuzzes reading a damaged block: the input is a list of edits (byte flips,
// truncations) applied to a valid block's objects — meta.json, index,
// bloom-0, data — which is then listed, opened, looked up and scanned.
//
// Edit (4 bytes): op, offset_hi, offset_lo, value
//   op % 5 in 0..3: object (meta.json, index, bloom-0, data)[op % 5] gets
//                   byte (offset % size) XORed with value (0 -> 1)
//   op % 5 == 4:    object [offset_hi % 4] is cut to value * size / 256 bytes
//
// Checks: nothing crashes or allocates without bound; every lookup answers
// the original data, "not here", or DATA_LOSS (a damaged block) — never
// wrong data and never another error.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "andante/backend.h"
#include "block/block_builder.h"
#include "block/block_list.h"
#include "block/block_meta.h"
#include "block/block_reader.h"

namespace {

using andante::Backend;
using andante::TraceId;
using namespace andante::internal;

struct Fixture {
  std::string block_id = NewBlockId();
  std::map<std::string, std::string> objects;  // name -> bytes
  std::map<TraceId, std::string> traces;
};

const Fixture& Base() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    std::shared_ptr<Backend> memory = andante::OpenMemoryBackend();
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 60; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      std::string data(40 + x % 200, static_cast<char>('a' + i % 26));
      f->traces.emplace(TraceId::FromHighLow(x, x >> 7), std::move(data));
    }
    andante::BlockOptions options;
    options.page_size_bytes = 1024;
    BlockBuilder builder(options, *memory, "t", f->block_id, f->traces.size());
    for (const auto& [id, data] : f->traces) {
      if (!builder.Add(id, data, 1, 2, 1).ok()) std::abort();
    }
    if (!builder.Finish().ok()) std::abort();
    for (const char* name : {"meta.json", "index", "bloom-0", "data"}) {
      auto bytes = memory->Read(BlockKey("t", f->block_id, name));
      if (!bytes.ok()) std::abort();
      f->objects[name] = *bytes;
    }
    return f;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  const Fixture& base = Base();
  static const char* const kNames[] = {"meta.json", "index", "bloom-0", "data"};
  std::map<std::string, std::string> objects = base.objects;
  for (size_t i = 0; i + 4 <= size; i += 4) {
    uint8_t op = in[i] % 5;
    size_t offset = (size_t{in[i + 1]} << 8) | in[i + 2];
    if (op < 4) {
      std::string& o = objects[kNames[op]];
      if (!o.empty()) o[offset % o.size()] ^= in[i + 3] == 0 ? 1 : in[i + 3];
    } else {
      std::string& o = objects[kNames[in[i + 1] % 4]];
      o.resize(o.size() * in[i + 3] / 256);
    }
  }
  std::shared_ptr<Backend> backend = andante::OpenMemoryBackend();
  for (const auto& [name, bytes] : objects) {
    if (!backend->Write(BlockKey("t", base.block_id, name), bytes).ok()) {
      std::abort();
    }
  }
  auto listed = ListTenantBlocks(*backend, "t");
  if (!listed.ok()) std::abort();  // damage never fails the listing
  std::atomic<uint64_t> damaged{0};
  for (const BlockMeta& meta : listed->complete) {
    auto reader = BlockReader::Open(backend, meta, &damaged);
    if (!reader.ok()) continue;
    for (const auto& [id, data] : base.traces) {
      auto found = (*reader)->Find(id);
      if (found.ok()) {
        if (found->has_value() && **found != data) std::abort();
      } else if (!absl::IsDataLoss(found.status())) {
        std::abort();
      }
    }
    absl::Status scanned = (*reader)->ForEach(
        [&](const TraceId& id, std::string_view data) -> absl::Status {
          auto it = base.traces.find(id);
          if (it == base.traces.end() || it->second != data) std::abort();
          return absl::OkStatus();
        });
    if (!scanned.ok() && !absl::IsDataLoss(scanned)) std::abort();
  }
  return 0;
}
