// andante::BlockWriter and andante::Block (include/andante/block.h): the
// public face of internal::BlockBuilder and internal::BlockReader.
#include <memory>
#include <string>
#include <utility>

#include "andante/block.h"
#include "andante/tenant.h"
#include "block/block_builder.h"
#include "block/block_format.h"
#include "block/block_list.h"
#include "block/block_meta.h"
#include "block/block_reader.h"

namespace andante {
namespace {

BlockInfo ToInfo(const internal::BlockMeta& meta) {
  BlockInfo info;
  info.block_id = meta.block_id;
  info.tenant = meta.tenant;
  info.format_version = meta.format_version;
  info.start_unix_nano = meta.start_unix_nano;
  info.end_unix_nano = meta.end_unix_nano;
  info.min_id = meta.min_id;
  info.max_id = meta.max_id;
  info.total_traces = meta.total_objects;
  info.total_spans = meta.total_spans;
  info.data_bytes = meta.data_bytes;
  info.index_bytes = meta.index_bytes;
  info.bloom_bytes = meta.bloom_bytes;
  info.total_pages = meta.total_pages;
  info.bloom_shards = meta.bloom_shards;
  info.compaction_level = meta.compaction_level;
  return info;
}

}  // namespace

struct BlockWriter::Rep {
  std::shared_ptr<Backend> backend;  // keeps the builder's Backend& alive
  std::string block_id;
  std::unique_ptr<internal::BlockBuilder> builder;
};

BlockWriter::BlockWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
BlockWriter::~BlockWriter() = default;

absl::StatusOr<std::unique_ptr<BlockWriter>> BlockWriter::Create(
    const BlockOptions& options, std::shared_ptr<Backend> backend,
    std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (backend == nullptr) return absl::InvalidArgumentError("no backend");
  auto rep = std::make_unique<Rep>();
  rep->backend = std::move(backend);
  rep->block_id = internal::NewBlockId();
  rep->builder = std::make_unique<internal::BlockBuilder>(
      options, *rep->backend, std::string(tenant), rep->block_id, 0);
  return std::unique_ptr<BlockWriter>(new BlockWriter(std::move(rep)));
}

const std::string& BlockWriter::block_id() const { return rep_->block_id; }

absl::Status BlockWriter::Add(const TraceId& id, std::string_view data,
                              uint64_t start_unix_nano, uint64_t end_unix_nano,
                              uint32_t span_count) {
  return rep_->builder->Add(id, data, start_unix_nano, end_unix_nano,
                            span_count);
}

absl::StatusOr<BlockInfo> BlockWriter::Finish() {
  absl::StatusOr<internal::BlockMeta> meta = rep_->builder->Finish();
  if (!meta.ok()) return meta.status();
  return ToInfo(*meta);
}

struct Block::Rep {
  BlockInfo info;
  std::unique_ptr<internal::BlockReader> reader;
};

Block::Block(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Block::~Block() = default;

absl::StatusOr<std::unique_ptr<Block>> Block::Open(
    std::shared_ptr<Backend> backend, std::string_view tenant,
    std::string_view block_id) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (backend == nullptr) return absl::InvalidArgumentError("no backend");
  absl::StatusOr<std::string> json = backend->Read(
      internal::BlockKey(tenant, block_id, internal::kMetaObjectName));
  if (!json.ok()) return json.status();
  absl::StatusOr<internal::BlockMeta> meta =
      internal::BlockMeta::FromJson(*json);
  if (!meta.ok()) return meta.status();
  if (meta->tenant != tenant || meta->block_id != block_id) {
    return absl::DataLossError("meta.json names another block");
  }
  auto rep = std::make_unique<Rep>();
  rep->info = ToInfo(*meta);
  absl::StatusOr<std::unique_ptr<internal::BlockReader>> reader =
      internal::BlockReader::Open(std::move(backend), *std::move(meta));
  if (!reader.ok()) return reader.status();
  rep->reader = std::move(*reader);
  return std::unique_ptr<Block>(new Block(std::move(rep)));
}

const BlockInfo& Block::info() const { return rep_->info; }

absl::StatusOr<bool> Block::MayContain(const TraceId& id) {
  return rep_->reader->MayContain(id);
}

absl::StatusOr<std::optional<std::string>> Block::Find(
    const TraceId& id, uint64_t* inspected_bytes) {
  return rep_->reader->Find(id, inspected_bytes);
}

absl::Status Block::ForEach(
    absl::FunctionRef<absl::Status(const TraceId& id, std::string_view data)>
        fn) {
  return rep_->reader->ForEach(fn);
}

absl::StatusOr<std::vector<BlockInfo>> ListBlocks(Backend& backend,
                                                  std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  absl::StatusOr<internal::TenantBlocks> blocks =
      internal::ListTenantBlocks(backend, tenant);
  if (!blocks.ok()) return blocks.status();
  std::vector<BlockInfo> out;
  out.reserve(blocks->complete.size());
  for (const auto& meta : blocks->complete) out.push_back(ToInfo(meta));
  return out;
}

}  // namespace andante
