// Parser and lexer tests: every error class of the reference's error table
// (shared/reference/traceql.md §7), lexer rules (§1), positions in messages,
// and the columns/conditions API.
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "andante/traceql.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace andante::traceql {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<Query> q = Query::Parse(text);
  if (q.ok()) return "OK";
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(q.status().message());
}

void ExpectParses(const std::string& text) {
  absl::StatusOr<Query> q = Query::Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status();
}

TEST(ParserErrorTable, ParseErrors) {
  EXPECT_THAT(ErrorOf("{ attribute = 4 }"),
              HasSubstr("line 1, col 3: unknown identifier: attribute"));
  EXPECT_THAT(ErrorOf("{ .a == 4 }"),
              HasSubstr("parse error at line 1, col 7"));
  EXPECT_THAT(ErrorOf("{ .a < 3"),
              HasSubstr("parse error at line 1, col 9: syntax error: "
                        "unexpected end of query"));
  EXPECT_THAT(ErrorOf("{ span. }"),
              HasSubstr("line 1, col 8: attribute name is empty"));
  EXPECT_THAT(ErrorOf("{ . }"), HasSubstr("attribute name is empty"));
  EXPECT_THAT(ErrorOf("true"), HasSubstr("parse error at line 1, col 1"));
  EXPECT_THAT(ErrorOf("( true )"), HasSubstr("parse error at line 1, col 3"));
  EXPECT_THAT(ErrorOf("{} | topk(10)"),
              HasSubstr("parse error at line 1, col 6"));
  EXPECT_THAT(ErrorOf("{ true } | count()"),
              HasSubstr("an aggregate must be compared"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("unexpected end of query"));
  EXPECT_THAT(ErrorOf("{ .a = 1 } {"), HasSubstr("col 12"));
}

TEST(ParserErrorTable, ValidationErrors) {
  EXPECT_THAT(ErrorOf(R"({ 1 = "foo" })"),
              HasSubstr("invalid query at line 1, col 5: cannot compare int "
                        "with string"));
  EXPECT_THAT(ErrorOf("{ name = 1 }"),
              HasSubstr("cannot compare string with int"));
  EXPECT_THAT(ErrorOf(R"({ span.foo =~ "[" })"),
              HasSubstr("invalid regular expression"));
  EXPECT_THAT(ErrorOf("{ -true }"), HasSubstr("unary - requires a number"));
  EXPECT_THAT(ErrorOf("{ status }"),
              HasSubstr("filter body must be a boolean"));
  EXPECT_THAT(ErrorOf("{ 1 + 1 }"), HasSubstr("filter body must be a boolean"));
  EXPECT_THAT(ErrorOf(R"({ "foo" })"),
              HasSubstr("filter body must be a boolean"));
  EXPECT_THAT(ErrorOf("{ status > ok }"),
              HasSubstr("cannot be applied to status"));
  EXPECT_THAT(ErrorOf(R"({ traceDuration > "x" })"),
              HasSubstr("cannot compare"));
  EXPECT_THAT(ErrorOf("{ .a =~ .b }"), HasSubstr("must be a string literal"));
  EXPECT_THAT(ErrorOf(R"({ "x" =~ .a })"),
              HasSubstr("must be a string literal"));
  EXPECT_THAT(ErrorOf("{ name = nil }"),
              HasSubstr("cannot be compared with nil"));
  EXPECT_THAT(ErrorOf("{ resource.service.name = nil }"),
              HasSubstr("cannot be compared with nil"));
  EXPECT_THAT(ErrorOf("{ !1 }"), HasSubstr("operator ! requires a boolean"));
  EXPECT_THAT(ErrorOf("{ } | max(name) > 1"), HasSubstr("numeric argument"));
  EXPECT_THAT(ErrorOf("{ } | by(1 + 2)"), HasSubstr("by() must reference"));
  EXPECT_THAT(ErrorOf("{ .a = 1 / 0 }"), HasSubstr("integer division by zero"));
}

TEST(ParserErrorTable, NotYetSupported) {
  EXPECT_THAT(ErrorOf("{ parent.a = 1 }"), HasSubstr("not yet supported"));
  EXPECT_THAT(ErrorOf("{ parent.span.a = 1 }"), HasSubstr("not yet supported"));
  EXPECT_THAT(ErrorOf("min(.a) < max(duration)"),
              HasSubstr("not yet supported"));
  EXPECT_THAT(ErrorOf("2 < count()"), HasSubstr("not yet supported"));
  EXPECT_THAT(ErrorOf("{ } | count() + count() = 1"),
              HasSubstr("not yet supported"));
  EXPECT_THAT(ErrorOf("{} | rate()"), HasSubstr("not supported"));
  EXPECT_THAT(ErrorOf("{} | rate() + {} | rate()"), HasSubstr("not supported"));
  EXPECT_NE(ErrorOf("({} | rate()) * 10s"), "OK");
}

TEST(ParserErrorTable, QueryTooLargeOrTooDeep) {
  std::string big =
      "{ .a = \"" + std::string(Query::kMaxQueryBytes, 'x') + "\" }";
  EXPECT_THAT(ErrorOf(big), HasSubstr("more than the limit"));
  std::string deep =
      "{ " + std::string(5000, '(') + ".a = 1" + std::string(5000, ')') + " }";
  EXPECT_THAT(ErrorOf(deep), HasSubstr("nested more than"));
  std::string deep_not = "{ " + std::string(5000, '!') + ".a }";
  EXPECT_THAT(ErrorOf(deep_not), HasSubstr("nested more than"));
  std::string deep_sets =
      std::string(5000, '(') + "{}" + std::string(5000, ')');
  EXPECT_THAT(ErrorOf(deep_sets), HasSubstr("nested more than"));
  // Long left-associative chains: no deep parser recursion, but deep trees.
  std::string chain = "{ .a";
  for (int k = 0; k < 3000; ++k) chain += " + .a";
  EXPECT_THAT(ErrorOf(chain + " = 1 }"), HasSubstr("nested operations"));
  std::string sets = "{ }";
  for (int k = 0; k < 3000; ++k) sets += " > { }";
  EXPECT_THAT(ErrorOf(sets), HasSubstr("nested operations"));
  std::string ok = "{ .a = 1";
  for (int k = 0; k < 300; ++k) ok += " && .a = 1";
  ExpectParses(ok + " }");
}

TEST(ParserLimits, LargestQueryParsesQuickly) {
  // ~127 KiB of pipeline stages, each with its own attributes and regex:
  // parsing must stay linear (attribute slots and columns are hashed).
  std::string text = "{ .a0 = 1 }";
  for (int k = 1; text.size() < 127 * 1024; ++k) {
    text += " | { span.a" + std::to_string(k) + " = 1 || .b" +
            std::to_string(k) + " =~ \"x.*\" }";
  }
  absl::Time start = absl::Now();
  absl::StatusOr<Query> q = Query::Parse(text);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_GT(q->columns().attributes.size(), 5000u);
}

TEST(LexerRules, StringsAndEscapes) {
  EXPECT_THAT(ErrorOf(R"({ name =~ "\d+" })"),
              HasSubstr("invalid escape sequence"));
  ExpectParses(R"({ name =~ "\\d+" })");
  ExpectParses("{ name =~ `\\d+` }");
  ExpectParses(R"({ name = "\x41\u00e9\t\"" })");
  EXPECT_THAT(ErrorOf(R"({ name = "abc })"), HasSubstr("not terminated"));
  EXPECT_THAT(ErrorOf("{ name = 'abc' }"), HasSubstr("single quotes"));
  EXPECT_THAT(ErrorOf("{ name = `abc }"), HasSubstr("not terminated"));
}

TEST(LexerRules, AttributeNames) {
  ExpectParses(R"({ span."foo bar" = 1 })");
  ExpectParses(R"({ span.attribute."with space" = 1 })");
  ExpectParses(R"({ ."2xx" = 1 })");
  ExpectParses("{ span.foo-bar = 1 }");
  ExpectParses("{ .a+1=2 }");
  EXPECT_THAT(ErrorOf(R"({ span."a\n" = 1 })"), HasSubstr("invalid escape"));
  EXPECT_THAT(ErrorOf(R"({ span."abc = 1 })"), HasSubstr("not terminated"));
  EXPECT_NE(ErrorOf("{ span . foo = 1 }"), "OK");
  // `.2xx` lexes as the float .2 followed by text.
  EXPECT_NE(ErrorOf("{ .2xx = 1 }"), "OK");

  absl::StatusOr<Query> q = Query::Parse(
      R"({ span.http.status_code = 200 && resource."a b".c = "x" && .a+1=2 })");
  ASSERT_TRUE(q.ok()) << q.status();
  const std::vector<AttributeName>& attrs = q->columns().attributes;
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs[0], (AttributeName{Scope::kSpan, "http.status_code"}));
  EXPECT_EQ(attrs[1], (AttributeName{Scope::kResource, "a b.c"}));
  EXPECT_EQ(attrs[2], (AttributeName{Scope::kUnscoped, "a+1"}));
}

TEST(LexerRules, NumbersAndDurations) {
  for (const char* ok :
       {"{ duration > 1h30m }", "{ duration > 1s500ms }", "{ duration > 2d }",
        "{ duration > 1w }", "{ duration > 1y }", "{ duration > 1.5s }",
        "{ duration > 250us }", "{ duration > 100\xC2\xB5s }",
        "{ duration > 10ns }", "{ .a > 1e3 }", "{ .a > 2.5e-3 }",
        "{ .a > .99 }", "{ .a = minInt }", "{ .a = maxInt }", "{ .a = -5 }"}) {
    ExpectParses(ok);
  }
  EXPECT_NE(ErrorOf("{ duration > 3hh }"), "OK");
  EXPECT_NE(ErrorOf("{ duration > 10 ms }"), "OK");
  EXPECT_NE(ErrorOf("{ duration > 100\xCE\xBCs }"), "OK");  // Greek mu
  EXPECT_THAT(ErrorOf("{ .a = 0x10 }"), HasSubstr("decimal"));
  EXPECT_THAT(ErrorOf("{ .a = 99999999999999999999 }"),
              HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf("{ .a = foo }"), HasSubstr("unknown identifier: foo"));
}

TEST(LexerRules, IntrinsicsAndComments) {
  for (const char* ok : {"{ span:name = \"x\" }",
                         "{ span:status = error }",
                         "{ span:statusMessage = \"x\" }",
                         "{ span:kind = server }",
                         "{ span:duration > 1s }",
                         "{ span:childCount = 0 }",
                         "{ span:id = \"x\" }",
                         "{ span:parentID = \"x\" }",
                         "{ trace:duration > 1s }",
                         "{ trace:rootName = \"x\" }",
                         "{ trace:rootService = \"x\" }",
                         "{ trace:id = \"x\" }",
                         "{ event:name = \"x\" }",
                         "{ event:timeSinceStart > 1ms }",
                         "{ link:traceID = \"x\" }",
                         "{ link:spanID = \"x\" }",
                         "{ instrumentation:name = \"x\" }",
                         "{ instrumentation:version = \"x\" }",
                         "{ rootServiceName = \"x\" }",
                         "{ .a = 1 } // comment",
                         "{ /* c */ .a = 1 }",
                         "{ } | select(span.a, name, span:id)",
                         "{ } with(most_recent=true, sample=0.1)",
                         "{ } | by(3 * .x - 2) | coalesce()",
                         "({ } | count() > 1) && ({ } | count() < 5)",
                         "{ .a = 1 } !>> { .b = 2 } &~ { .c = 3 }"}) {
    ExpectParses(ok);
  }
  for (const char* bad :
       {"{ trace:name = \"x\" }", "{ trace:status = error }",
        "{ trace:rootServiceName = \"x\" }", "{ span:rootName = \"x\" }",
        "{ span : name = \"x\" }", "{ } | coalesce() | coalesce() | select()",
        "coalesce()", "{ } | select(1 + 2)", "{ .a = 1 } /* open"}) {
    EXPECT_NE(ErrorOf(bad), "OK") << bad;
  }
}

TEST(ParserErrors, MultiLinePositions) {
  EXPECT_THAT(ErrorOf("{ .a = 1\n  && foo }"),
              HasSubstr("line 2, col 6: unknown identifier: foo"));
}

TEST(QueryApi, ColumnsConditionsAndHints) {
  absl::StatusOr<Query> q = Query::Parse(
      R"({ resource.service.name = "api" && span.http.status_code >= 500 && )"
      R"(duration > 1s } | select(span.db.system) with(most_recent=true))");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->all_conditions_required());
  ASSERT_EQ(q->conditions().size(), 3u);
  EXPECT_EQ(q->conditions()[0].attribute,
            (AttributeName{Scope::kResource, "service.name"}));
  EXPECT_EQ(q->conditions()[0].op, CompareOp::kEq);
  EXPECT_EQ(q->conditions()[0].literal.s, "api");
  EXPECT_EQ(q->conditions()[1].op, CompareOp::kGe);
  EXPECT_EQ(q->conditions()[1].literal.i, 500);
  EXPECT_TRUE(q->conditions()[2].is_intrinsic);
  EXPECT_EQ(q->conditions()[2].intrinsic, Intrinsic::kDuration);
  EXPECT_EQ(q->columns().intrinsics,
            std::vector<Intrinsic>{Intrinsic::kDuration});
  EXPECT_EQ(
      q->columns().select_attributes,
      std::vector<AttributeName>{(AttributeName{Scope::kSpan, "db.system"})});
  ASSERT_EQ(q->hints().size(), 1u);
  EXPECT_EQ(q->hints()[0].name, "most_recent");
  EXPECT_TRUE(q->hints()[0].value.b);
  q = Query::Parse("{ } with(a=1) with(b=2.5, c=\"x\")");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->hints().size(), 2u);
  EXPECT_EQ(q->hints()[0].name, "b");
  EXPECT_EQ(q->hints()[1].value.s, "x");
  EXPECT_NE(ErrorOf("{ } with(a=1) | count() > 1"), "OK");

  q = Query::Parse(R"({ 500 <= span.code || span.x =~ "a.*" } | count() > 2)");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_FALSE(q->all_conditions_required());
  ASSERT_EQ(q->conditions().size(), 2u);
  EXPECT_EQ(q->conditions()[0].op, CompareOp::kGe);  // mirrored
  EXPECT_EQ(q->conditions()[1].op, CompareOp::kRegex);
  EXPECT_EQ(q->conditions()[1].literal.s, "a.*");

  q = Query::Parse("{ span.x = nil && span.y + 1 = 2 }");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->conditions().size(), 2u);
  EXPECT_EQ(q->conditions()[0].op, CompareOp::kAbsent);
  EXPECT_EQ(q->conditions()[1].op, CompareOp::kPresent);
  EXPECT_EQ(q->conditions()[1].attribute.name, "y");
}

// span_conditions(): what every span of every matched spanset satisfies.
TEST(QueryApi, SpanConditionsOfALeadingFilter) {
  // AND mode: the conditions themselves.
  absl::StatusOr<Query> q = Query::Parse("{ span.x = 1 && duration > 1s }");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_TRUE(q->all_conditions_required());
  ASSERT_EQ(q->span_conditions().size(), 2u);
  EXPECT_EQ(q->span_conditions()[0].attribute.name, "x");
  EXPECT_TRUE(q->span_conditions()[1].is_intrinsic);

  // A pipeline's leading filter, in OR mode.
  q = Query::Parse("{ duration > 1s } | count() > 2");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_FALSE(q->all_conditions_required());
  ASSERT_EQ(q->span_conditions().size(), 1u);
  EXPECT_TRUE(q->span_conditions()[0].is_intrinsic);
  EXPECT_EQ(q->span_conditions()[0].intrinsic, Intrinsic::kDuration);
  EXPECT_EQ(q->span_conditions()[0].op, CompareOp::kGt);
  EXPECT_EQ(q->span_conditions()[0].literal.type, ValueType::kDuration);
  EXPECT_EQ(q->span_conditions()[0].literal.i, 1000000000);

  // Only the comparisons joined by `&&` at the top of the filter: `||`,
  // `!`, arithmetic and `= nil` add nothing; `5 < x` is mirrored.
  q = Query::Parse(
      R"({ 5 < span.x && (name = "a" || kind = server) && !(status = error) )"
      R"(&& span.y + 1 > 2 && span.z = nil && span.w != nil && )"
      R"(name =~ "GET.*" && .u = "s" } | by(span.v) | count() > 1)");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_FALSE(q->all_conditions_required());
  ASSERT_EQ(q->span_conditions().size(), 4u);
  EXPECT_EQ(q->span_conditions()[0].attribute,
            (AttributeName{Scope::kSpan, "x"}));
  EXPECT_EQ(q->span_conditions()[0].op, CompareOp::kGt);
  EXPECT_EQ(q->span_conditions()[0].literal.i, 5);
  EXPECT_EQ(q->span_conditions()[1].attribute,
            (AttributeName{Scope::kSpan, "w"}));
  EXPECT_EQ(q->span_conditions()[1].op, CompareOp::kPresent);
  EXPECT_EQ(q->span_conditions()[2].intrinsic, Intrinsic::kName);
  EXPECT_EQ(q->span_conditions()[2].op, CompareOp::kRegex);
  EXPECT_EQ(q->span_conditions()[3].attribute,
            (AttributeName{Scope::kUnscoped, "u"}));
  EXPECT_EQ(q->span_conditions()[3].literal.s, "s");

  // The spans a count() bound after the leading filter asks for.
  for (const auto& [text, want] : std::vector<std::pair<const char*, int>>{
           {"{ duration > 1s } | count() > 2", 3},
           {"{ duration > 1s } | by(kind) | count() >= 4 | coalesce()", 4},
           {"{ duration > 1s } | count() = 2 | avg(duration) > 1s", 2},
           {"{ duration > 1s } | count() > 1 | { kind = server }", 2},
           {"{ duration > 1s } | count() < 5", 1},
           {"{ duration > 1s } | avg(duration) > 2s", 1},
           {"{ duration > 1s } | count() >= 0", 1},
           {"{ span.x = 1 }", 1},
           {"{ span.x = 1 || span.y = 2 } | count() > 4", 5}}) {
    SCOPED_TRACE(text);
    q = Query::Parse(text);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(q->min_matching_spans(), want);
  }

  // No single filter every matched span comes from.
  for (const char* text :
       {"{ span.x = 1 || span.y = 2 } | count() > 1",
        "{ span.x = 1 } && { span.y = 2 }",
        "{ span.x = 1 } >> { span.y = 2 }",
        "({ span.x = 1 } | count() > 1) && { kind = server }",
        "{ } | count() > 1", "count() > 1 | { status = error }",
        "{ !(span.x = 1) } | count() > 1"}) {
    SCOPED_TRACE(text);
    q = Query::Parse(text);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_FALSE(q->all_conditions_required());
    EXPECT_TRUE(q->span_conditions().empty());
  }
}

}  // namespace
}  // namespace andante::traceql
