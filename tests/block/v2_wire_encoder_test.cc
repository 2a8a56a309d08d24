// Differential test of the v2 page encoder's two ways in: the wire walk
// (V2PageEncoder::Add reading the stored bytes straight) and the protobuf
// path (every trace parsed with protobuf, its serialization walked), each
// page decoded back to OTLP. Both must give every trace as protobuf parses
// the input, less what the format has always dropped: unknown fields of
// TracesData, ResourceSpans, ScopeSpans, Status, an attribute's KeyValue and
// its string or scalar AnyValue, and whether a resource or scope was sent
// (an absent one comes back empty). On the TraceQL golden dataset, on random
// traces (every AnyValue type, nested arrays and kvlists, empty and huge
// values, unknown fields everywhere) and on hand-made wire bytes protobuf
// resolves by merging or by "last one wins".
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "andante/ids.h"
#include "andante/otlp/trace/v1/trace.pb.h"
#include "block/block_format.h"
#include "block/v2_page.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/golden_dataset.h"
#include "util/coding.h"

namespace andante::internal {
namespace {

using ::andante::otlp::common::v1::AnyValue;
using ::andante::otlp::common::v1::KeyValue;
using ::andante::otlp::trace::v1::Span;
using ::andante::otlp::trace::v1::TracesData;

struct Input {
  TraceId id;
  std::string bytes;
};

// Encodes `inputs` (ascending ids) into one page and decodes it back.
std::map<TraceId, TracesData> RoundTrip(const std::vector<Input>& inputs,
                                        bool wire_walk, bool keyed) {
  V2PageEncoder enc;
  enc.set_keyed(keyed);
  enc.set_wire_walk(wire_walk);
  for (const Input& in : inputs) {
    absl::Status s = enc.Add(in.id, in.bytes);
    EXPECT_TRUE(s.ok()) << s;
  }
  V2Page page;
  for (uint32_t c = 0; c < kV2ColumnCount; ++c) page.raw[c] = enc.column(c);
  if (keyed) {
    for (size_t i = 0; i < enc.span_key_stats().size(); ++i) {
      page.key_raw.emplace_back(enc.key_column(i));
    }
    absl::Status s = page.AssembleSpanAttributes();
    EXPECT_TRUE(s.ok()) << s;
  }
  std::map<TraceId, TracesData> out;
  absl::Status s = page.ParseTables();
  EXPECT_TRUE(s.ok()) << s;
  if (!s.ok()) return out;
  s = page.ForEachTraceOtlp(nullptr, [&](const TraceId& id, TracesData& d) {
    out[id] = d;
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  // The page's traces written as bytes straight from the columns (as
  // compaction reads them) parse equal to the messages.
  size_t written = 0;
  s = page.ForEachTraceBytes(nullptr, [&](const TraceId& id,
                                          std::string_view bytes) {
    TracesData d;
    EXPECT_TRUE(d.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    google::protobuf::util::MessageDifferencer diff;
    std::string report;
    diff.ReportDifferencesToString(&report);
    EXPECT_TRUE(diff.Compare(out[id], d)) << id.ToHex() << " as bytes\n"
                                          << report;
    ++written;
    // One trace alone, as a lookup asks for it, reads the same.
    if (written % 7 == 1) {
      std::string alone;
      absl::Status one = page.ForEachTraceBytes(
          &id, [&](const TraceId& got, std::string_view b) {
            EXPECT_EQ(got, id);
            alone.assign(b);
            return absl::OkStatus();
          });
      EXPECT_TRUE(one.ok()) << one;
      EXPECT_EQ(alone, bytes);
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(written, out.size());
  return out;
}

void DropKeyValueUnknowns(
    google::protobuf::RepeatedPtrField<KeyValue>* kvs) {
  for (KeyValue& kv : *kvs) {
    kv.GetReflection()->MutableUnknownFields(&kv)->Clear();
    if (!kv.has_value()) continue;
    switch (kv.value().value_case()) {
      case AnyValue::kStringValue:
      case AnyValue::kBoolValue:
      case AnyValue::kIntValue:
      case AnyValue::kDoubleValue:
        kv.mutable_value()
            ->GetReflection()
            ->MutableUnknownFields(kv.mutable_value())
            ->Clear();
        break;
      default:
        break;
    }
  }
}

// The input as protobuf parses it, less what the format drops.
TracesData Expected(std::string_view bytes) {
  TracesData d;
  EXPECT_TRUE(d.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  d.GetReflection()->MutableUnknownFields(&d)->Clear();
  for (auto& rs : *d.mutable_resource_spans()) {
    rs.GetReflection()->MutableUnknownFields(&rs)->Clear();
    DropKeyValueUnknowns(rs.mutable_resource()->mutable_attributes());
    for (auto& ss : *rs.mutable_scope_spans()) {
      ss.GetReflection()->MutableUnknownFields(&ss)->Clear();
      DropKeyValueUnknowns(ss.mutable_scope()->mutable_attributes());
      for (Span& sp : *ss.mutable_spans()) {
        DropKeyValueUnknowns(sp.mutable_attributes());
        if (sp.has_status()) {
          sp.mutable_status()
              ->GetReflection()
              ->MutableUnknownFields(sp.mutable_status())
              ->Clear();
        }
      }
    }
  }
  return d;
}

// Both paths, both attribute layouts: each trace as Expected says.
void ExpectBothPathsDecodeAsProtobuf(std::vector<Input> inputs) {
  std::sort(inputs.begin(), inputs.end(),
            [](const Input& a, const Input& b) { return a.id < b.id; });
  for (bool keyed : {true, false}) {
    for (bool wire_walk : {true, false}) {
      SCOPED_TRACE(absl::StrCat(wire_walk ? "wire walk" : "protobuf path",
                                keyed ? ", keyed" : ", single chunk"));
      std::map<TraceId, TracesData> got = RoundTrip(inputs, wire_walk, keyed);
      ASSERT_EQ(got.size(), inputs.size());
      for (const Input& in : inputs) {
        google::protobuf::util::MessageDifferencer diff;
        std::string report;
        diff.ReportDifferencesToString(&report);
        EXPECT_TRUE(diff.Compare(Expected(in.bytes), got[in.id]))
            << in.id.ToHex() << "\n"
            << report;
      }
    }
  }
}

TEST(V2WireEncoderTest, GoldenDatasetDecodesAlikeOnBothPaths) {
  std::vector<Input> inputs;
  for (const TracesData& d :
       testing::GoldenTracesAsOtlp(testing::ReadGoldenJson("dataset.json"))) {
    const std::string& tid = d.resource_spans(0).scope_spans(0).spans(0).trace_id();
    ASSERT_EQ(tid.size(), TraceId::kSize);
    std::array<uint8_t, TraceId::kSize> raw;
    std::memcpy(raw.data(), tid.data(), raw.size());
    inputs.push_back({TraceId(raw), d.SerializeAsString()});
  }
  ASSERT_GT(inputs.size(), 10u);
  ExpectBothPathsDecodeAsProtobuf(std::move(inputs));
}

// ---- random traces ------------------------------------------------------

void AddUnknowns(google::protobuf::Message* m, std::mt19937_64& rng) {
  if (rng() % 3 != 0) return;
  google::protobuf::UnknownFieldSet* u =
      m->GetReflection()->MutableUnknownFields(m);
  u->AddVarint(90 + rng() % 10, rng() % 1000);
  if (rng() % 2) u->AddLengthDelimited(1000 + rng() % 5, "unknown");
  // A known field number with another wire type is unknown to protobuf.
  if (rng() % 4 == 0) u->AddFixed32(1, 77);
}

std::string RandomString(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return "";
    case 1:
      return std::string(100000 + rng() % 1000, 'h');  // huge
    default:
      return absl::StrCat("s", rng() % 20);
  }
}

void RandomValue(AnyValue* v, std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 0 ? 9 : 7)) {
    case 0:
      v->set_string_value(RandomString(rng));
      break;
    case 1:
      v->set_bool_value(rng() % 2);
      break;
    case 2:
      v->set_int_value(static_cast<int64_t>(rng()) >> (rng() % 64));
      break;
    case 3:
      v->set_double_value(static_cast<double>(rng() % 1000) / 7 - 50);
      break;
    case 4:
      v->set_bytes_value(RandomString(rng) + std::string("\0\xff", 2));
      break;
    case 5:
      break;  // an AnyValue without a value
    case 6:
      v->mutable_array_value();  // empty
      break;
    case 7:
      for (int i = rng() % 4; i > 0; --i) {
        RandomValue(v->mutable_array_value()->add_values(), rng, depth - 1);
      }
      break;
    case 8:
      for (int i = rng() % 4; i > 0; --i) {
        KeyValue* kv = v->mutable_kvlist_value()->add_values();
        kv->set_key(RandomString(rng));
        RandomValue(kv->mutable_value(), rng, depth - 1);
      }
      v->mutable_kvlist_value();
      break;
  }
  AddUnknowns(v, rng);
}

void RandomAttributes(google::protobuf::RepeatedPtrField<KeyValue>* kvs,
                      std::mt19937_64& rng) {
  for (int i = rng() % 6; i > 0; --i) {  // sometimes none
    KeyValue* kv = kvs->Add();
    kv->set_key(rng() % 10 == 0 ? "" : absl::StrCat("k", rng() % 8));
    if (rng() % 8 != 0) RandomValue(kv->mutable_value(), rng, 4);
    AddUnknowns(kv, rng);
  }
}

TracesData RandomTrace(const TraceId& id, std::mt19937_64& rng) {
  TracesData d;
  std::vector<std::string> span_ids;
  for (int r = 1 + rng() % 2; r > 0; --r) {
    auto* rs = d.add_resource_spans();
    if (rng() % 2) rs->set_schema_url(RandomString(rng));
    if (rng() % 5 != 0) {
      auto* res = rs->mutable_resource();
      // Few distinct resources, so pages meet them again.
      std::mt19937_64 res_rng(rng() % 3);
      RandomAttributes(res->mutable_attributes(), res_rng);
      KeyValue* svc = res->add_attributes();
      svc->set_key("service.name");
      svc->mutable_value()->set_string_value(RandomString(res_rng));
      res->set_dropped_attributes_count(res_rng() % 2);
      AddUnknowns(res, res_rng);
    }
    AddUnknowns(rs, rng);
    for (int s = 1 + rng() % 2; s > 0; --s) {
      auto* ss = rs->add_scope_spans();
      if (rng() % 2) ss->set_schema_url(RandomString(rng));
      if (rng() % 4 != 0) {
        auto* sc = ss->mutable_scope();
        sc->set_name(RandomString(rng));
        sc->set_version(RandomString(rng));
        RandomAttributes(sc->mutable_attributes(), rng);
        sc->set_dropped_attributes_count(rng() % 2);
        AddUnknowns(sc, rng);
      }
      AddUnknowns(ss, rng);
      for (int k = rng() % 4; k > 0; --k) {
        Span* sp = ss->add_spans();
        switch (rng() % 4) {
          case 0:
            break;
          case 1:
            sp->set_trace_id(std::string(16, 'o'));
            break;
          default:
            sp->set_trace_id(std::string(id.bytes()));
        }
        std::string span_id(8, '\0');
        for (char& c : span_id) c = static_cast<char>(rng());
        if (rng() % 10 == 0) span_id = "odd";
        sp->set_span_id(span_id);
        span_ids.push_back(span_id);
        switch (rng() % 4) {
          case 0:
            break;
          case 1:
            sp->set_parent_span_id(std::string(8, 'p'));  // not in the trace
            break;
          default:
            sp->set_parent_span_id(span_ids[rng() % span_ids.size()]);
        }
        sp->set_name(RandomString(rng));
        sp->set_kind(static_cast<Span::SpanKind>(rng() % 7));
        sp->set_start_time_unix_nano(rng());
        sp->set_end_time_unix_nano(rng() % 2 ? sp->start_time_unix_nano() + rng() % 1000000 : rng());
        RandomAttributes(sp->mutable_attributes(), rng);
        sp->set_dropped_attributes_count(rng() % 3);
        if (rng() % 2) {
          sp->mutable_status()->set_code(
              static_cast<andante::otlp::trace::v1::Status::StatusCode>(
                  rng() % 4));
          sp->mutable_status()->set_message(RandomString(rng));
          AddUnknowns(sp->mutable_status(), rng);
        }
        sp->set_trace_state(rng() % 3 ? "" : "a=b");
        sp->set_flags(rng() % 2 ? 0x101 : 0);
        for (int e = rng() % 3; e > 0; --e) {
          auto* ev = sp->add_events();
          ev->set_name(RandomString(rng));
          ev->set_time_unix_nano(rng());
          RandomAttributes(ev->mutable_attributes(), rng);
          AddUnknowns(ev, rng);
        }
        sp->set_dropped_events_count(rng() % 3 == 0 ? 2 : 0);
        for (int l = rng() % 2; l > 0; --l) {
          auto* ln = sp->add_links();
          ln->set_trace_id(std::string(16, 'l'));
          ln->set_span_id(std::string(8, 'm'));
          RandomAttributes(ln->mutable_attributes(), rng);
        }
        sp->set_dropped_links_count(rng() % 3 == 0 ? 5 : 0);
        AddUnknowns(sp, rng);
      }
    }
  }
  return d;
}

TEST(V2WireEncoderTest, RandomTracesDecodeAlikeOnBothPaths) {
  std::mt19937_64 rng(20261207);
  for (int round = 0; round < 20; ++round) {
    std::vector<Input> inputs;
    for (int t = 0; t < 15; ++t) {
      const TraceId id = TraceId::FromHighLow(rng(), rng());
      std::string bytes = RandomTrace(id, rng).SerializeAsString();
      // As the ingest path stores a trace: fragments back to back.
      if (rng() % 3 == 0) bytes += RandomTrace(id, rng).SerializeAsString();
      inputs.push_back({id, std::move(bytes)});
    }
    ExpectBothPathsDecodeAsProtobuf(std::move(inputs));
  }
}

// ---- hand-made wire bytes -----------------------------------------------

std::string Field(uint32_t field, std::string_view bytes) {
  std::string out;
  PutVarint64(&out, field << 3 | 2);
  PutVarint64(&out, bytes.size());
  out.append(bytes);
  return out;
}

std::string VarintField(uint32_t field, uint64_t v) {
  std::string out;
  PutVarint64(&out, field << 3);
  PutVarint64(&out, v);
  return out;
}

// A TracesData holding one span whose serialization is `span`.
std::string TraceOfSpan(std::string_view span) {
  return Field(1, Field(1, Field(1, Field(1, "service.name") +
                                        Field(2, Field(1, "svc")))) +
                      Field(2, Field(1, Field(1, "lib")) + Field(2, span)));
}

TEST(V2WireEncoderTest, WireShapesProtobufResolvesDecodeAlike) {
  Span base;
  base.set_trace_id(std::string(16, 't'));
  base.set_span_id(std::string(8, 's'));
  base.set_parent_span_id(std::string(8, 'q'));
  base.set_name("op");
  base.set_kind(Span::SPAN_KIND_SERVER);
  base.set_start_time_unix_nano(1000);
  base.set_end_time_unix_nano(5000);
  KeyValue* kv = base.add_attributes();
  kv->set_key("k");
  kv->mutable_value()->set_int_value(7);
  base.mutable_status()->set_message("m");
  base.add_events()->set_name("e");
  const std::string span = base.SerializeAsString();
  const std::vector<std::string> extras = {
      Field(5, "renamed"),                     // name twice: the last wins
      VarintField(6, 3),                       // kind twice
      Field(15, VarintField(3, 2)),            // status twice: merged
      Field(15, ""),                           // status again, empty
      Field(2, std::string(8, 'S')),           // span_id twice
      Field(4, std::string(8, 's')),           // parent twice: now itself
      Field(1, std::string(16, 'T')),          // trace_id twice
      VarintField(10, 0),                      // an explicit default
      Field(3, ""),                            // trace_state, empty
      Field(4, ""),                            // parent, empty
      VarintField(5, 9),                       // name with a varint type
      VarintField(99, 1),                      // unknown
      VarintField(12, 0) + VarintField(12, 4), // dropped events twice
      Field(9, Field(1, "a") + Field(1, "b") +
                   Field(2, Field(1, "x"))),   // key twice
      Field(9, Field(1, "v") + Field(2, Field(1, "x") + VarintField(3, 5))),
      Field(9, Field(1, "v") + Field(2, Field(1, "x")) +
                   Field(2, VarintField(2, 1))),  // value twice: merged
      Field(9, Field(1, "w") + Field(2, VarintField(1, 4))),  // odd type
      Field(9, Field(1, "n") +
                   Field(2, Field(6, Field(1, Field(1, "a") + Field(1, "b"))))),
      Field(11, Field(2, "late event")),       // events after the rest
  };
  std::vector<Input> inputs;
  uint64_t n = 1;
  inputs.push_back({TraceId::FromHighLow(0, n++), TraceOfSpan(span)});
  for (const std::string& extra : extras) {
    inputs.push_back({TraceId::FromHighLow(0, n++), TraceOfSpan(span + extra)});
    inputs.push_back({TraceId::FromHighLow(0, n++), TraceOfSpan(extra + span)});
  }
  // Resource and scope sent twice (merged), ResourceSpans fields twice.
  const std::string one = TraceOfSpan(span);
  inputs.push_back({TraceId::FromHighLow(0, n++),
                    Field(1, Field(1, Field(1, Field(1, "a"))) +
                                 Field(1, Field(2, "")) +
                                 Field(2, Field(2, span)))});
  inputs.push_back(
      {TraceId::FromHighLow(0, n++),
       Field(1, Field(3, "u1") + Field(3, "u2") +
                    Field(2, Field(1, Field(1, "x")) + Field(1, Field(2, "v")) +
                                 Field(3, "s1") + Field(3, "s2") +
                                 Field(2, span)))});
  inputs.push_back({TraceId::FromHighLow(0, n++), one + one});
  inputs.push_back({TraceId::FromHighLow(0, n++), ""});  // no spans at all
  ExpectBothPathsDecodeAsProtobuf(std::move(inputs));
}

// KeyValues around the edges of the canonical shape the wire walk reads
// without its field loop ({1: key, 2: {string, int or bool}}, one-byte
// lengths): at and past the one-byte lengths, values of odd encodings, the
// fields out of order or followed by more.
TEST(V2WireEncoderTest, AttributeShapesAroundTheCanonicalOneDecodeAlike) {
  const std::string k127(127, 'k'), k128(128, 'K');
  const std::vector<std::string> kvs = {
      Field(1, "s") + Field(2, Field(1, "v")),
      Field(1, "s") + Field(2, Field(1, "")),
      Field(1, "") + Field(2, Field(1, "empty key")),
      Field(1, k127) + Field(2, Field(1, "v")),
      Field(1, k128) + Field(2, Field(1, "v")),
      Field(1, "long") + Field(2, Field(1, std::string(125, 'x'))),  // 127
      Field(1, "long") + Field(2, Field(1, std::string(126, 'y'))),  // 128
      Field(1, "i") + Field(2, VarintField(3, 0)),
      Field(1, "i") + Field(2, VarintField(3, 300)),
      Field(1, "i") + Field(2, VarintField(3, ~uint64_t{0})),  // -1: 10 bytes
      Field(1, "b") + Field(2, VarintField(2, 0)),
      Field(1, "b") + Field(2, VarintField(2, 2)),  // true, oddly sent
      Field(1, "i") + Field(2, VarintField(3, 5) + VarintField(99, 1)),
      Field(1, "s") + Field(2, Field(1, "v") + Field(99, "u")),
      Field(1, "i") + Field(2, Field(3, "not a varint")),
      Field(2, Field(1, "value first")) + Field(1, "s"),
      Field(1, "s") + Field(2, Field(1, "v")) + VarintField(3, 1),
      Field(1, "s") + Field(2, Field(1, "v")) + Field(2, Field(1, "w")),
      Field(1, "s") + Field(2, Field(1, "v")) + Field(1, "t"),
      Field(1, "d") + Field(2, std::string("\x21\x00\x00\x00\x00\x00\x00\xf0\x3f", 9)),
      Field(1, "n") + Field(2, ""),
      Field(1, "none"),
  };
  std::vector<Input> inputs;
  uint64_t n = 1;
  for (const std::string& kv : kvs) {
    const std::string span = Field(2, std::string(8, 's')) + Field(5, "op") +
                             Field(9, kv) + Field(9, kv);
    inputs.push_back({TraceId::FromHighLow(2, n++), TraceOfSpan(span)});
  }
  ExpectBothPathsDecodeAsProtobuf(std::move(inputs));
}

// Keys and values that differ from the ones before them in one byte, at
// every position, for lengths around the word-compare bounds (8 and 16) of
// the encoder's memos of the last key and value: each span must get its own.
TEST(V2WireEncoderTest, NearlyEqualKeysAndValuesStayApart) {
  std::vector<Input> inputs;
  uint64_t n = 1;
  for (size_t len : {1, 7, 8, 9, 15, 16, 17, 24, 33}) {
    const std::string base(len, 'a');
    for (size_t at = 0; at < len; ++at) {
      std::string other = base;  // differs at `at`
      other[at] = 'b';
      Span sp;
      sp.set_span_id(std::string(8, static_cast<char>('0' + at % 10)));
      for (const std::string* s : {&base, static_cast<const std::string*>(&other), &base}) {
        sp.set_name(*s);
        sp.clear_attributes();
        KeyValue* kv = sp.add_attributes();
        kv->set_key(*s);
        kv->mutable_value()->set_string_value(*s);
        kv = sp.add_attributes();
        kv->set_key("fixed");
        kv->mutable_value()->set_string_value(*s);
        TracesData d;
        *d.add_resource_spans()->add_scope_spans()->add_spans() = sp;
        inputs.push_back({TraceId::FromHighLow(3, n++), d.SerializeAsString()});
      }
    }
  }
  ExpectBothPathsDecodeAsProtobuf(std::move(inputs));
}

TEST(V2WireEncoderTest, DeepValuesWithinProtobufsLimitAreRead) {
  // Arrays nested as deep as a TracesData parsed with protobuf's default
  // limit holds, on both paths.
  TracesData d;
  Span* sp = d.add_resource_spans()->add_scope_spans()->add_spans();
  sp->set_span_id(std::string(8, 'd'));
  AnyValue* v = sp->add_attributes()->mutable_value();
  for (int i = 0; i < 46; ++i) v = v->mutable_array_value()->add_values();
  v->set_string_value("bottom");
  ExpectBothPathsDecodeAsProtobuf({{TraceId::FromHighLow(1, 1),
                                    d.SerializeAsString()}});
}

TEST(V2WireEncoderTest, BytesThatAreNotOtlpAreRefused) {
  for (std::string bad : {std::string("\xff\xff\xff"), std::string("\x0a\x05\x0a"),
                          Field(1, Field(2, Field(2, "\x2a\x09op")))}) {
    V2PageEncoder enc;
    EXPECT_EQ(enc.Add(TraceId::FromHighLow(1, 2), bad).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(enc.empty());
  }
}

}  // namespace
}  // namespace andante::internal
