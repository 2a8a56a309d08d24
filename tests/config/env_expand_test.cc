// ExpandEnv: drone/envsubst semantics (reference/config.md §1.2), with an
// injected environment.
#include <cstdlib>
#include <string>
#include <string_view>

#include "andante/config.h"
#include "fake_env.h"
#include "gtest/gtest.h"

namespace andante {
namespace {

struct Case {
  const char* in;
  const char* want;
};

TEST(ExpandEnvTest, TableFromReference) {
  const EnvLookup env = FakeEnv({{"VAR", "value"},
                                 {"EMPTY", ""},
                                 {"DEF", "fallback"},
                                 {"A", "abcdEFGH28ij"},
                                 {"P", "/home/bozo/ideas/thoughts.for.today"},
                                 {"F", "bash.string.txt"},
                                 {"PATHV", "/path/to/file"},
                                 {"Z", "abcABC123ABCabc"},
                                 {"SL", "foo/bar/baz"}});
  const Case cases[] = {
      {"plain text", "plain text"},
      {"${VAR}", "value"},
      {"x${VAR}y", "xvaluey"},
      {"${UNSET}", ""},
      {"${EMPTY}", ""},
      {"${UNSET:-d}", "d"},
      {"${EMPTY:-d}", "d"},
      {"${VAR:-d}", "value"},
      {"${UNSET:=d}", "d"},
      {"${UNSET=d}", "d"},
      {"${VAR=d}", "value"},
      {"${UNSET:?msg}", "msg"},  // no error in drone/envsubst
      {"${VAR:?msg}", "value"},
      {"${UNSET:+alt}", "alt"},  // behaves like :-
      {"${VAR:+alt}", "value"},  // no "alternate" semantics
      {"${UNSET:-${DEF}}", "fallback"},
      {"${UNSET:-pre${DEF}-post}", "prefallback-post"},
      {"${UNSET:-a:b}", "a:b"},
      {"${UNSET:-}", ""},
      {"$VAR", "$VAR"},
      {"$$", "$"},
      {"$${VAR}", "${VAR}"},
      {"a$$b", "a$b"},
      {"$$${VAR}", "$value"},
      {"$$$$", "$$"},
      {"cost: $5", "cost: $5"},
      {"\\\\", "\\"},
      {"\\/", "/"},
      {"a\\b", "a\\b"},
      {"regex: \\\\d+", "regex: \\d+"},
      {"${#A}", "12"},
      {"${#UNSET}", "0"},
      {"${A^}", "AbcdEFGH28ij"},
      {"${A^^}", "ABCDEFGH28IJ"},
      {"${A,}", "abcdEFGH28ij"},
      {"${A,,}", "abcdefgh28ij"},
      {"${P:11}", "ideas/thoughts.for.today"},
      {"${P:11:5}", "ideas"},
      {"${P:100}", ""},
      {"${F#*.}", "string.txt"},
      {"${F##*.}", "txt"},
      {"${F%.*}", "bash.string"},
      {"${F%%.*}", "bash"},
      {"${PATHV#*/}", "path/to/file"},
      {"${PATHV##*/}", "file"},
      {"${Z/abc/xyz}", "xyzABC123ABCabc"},
      {"${Z//abc/xyz}", "xyzABC123ABCxyz"},
      {"${Z/#abc/XYZ}", "XYZABC123ABCabc"},
      {"${Z/%abc/XYZ}", "abcABC123ABCXYZ"},
      {"${SL//\\//-}", "foo-bar-baz"},
      {"${Z/abc/}", "ABC123ABCabc"},
      {"key: ${VAR} # ${UNSET:-c}", "key: value # c"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> got = ExpandEnv(c.in, env);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(ExpandEnvTest, MalformedIsAnError) {
  const EnvLookup env = FakeEnv({{"VAR", "v"}});
  struct Bad {
    const char* in;
    const char* message;
  };
  const Bad cases[] = {
      {"${VAR-default}", "missing closing brace"},
      {"${VAR+x}", "missing closing brace"},
      {"${VAR", "missing closing brace"},
      {"${", "missing closing brace"},
      {"${VAR:-abc", "missing closing brace"},
      {"${}", "unable to parse variable name"},
      {"${ VAR}", "unable to parse variable name"},
  };
  for (const Bad& b : cases) {
    absl::StatusOr<std::string> got = ExpandEnv(b.in, env);
    ASSERT_FALSE(got.ok()) << b.in << " gave " << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(b.message), std::string::npos)
        << b.in << ": " << got.status();
  }
}

TEST(ExpandEnvTest, NullLookupMeansEmptyEnvironment) {
  absl::StatusOr<std::string> got = ExpandEnv("a${X:-b}c${Y}", EnvLookup());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "abc");
}

TEST(ExpandEnvTest, WholeConfigFile) {
  const EnvLookup env = FakeEnv({{"BUCKET", "traces"}, {"KEY", "s3cr3t"}});
  absl::StatusOr<std::string> got = ExpandEnv(
      "storage:\n  trace:\n    s3:\n      bucket: ${BUCKET}\n"
      "      secret_key: ${KEY}\n      region: ${REGION:-us-east-1}\n",
      env);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got,
            "storage:\n  trace:\n    s3:\n      bucket: traces\n"
            "      secret_key: s3cr3t\n      region: us-east-1\n");
}

// ProcessEnv reads this process's environment; a null lookup means unset.
TEST(ExpandEnvTest, ProcessEnvironment) {
  ASSERT_EQ(setenv("ANDANTE_CONFIG_TEST_VAR", "from-env", 1), 0);
  unsetenv("ANDANTE_CONFIG_TEST_UNSET");
  const EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("ANDANTE_CONFIG_TEST_VAR"), "from-env");
  EXPECT_EQ(env("ANDANTE_CONFIG_TEST_UNSET"), std::nullopt);
  EXPECT_EQ(*ExpandEnv("${ANDANTE_CONFIG_TEST_VAR}/${ANDANTE_CONFIG_TEST_UNSET:-d}",
                       env),
            "from-env/d");
  EXPECT_EQ(*ExpandEnv("${X:-fallback}", EnvLookup()), "fallback");
}

}  // namespace
}  // namespace andante
