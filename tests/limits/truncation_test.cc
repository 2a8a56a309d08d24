#include "model/attribute_truncation.h"

#include <string>

#include "gtest/gtest.h"

namespace andante::internal {
namespace {

using andante::otlp::trace::v1::TracesData;

// Independent check: valid UTF-8 (no truncated sequence at the end).
bool EndsOnBoundary(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (i + len > s.size()) return false;
    i += len;
  }
  return true;
}

TEST(TruncateUtf8Test, AsciiCutsExactly) {
  std::string s = "abcdefgh";
  EXPECT_TRUE(TruncateUtf8(&s, 5));
  EXPECT_EQ(s, "abcde");
  EXPECT_FALSE(TruncateUtf8(&s, 5));
  EXPECT_FALSE(TruncateUtf8(&s, 10));
  EXPECT_EQ(s, "abcde");
}

TEST(TruncateUtf8Test, NeverSplitsASequence) {
  // "é" is 2 bytes, "€" 3, "𝄞" 4.
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E" "b";
  for (size_t max = 0; max <= text.size(); ++max) {
    std::string s = text;
    TruncateUtf8(&s, max);
    EXPECT_LE(s.size(), max);
    EXPECT_TRUE(EndsOnBoundary(s)) << max;
    EXPECT_EQ(text.compare(0, s.size(), s), 0);
    // Nothing more could have been kept: the next character would not fit.
    if (s.size() < text.size()) {
      std::string next = text.substr(0, s.size() + 1);
      size_t k = s.size() + 1;
      while (!EndsOnBoundary(next)) next = text.substr(0, ++k);
      EXPECT_GT(next.size(), max) << max;
    }
  }
}

TEST(TruncateAttributesTest, CutsKeysAndStringValuesEverywhere) {
  TracesData data;
  auto* rs = data.add_resource_spans();
  auto* r = rs->mutable_resource()->add_attributes();
  r->set_key("service.name");
  r->mutable_value()->set_string_value(std::string(100, 'r'));
  auto* ss = rs->add_scope_spans();
  auto* span = ss->add_spans();
  auto* a = span->add_attributes();
  a->set_key(std::string(50, 'k'));
  a->mutable_value()->set_int_value(7);
  auto* arr = span->add_attributes();
  arr->set_key("list");
  arr->mutable_value()->mutable_array_value()->add_values()->set_string_value(
      std::string(30, 'x'));
  auto* ev = span->add_events()->add_attributes();
  ev->set_key("e");
  ev->mutable_value()->set_string_value("short");
  auto* link = span->add_links()->add_attributes();
  link->set_key("l");
  link->mutable_value()->set_string_value(std::string(21, 'z'));

  EXPECT_EQ(TruncateAttributes(&data, 20), 4u);
  EXPECT_EQ(r->value().string_value(), std::string(20, 'r'));
  EXPECT_EQ(a->key(), std::string(20, 'k'));
  EXPECT_EQ(a->value().int_value(), 7);
  EXPECT_EQ(arr->value().array_value().values(0).string_value(),
            std::string(20, 'x'));
  EXPECT_EQ(ev->value().string_value(), "short");
  EXPECT_EQ(link->value().string_value(), std::string(20, 'z'));
}

TEST(TruncateAttributesTest, FragmentRewrittenOnlyWhenCut) {
  TracesData data;
  auto* kv = data.add_resource_spans()->add_scope_spans()->add_spans()
                 ->add_attributes();
  kv->set_key("k");
  kv->mutable_value()->set_string_value(std::string(64, 'v'));
  std::string bytes = data.SerializeAsString();
  const std::string original = bytes;
  uint64_t n = 0;
  ASSERT_TRUE(TruncateFragmentAttributes(&bytes, 100, &n).ok());
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(bytes, original);
  ASSERT_TRUE(TruncateFragmentAttributes(&bytes, 8, &n).ok());
  EXPECT_EQ(n, 1u);
  TracesData back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.resource_spans(0).scope_spans(0).spans(0).attributes(0)
                .value().string_value(),
            std::string(8, 'v'));
  std::string junk = "\xff\xff\xff";
  EXPECT_FALSE(TruncateFragmentAttributes(&junk, 1, &n).ok());
}

}  // namespace
}  // namespace andante::internal
