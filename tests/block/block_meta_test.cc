#include "block/block_meta.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "block/block_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace andante::internal {
namespace {

BlockMeta SampleMeta() {
  BlockMeta meta;
  meta.block_id = "0b3e5a4c-2f1d-4e8a-9c7b-6d5e4f3a2b1c";
  meta.tenant = "single-tenant";
  meta.start_unix_nano = 1700000000123456789ull;
  meta.end_unix_nano = 1700000060987654321ull;
  meta.min_id = *TraceId::FromHex("00000000000000000000000000000001");
  meta.max_id = *TraceId::FromHex("ffffffffffffffffffffffffffffff00");
  meta.total_objects = 100000;
  meta.total_spans = 1234567;
  meta.data_bytes = 52428800;
  meta.index_bytes = 11212;
  meta.bloom_bytes = 120000;
  meta.total_pages = 200;
  meta.bloom_shards = 2;
  meta.created_unix_seconds = 1700000100;
  return meta;
}

nlohmann::json SampleJson() {
  return nlohmann::json::parse(SampleMeta().ToJson());
}

TEST(BlockMetaTest, RoundTrip) {
  BlockMeta meta = SampleMeta();
  absl::StatusOr<BlockMeta> back = BlockMeta::FromJson(meta.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, meta);
}

TEST(BlockMetaTest, FieldsAsDocumented) {
  nlohmann::json j = SampleJson();
  EXPECT_EQ(j["format"], "andante-v1");
  EXPECT_EQ(j["formatVersion"], 1);
  EXPECT_EQ(j["blockID"], "0b3e5a4c-2f1d-4e8a-9c7b-6d5e4f3a2b1c");
  EXPECT_EQ(j["tenantID"], "single-tenant");
  EXPECT_EQ(j["startTime"], "1700000000123456789");
  EXPECT_EQ(j["endTime"], "1700000060987654321");
  EXPECT_EQ(j["startTimeRFC3339"], "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(j["minID"], "00000000000000000000000000000001");
  EXPECT_EQ(j["maxID"], "ffffffffffffffffffffffffffffff00");
  EXPECT_EQ(j["totalObjects"], 100000);
  EXPECT_EQ(j["totalSpans"], 1234567);
  EXPECT_EQ(j["size"], 52428800);
  EXPECT_EQ(j["indexBytes"], 11212);
  EXPECT_EQ(j["bloomShards"], 2);
  EXPECT_EQ(j["bloomBytes"], 120000);
  EXPECT_EQ(j["totalPages"], 200);
  EXPECT_EQ(j["encoding"], "zstd");
  EXPECT_EQ(j["createdAt"], "2023-11-14T22:15:00Z");
}

TEST(BlockMetaTest, UnknownFieldsAreIgnored) {
  nlohmann::json j = SampleJson();
  j["note"] = "added by a later version";
  absl::StatusOr<BlockMeta> back = BlockMeta::FromJson(j.dump());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, SampleMeta());
}

TEST(BlockMetaTest, CompactionLevelIsOptionalAndRoundTrips) {
  nlohmann::json j = SampleJson();
  j.erase("compactionLevel");
  absl::StatusOr<BlockMeta> absent = BlockMeta::FromJson(j.dump());
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(absent->compaction_level, 0u);
  j["compactionLevel"] = 3;
  absl::StatusOr<BlockMeta> three = BlockMeta::FromJson(j.dump());
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->compaction_level, 3u);
  absl::StatusOr<BlockMeta> again = BlockMeta::FromJson(three->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *three);
  j["compactionLevel"] = "3";
  EXPECT_TRUE(absl::IsDataLoss(BlockMeta::FromJson(j.dump()).status()));
}

TEST(BlockMetaTest, RejectsUnknownVersionClearly) {
  nlohmann::json j = SampleJson();
  j["formatVersion"] = 2;
  absl::StatusOr<BlockMeta> got = BlockMeta::FromJson(j.dump());
  EXPECT_TRUE(absl::IsUnimplemented(got.status())) << got.status();
  EXPECT_NE(got.status().message().find("formatVersion 2"),
            absl::string_view::npos)
      << got.status();
  j["formatVersion"] = 0;
  EXPECT_TRUE(absl::IsUnimplemented(BlockMeta::FromJson(j.dump()).status()));
  j["formatVersion"] = -1;
  EXPECT_TRUE(absl::IsUnimplemented(BlockMeta::FromJson(j.dump()).status()));
  j = SampleJson();
  j["format"] = "vParquet3";  // a Tempo block
  got = BlockMeta::FromJson(j.dump());
  EXPECT_TRUE(absl::IsUnimplemented(got.status())) << got.status();
  EXPECT_NE(got.status().message().find("vParquet3"), absl::string_view::npos);
}

TEST(BlockMetaTest, RejectsMalformed) {
  EXPECT_TRUE(absl::IsDataLoss(BlockMeta::FromJson("").status()));
  EXPECT_TRUE(absl::IsDataLoss(BlockMeta::FromJson("{").status()));
  EXPECT_TRUE(absl::IsDataLoss(BlockMeta::FromJson("[1,2]").status()));
  EXPECT_TRUE(absl::IsDataLoss(BlockMeta::FromJson("{}").status()));

  auto rejects = [](const char* field, nlohmann::json value) {
    nlohmann::json j = SampleJson();
    if (value.is_null()) {
      j.erase(field);
    } else {
      j[field] = value;
    }
    absl::StatusOr<BlockMeta> got = BlockMeta::FromJson(j.dump());
    EXPECT_FALSE(got.ok()) << field << "=" << value.dump();
    if (!got.ok() && value.is_null()) {
      EXPECT_NE(got.status().message().find(field), absl::string_view::npos)
          << got.status();
    }
  };
  for (const char* field :
       {"formatVersion", "blockID", "tenantID", "startTime", "endTime", "minID",
        "maxID", "totalObjects", "totalSpans", "size", "indexBytes",
        "bloomShards", "bloomBytes", "totalPages", "encoding", "createdAt"}) {
    rejects(field, nullptr);
  }
  rejects("formatVersion", "1");
  rejects("blockID", "not-a-uuid");
  rejects("blockID", 7);
  rejects("tenantID", "");
  rejects("startTime", 1700000000123456789ull);  // must be a string
  rejects("startTime", "yesterday");
  rejects("minID", "xyz");
  rejects("minID", "0000000000000000000000000000000");   // 31 chars
  rejects("maxID", "00000000000000000000000000000000");  // < minID
  rejects("totalObjects", -5);
  rejects("totalObjects", 1.5);
  rejects("totalObjects", 0);
  rejects("totalPages", 0);
  rejects("totalPages", 5'000'000'000ull);
  rejects("bloomShards", 0);
  rejects("bloomShards", 100001);  // more shards than traces
  rejects("encoding", "snappy");
  rejects("createdAt", "last tuesday");
}

TEST(BlockMetaTest, NewBlockIdIsUuidV4) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewBlockId();
    ASSERT_TRUE(IsValidBlockId(id)) << id;
    EXPECT_EQ(id[14], '4') << id;  // version
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    EXPECT_EQ(id, absl::AsciiStrToLower(id));
    EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_FALSE(IsValidBlockId(""));
  EXPECT_FALSE(IsValidBlockId("0b3e5a4c-2f1d-4e8a-9c7b-6d5e4f3a2b1"));
  EXPECT_FALSE(IsValidBlockId("0b3e5a4c-2f1d-4e8a-9c7b_6d5e4f3a2b1c"));
  EXPECT_FALSE(IsValidBlockId("0b3e5a4c-2f1d-4e8a-9c7b-6d5e4f3a2b1g"));
  EXPECT_TRUE(IsValidBlockId("0B3E5A4C-2F1D-4E8A-9C7B-6D5E4F3A2B1C"));
}

TEST(BlockMetaTest, BlockKey) {
  EXPECT_EQ(BlockKey("t", "b", "meta.json"), "t/b/meta.json");
}

}  // namespace
}  // namespace andante::internal
