#include "query/tag_summaries.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "block/block_format.h"
#include "util/log.h"
#include "util/strings.h"

namespace andante::query {

namespace {

using internal::TagSummary;

// A block's summary, or null for "none": both kept.
BoundedCache<TagSummary>& Summaries() {
  static auto* cache = new BoundedCache<TagSummary>(kTagSummaryCacheBytes);
  return *cache;
}

traceql::Value ToValue(const internal::TagSummaryValue& v) {
  traceql::Value out;
  switch (v.type) {
    case internal::kTagValueString:
      out.type = traceql::ValueType::kString;
      out.s = v.s;
      break;
    case internal::kTagValueInt:
      out.type = traceql::ValueType::kInt;
      out.i = v.i;
      break;
    case internal::kTagValueFloat:
      out.type = traceql::ValueType::kFloat;
      out.f = v.f;
      break;
    case internal::kTagValueBool:
      out.type = traceql::ValueType::kBool;
      out.b = v.i != 0;
      break;
    case internal::kTagValueStatus:
      out.type = traceql::ValueType::kStatus;
      out.i = v.i;
      break;
    case internal::kTagValueKind:
      out.type = traceql::ValueType::kKind;
      out.i = v.i;
      break;
  }
  return out;
}

// The summary's intrinsic entry name for `i`, or "" for the intrinsics
// that have no value list (durations, IDs: none, as in Tempo).
std::string_view IntrinsicEntry(traceql::Intrinsic i) {
  using traceql::Intrinsic;
  const auto& n = internal::kTagSummaryIntrinsicNames;
  switch (i) {
    case Intrinsic::kName: return n[0];
    case Intrinsic::kStatusMessage: return n[1];
    case Intrinsic::kStatus: return n[2];
    case Intrinsic::kKind: return n[3];
    case Intrinsic::kRootName: return n[4];
    case Intrinsic::kRootServiceName: return n[5];
    case Intrinsic::kEventName: return n[6];
    case Intrinsic::kInstrumentationName: return n[7];
    case Intrinsic::kInstrumentationVersion: return n[8];
    default: return "";
  }
}

}  // namespace

BoundedCache<ScannedBlockTags>& ScannedTagsCache() {
  static auto* cache = new BoundedCache<ScannedBlockTags>(kTagScanCacheBytes);
  return *cache;
}

BoundedCache<ScannedTagValues>& ScannedTagValuesCache() {
  static auto* cache = new BoundedCache<ScannedTagValues>(kTagScanCacheBytes);
  return *cache;
}

void DropTagCachesForTesting() {
  Summaries().Clear();
  ScannedTagsCache().Clear();
  ScannedTagValuesCache().Clear();
}

std::shared_ptr<const TagSummary> TagSummaryOf(
    internal::BlockReader& block, uint64_t* inspected_bytes,
    std::atomic<uint64_t>* damaged) {
  const auto& meta = block.meta();
  const std::string key = absl::StrCat(meta.tenant, "/", meta.block_id);
  std::shared_ptr<const TagSummary> summary;
  if (Summaries().Find(key, &summary)) return summary;
  if (meta.format_version != internal::kBlockFormatVersionV2) {
    Summaries().Insert(key, nullptr, 0);
    return nullptr;
  }
  absl::StatusOr<std::string> object =
      block.ReadObject(internal::kTagSummaryObjectName, inspected_bytes);
  if (absl::IsNotFound(object.status())) {
    Summaries().Insert(key, nullptr, 0);  // written before summaries
    return nullptr;
  }
  if (!object.ok()) return nullptr;  // transient: asked again next time
  absl::StatusOr<TagSummary> decoded = TagSummary::Decode(*object);
  if (!decoded.ok()) {
    ANDANTE_LOG(kError,
                "damaged tag summary: answering tags from the block's data",
                {{"tenant", meta.tenant},
                 {"block", meta.block_id},
                 {"object", std::string(internal::kTagSummaryObjectName)},
                 {"reason", std::string(internal::ToStd(decoded.status().message()))}});
    if (damaged != nullptr) damaged->fetch_add(1, std::memory_order_relaxed);
    Summaries().Insert(key, nullptr, 0);
    return nullptr;
  }
  const uint64_t bytes = decoded->memory_bytes();
  summary = std::make_shared<const TagSummary>(*std::move(decoded));
  Summaries().Insert(key, summary, bytes);
  return summary;
}

bool TagValuesFromSummary(const TagSummary& summary, const TagName& tag,
                          const std::function<void(traceql::Value)>& add) {
  const TagSummary::Entry* entries[2] = {nullptr, nullptr};
  if (tag.is_intrinsic) {
    std::string_view name = IntrinsicEntry(tag.intrinsic);
    if (name.empty()) return true;
    entries[0] = summary.Find(internal::kTagScopeIntrinsic, name);
  } else {
    const std::string& name = tag.attribute.name;
    switch (tag.attribute.scope) {
      case traceql::Scope::kUnscoped:
        entries[0] = summary.Find(internal::kTagScopeSpan, name);
        entries[1] = summary.Find(internal::kTagScopeResource, name);
        break;
      case traceql::Scope::kSpan:
        entries[0] = summary.Find(internal::kTagScopeSpan, name);
        break;
      case traceql::Scope::kResource:
        entries[0] = summary.Find(internal::kTagScopeResource, name);
        break;
      case traceql::Scope::kEvent:
        entries[0] = summary.Find(internal::kTagScopeEvent, name);
        break;
      case traceql::Scope::kLink:
        entries[0] = summary.Find(internal::kTagScopeLink, name);
        break;
      case traceql::Scope::kInstrumentation:
        entries[0] = summary.Find(internal::kTagScopeInstrumentation, name);
        break;
    }
  }
  for (const TagSummary::Entry* e : entries) {
    if (e != nullptr && e->overflowed) return false;
  }
  for (const TagSummary::Entry* e : entries) {
    if (e == nullptr) continue;
    for (const internal::TagSummaryValue& v : e->values) add(ToValue(v));
  }
  return true;
}

}  // namespace andante::query
