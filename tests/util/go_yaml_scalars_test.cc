// go-yaml v2's plain-scalar resolution, with expectations written from Go's
// strconv rules (ParseInt base 0, ParseFloat after yamlStyleFloat) and the
// YAML 1.1 bool table, not from the code under test.
#include "util/go_yaml_scalars.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace andante::internal {
namespace {

TEST(GoYamlScalars, Bools) {
  for (const char* t : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                        "on", "On", "ON"}) {
    EXPECT_EQ(ParseYamlBool(t), true) << t;
  }
  for (const char* f : {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                        "off", "Off", "OFF"}) {
    EXPECT_EQ(ParseYamlBool(f), false) << f;
  }
  for (const char* x : {"", "1", "0", "tRUE", "yES", "t", "enabled"}) {
    EXPECT_FALSE(ParseYamlBool(x).has_value()) << x;
  }
}

TEST(GoYamlScalars, IntegersInEveryBase) {
  struct Case {
    const char* text;
    bool negative;
    uint64_t magnitude;
  };
  for (const Case& c : {Case{"0", false, 0}, Case{"42", false, 42},
                        Case{"+42", false, 42}, Case{"-42", true, 42},
                        Case{"1_000_000", false, 1000000},
                        Case{"0x1F", false, 31}, Case{"0XfF", false, 255},
                        Case{"0o17", false, 15}, Case{"017", false, 15},
                        Case{"0b101", false, 5}, Case{"-0x10", true, 16},
                        Case{"18446744073709551615", false, UINT64_MAX}}) {
    std::optional<YamlInt> n = ParseYamlInt(c.text);
    ASSERT_TRUE(n.has_value()) << c.text;
    EXPECT_EQ(n->negative, c.negative) << c.text;
    EXPECT_EQ(n->magnitude, c.magnitude) << c.text;
  }
  for (const char* x : {"", "+", "-", "0x", "08", "0b2", "1.0", "1e3", "12a",
                        " 1", "18446744073709551616", "--1", "0x-1"}) {
    EXPECT_FALSE(ParseYamlInt(x).has_value()) << x;
  }
}

TEST(GoYamlScalars, Floats) {
  struct Case {
    const char* text;
    double value;
  };
  for (const Case& c :
       {Case{"1.5", 1.5}, Case{"-1.5", -1.5}, Case{".5", 0.5}, Case{"5.", 5.0},
        Case{"1e6", 1e6}, Case{"1E-3", 1e-3}, Case{"+2.5e+2", 250.0},
        Case{"1_000.25", 1000.25}, Case{"7", 7.0}}) {
    std::optional<double> d = ParseYamlFloat(c.text);
    ASSERT_TRUE(d.has_value()) << c.text;
    EXPECT_EQ(*d, c.value) << c.text;
  }
  EXPECT_EQ(ParseYamlFloat(".inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(ParseYamlFloat("-.Inf"), -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParseYamlFloat(".NaN").has_value());
  EXPECT_TRUE(std::isnan(*ParseYamlFloat(".nan")));
  for (const char* x : {"", ".", "e3", "1e", "1.5.2", "0x1p3", "inf", "nan",
                        "1,5", "1.5 "}) {
    EXPECT_FALSE(ParseYamlFloat(x).has_value()) << x;
  }
}

}  // namespace
}  // namespace andante::internal
