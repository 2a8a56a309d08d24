// tempo.yaml loading. Three parts:
//   - ExpandEnv: drone/envsubst's `${...}` dialect (what Tempo runs over the
//     raw file text under -config.expand-env).
//   - ParseConfig: a walk of the yaml-cpp tree against a declarative schema
//     (kSchema below). Every key Tempo documents is in the table, either with
//     a setter into Config, as accepted-but-unsupported (listed in
//     Config::unsupported so the server can warn) or as ignored (cluster
//     plumbing that means nothing in a single binary). A key not in the table
//     is an error, like Go's yaml.UnmarshalStrict.
//   - ParseFlags / LoadConfig: Go `flag` syntax, file, then flags.
//
// Scalars follow go-yaml v2 (YAML 1.1) resolution, not yaml-cpp's: yaml-cpp
// only hands us the text and whether it was quoted.
#include "andante/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "config/flags.h"
#include "config/generator_config.h"
#include "util/go_yaml_scalars.h"
#include "tenant/overrides_yaml.h"
#include "util/strings.h"
#include "yaml-cpp/yaml.h"

namespace andante {
namespace {

using internal::Flags;
using internal::ParseGeneratorConfig;
using internal::ToAbsl;

absl::Status Invalid(std::string_view msg) {
  return absl::InvalidArgumentError(ToAbsl(msg));
}

// ---------------------------------------------------------------------------
// Environment expansion (drone/envsubst as vendored by Tempo).

// glob match used by ${VAR#pat} and friends. Unlike Go's path.Match, `*`
// also matches '/', which is what drone/envsubst's copy does
// (`${f##*/}` of "/a/b/c" is "c").
bool GlobMatch(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0;
  size_t star_p = std::string_view::npos, star_i = 0;
  auto match_one = [&](size_t& pp, char c, bool* ok) -> bool {
    // Returns false on malformed pattern; *ok says whether c matched.
    char pc = pat[pp];
    if (pc == '?') {
      *ok = true;
      ++pp;
      return true;
    }
    if (pc == '\\' && pp + 1 < pat.size()) {
      *ok = pat[pp + 1] == c;
      pp += 2;
      return true;
    }
    if (pc == '[') {
      size_t q = pp + 1;
      bool negate = false;
      if (q < pat.size() && (pat[q] == '^' || pat[q] == '!')) {
        negate = true;
        ++q;
      }
      bool found = false;
      bool first = true;
      while (q < pat.size() && (first || pat[q] != ']')) {
        first = false;
        char lo = pat[q];
        if (lo == '\\' && q + 1 < pat.size()) lo = pat[++q];
        char hi = lo;
        if (q + 2 < pat.size() && pat[q + 1] == '-' && pat[q + 2] != ']') {
          hi = pat[q + 2];
          if (hi == '\\' && q + 3 < pat.size()) hi = pat[++q + 2];
          q += 2;
        }
        if (lo <= c && c <= hi) found = true;
        ++q;
      }
      if (q >= pat.size()) return false;
      pp = q + 1;
      *ok = found != negate;
      return true;
    }
    *ok = pc == c;
    ++pp;
    return true;
  };
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = ++p;
      star_i = i;
      continue;
    }
    if (p < pat.size()) {
      size_t pp = p;
      bool ok = false;
      if (!match_one(pp, s[i], &ok)) return false;
      if (ok) {
        p = pp;
        ++i;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    i = ++star_i;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

std::string Reverse(std::string_view s) {
  return std::string(s.rbegin(), s.rend());
}

// drone/envsubst's trimShortest / trimLongest: never considers the empty
// prefix.
std::string TrimPrefixGlob(std::string_view s, std::string_view pat,
                           bool longest) {
  size_t best = 0;
  for (size_t n = s.size(); n > 0; --n) {
    if (GlobMatch(pat, s.substr(0, n))) {
      best = n;
      if (longest) break;
    }
  }
  return std::string(s.substr(best));
}

class EnvExpander {
 public:
  EnvExpander(std::string_view text, const EnvLookup& env)
      : t_(text), env_(env) {}

  absl::StatusOr<std::string> Run() {
    std::string out;
    while (i_ < t_.size()) {
      char c = t_[i_];
      char next = i_ + 1 < t_.size() ? t_[i_ + 1] : '\0';
      if (c == '$' && next == '$') {  // `$$` -> `$`; `$${X}` stays `${X}`
        out += '$';
        i_ += 2;
      } else if (c == '\\' && (next == '\\' || next == '/')) {
        out += next;
        i_ += 2;
      } else if (c == '$' && next == '{') {
        i_ += 2;
        absl::StatusOr<std::string> v = Func();
        if (!v.ok()) return v.status();
        out += *v;
      } else {
        out += c;
        ++i_;
      }
    }
    return out;
  }

 private:
  static bool IsIdent(char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  bool AtEnd() const { return i_ >= t_.size(); }
  char Peek(size_t k = 0) const {
    return i_ + k < t_.size() ? t_[i_ + k] : '\0';
  }
  std::string Lookup(const std::string& name) const {
    std::optional<std::string> v = env_ ? env_(name) : std::nullopt;
    return v.value_or("");
  }
  absl::Status MissingBrace() const { return Invalid("missing closing brace"); }
  absl::Status BadSubstitution() const { return Invalid("bad substitution"); }

  absl::StatusOr<std::string> Name() {
    size_t start = i_;
    while (!AtEnd() && IsIdent(t_[i_])) ++i_;
    if (i_ == start) {
      if (AtEnd()) return MissingBrace();
      return Invalid("unable to parse variable name");
    }
    return std::string(t_.substr(start, i_ - start));
  }

  absl::Status ConsumeClose() {
    if (Peek() != '}') return AtEnd() ? MissingBrace() : BadSubstitution();
    ++i_;
    return absl::OkStatus();
  }

  // A function argument: text and nested ${...} up to (not including) a char
  // in `stop` or the closing brace. `escapes` enables the `\\`, `\/`
  // collapsing that drone applies inside ${VAR/a/b}.
  absl::StatusOr<std::string> Arg(std::string_view stop, bool escapes) {
    std::string out;
    while (!AtEnd()) {
      char c = t_[i_];
      if (c == '}' || stop.find(c) != std::string_view::npos) return out;
      if (c == '$' && Peek(1) == '{') {
        i_ += 2;
        absl::StatusOr<std::string> v = Func();
        if (!v.ok()) return v.status();
        out += *v;
        continue;
      }
      if (escapes && c == '\\' && (Peek(1) == '\\' || Peek(1) == '/')) {
        out += Peek(1);
        i_ += 2;
        continue;
      }
      out += c;
      ++i_;
    }
    return MissingBrace();
  }

  // Called just after `${`.
  absl::StatusOr<std::string> Func() {
    // Defaults nest (`${A:-${B:-...}}`); bound the recursion.
    if (depth_ >= kMaxDepth) return Invalid("${...} nested too deeply");
    ++depth_;
    absl::StatusOr<std::string> v = FuncBody();
    --depth_;
    return v;
  }

  absl::StatusOr<std::string> FuncBody() {
    if (Peek() == '#') {  // ${#VAR}
      ++i_;
      absl::StatusOr<std::string> name = Name();
      if (!name.ok()) return name.status();
      if (absl::Status s = ConsumeClose(); !s.ok()) return s;
      return absl::StrCat(Lookup(*name).size());
    }
    absl::StatusOr<std::string> name_or = Name();
    if (!name_or.ok()) return name_or.status();
    const std::string name = *name_or;
    const std::string value = Lookup(name);
    if (AtEnd()) return MissingBrace();
    switch (Peek()) {
      case '}':
        ++i_;
        return value;
      case ':':
        if (Peek(1) == '-' || Peek(1) == '=' || Peek(1) == '?' ||
            Peek(1) == '+') {
          i_ += 2;
          return Default(value);
        }
        ++i_;
        return Substring(value);
      case '=':
        ++i_;
        return Default(value);
      case '^':
      case ',':
        return Casing(value);
      case '/':
        return Replace(value);
      case '#':
      case '%':
        return Remove(value);
      default:
        // ${VAR-x}, ${VAR+x}, ${VAR x}: drone stops the name and expects `}`.
        return MissingBrace();
    }
  }

  // ${VAR:-d} ${VAR:=d} ${VAR=d} ${VAR:?d} ${VAR:+d}: all "VAR, or d when
  // empty" in drone/envsubst.
  absl::StatusOr<std::string> Default(const std::string& value) {
    absl::StatusOr<std::string> d = Arg("", false);
    if (!d.ok()) return d.status();
    if (absl::Status s = ConsumeClose(); !s.ok()) return s;
    return value.empty() ? *d : value;
  }

  absl::StatusOr<std::string> Substring(const std::string& s) {
    if (Peek() == '}' || Peek() == ':') return BadSubstitution();
    absl::StatusOr<std::string> a = Arg(":", false);
    if (!a.ok()) return a.status();
    std::optional<std::string> b;
    if (Peek() == ':') {
      ++i_;
      absl::StatusOr<std::string> b_or = Arg("", false);
      if (!b_or.ok()) return b_or.status();
      b = *b_or;
    }
    if (absl::Status st = ConsumeClose(); !st.ok()) return st;
    // bash/drone: an unparsable offset or length returns the value as is.
    long pos = 0;
    auto [p1, e1] = std::from_chars(a->data(), a->data() + a->size(), pos);
    if (e1 != std::errc() || p1 != a->data() + a->size()) return s;
    const long len = static_cast<long>(s.size());
    if (pos < 0) pos = std::max(0L, len + pos);
    if (!b.has_value()) return pos < len ? s.substr(pos) : std::string();
    long n = 0;
    auto [p2, e2] = std::from_chars(b->data(), b->data() + b->size(), n);
    if (e2 != std::errc() || p2 != b->data() + b->size()) return s;
    if (pos >= len || n <= 0) return std::string();
    return s.substr(pos, n);
  }

  absl::StatusOr<std::string> Casing(const std::string& s) {
    std::string op;
    while (op.size() < 2 && (Peek() == '^' || Peek() == ',')) op += t_[i_++];
    if (absl::Status st = ConsumeClose(); !st.ok()) return st;
    std::string out = s;
    if (op == "^^") {
      absl::AsciiStrToUpper(&out);
    } else if (op == ",,") {
      absl::AsciiStrToLower(&out);
    } else if (op == "^" && !out.empty()) {
      out[0] = absl::ascii_toupper(static_cast<unsigned char>(out[0]));
    } else if (op == "," && !out.empty()) {
      out[0] = absl::ascii_tolower(static_cast<unsigned char>(out[0]));
    } else if (op.size() == 2) {
      return BadSubstitution();
    }
    return out;
  }

  absl::StatusOr<std::string> Replace(const std::string& s) {
    ++i_;             // '/'
    char mode = '1';  // first match; '/' all, '#' prefix, '%' suffix
    if (Peek() == '/' || Peek() == '#' || Peek() == '%') mode = t_[i_++];
    absl::StatusOr<std::string> pat = Arg("/", true);
    if (!pat.ok()) return pat.status();
    if (Peek() != '/') return AtEnd() ? MissingBrace() : BadSubstitution();
    ++i_;
    std::string rep;
    if (Peek() != '}') {
      absl::StatusOr<std::string> r = Arg("", true);
      if (!r.ok()) return r.status();
      rep = *r;
    }
    if (absl::Status st = ConsumeClose(); !st.ok()) return st;
    const std::string& p = *pat;
    std::string out = s;
    switch (mode) {
      case '/': {
        if (p.empty()) return out;
        std::string r;
        size_t at = 0;
        for (size_t f; (f = out.find(p, at)) != std::string::npos;
             at = f + p.size()) {
          r.append(out, at, f - at).append(rep);
        }
        return r.append(out, at, std::string::npos);
      }
      case '#':
        if (absl::StartsWith(out, p)) out = rep + out.substr(p.size());
        return out;
      case '%':
        if (absl::EndsWith(out, p)) {
          out = out.substr(0, out.size() - p.size()) + rep;
        }
        return out;
      default: {  // first
        size_t f = out.find(p);
        if (f != std::string::npos) out.replace(f, p.size(), rep);
        return out;
      }
    }
  }

  absl::StatusOr<std::string> Remove(const std::string& s) {
    const char op = t_[i_++];
    bool longest = false;
    if (Peek() == op) {
      longest = true;
      ++i_;
    }
    absl::StatusOr<std::string> pat = Arg("", false);
    if (!pat.ok()) return pat.status();
    if (absl::Status st = ConsumeClose(); !st.ok()) return st;
    if (op == '#') return TrimPrefixGlob(s, *pat, longest);
    // Suffix: drone reverses the string and the pattern.
    return Reverse(TrimPrefixGlob(Reverse(s), Reverse(*pat), longest));
  }

  static constexpr int kMaxDepth = 64;
  std::string_view t_;
  const EnvLookup& env_;
  size_t i_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------
// Scalars.

// Go's time.ParseDuration.
absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view in) {
  const std::string quoted =
      absl::StrCat("time: invalid duration \"", ToAbsl(in), "\"");
  std::string_view s = in;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return Invalid(quoted);
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || absl::ascii_isdigit(s[0]))) return Invalid(quoted);
    uint64_t v = 0;
    size_t k = 0;
    bool overflow = false;
    for (; k < s.size() && absl::ascii_isdigit(s[k]); ++k) {
      if (v > (kMax - 9) / 10) overflow = true;
      v = v * 10 + static_cast<uint64_t>(s[k] - '0');
    }
    if (overflow) return Invalid(quoted);
    const bool pre = k > 0;
    s.remove_prefix(k);
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t m = 0;
      for (; m < s.size() && absl::ascii_isdigit(s[m]); ++m) {
        if (frac <= (kMax - 9) / 10) {  // drop digits past precision
          frac = frac * 10 + static_cast<uint64_t>(s[m] - '0');
          scale *= 10;
        }
      }
      post = m > 0;
      s.remove_prefix(m);
    }
    if (!pre && !post) return Invalid(quoted);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !absl::ascii_isdigit(s[u])) ++u;
    if (u == 0) {
      return Invalid(
          absl::StrCat("time: missing unit in duration \"", ToAbsl(in), "\""));
    }
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t mult = 0;
    if (unit == "ns") {
      mult = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      mult = 1000;
    } else if (unit == "ms") {
      mult = 1000 * 1000;
    } else if (unit == "s") {
      mult = 1000 * 1000 * 1000;
    } else if (unit == "m") {
      mult = uint64_t{60} * 1000 * 1000 * 1000;
    } else if (unit == "h") {
      mult = uint64_t{3600} * 1000 * 1000 * 1000;
    } else {
      return Invalid(absl::StrCat("time: unknown unit \"", ToAbsl(unit),
                                  "\" in duration \"", ToAbsl(in), "\""));
    }
    if (v > kMax / mult) return Invalid(quoted);
    v *= mult;
    if (frac > 0) {
      v += static_cast<uint64_t>(static_cast<double>(frac) *
                                 (static_cast<double>(mult) / scale));
      if (v > kMax) return Invalid(quoted);
    }
    total += v;
    if (total > kMax) return Invalid(quoted);
  }
  if (total == kMax && !neg) return Invalid(quoted);
  const int64_t ns =
      neg ? -static_cast<int64_t>(total - 1) - 1 : static_cast<int64_t>(total);
  return absl::Nanoseconds(ns);
}

// Prometheus model.ParseDuration: one parser, shared with the overrides
// files (tenant/overrides_yaml.h).
using internal::ParsePromDuration;
using internal::ParseYamlBool;
using internal::ParseYamlFloat;
using internal::ParseYamlInt;
using internal::YamlInt;

// Go's strconv.ParseBool, for flags.
std::optional<bool> FlagBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" ||
      s == "True") {
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" ||
      s == "False") {
    return false;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Schema.

enum class Kind {
  kMap,  // a mapping with the listed children
  kAny,  // any value, not looked into (lists, free-form maps, sections
         // we do not implement at all)
  kString,
  kBool,
  kInt,
  kUint,
  kFloat,
  kDuration,      // Go time.Duration: "1h30m", or a bare integer = nanoseconds
  kPromDuration,  // Prometheus model.Duration: "14d", "1w"
};

enum class Action {
  kSet,          // implemented: the setter applies the value
  kUnsupported,  // accepted, listed in Config::unsupported
  kIgnored,      // accepted silently (cluster plumbing, legacy no-ops)
};

// One scalar after type resolution.
struct Value {
  std::string text;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  absl::Duration d;
};

struct ParseContext {
  Config* cfg;
  bool auth_enabled = false;
  std::set<std::string> seen;  // dotted paths present in the document
  int depth = 0;               // Walk recursion depth
};

using Setter = absl::Status (*)(const Value&, ParseContext&);

struct KeySpec {
  // Dotted path. A `{a,b}` group expands to one key per alternative; a last
  // segment ending in `*` matches every key with that prefix.
  const char* path;
  Kind kind;
  Action action;
  Setter set = nullptr;
  const char* alias_of = nullptr;  // same handling as this other path
};

absl::Status CheckPort(int64_t port) {
  if (port < 0 || port > 65535) {
    return Invalid(absl::StrCat("port ", port, " out of range 0-65535"));
  }
  return absl::OkStatus();
}

// "host:port" as the collector listens on it.
absl::Status CheckEndpoint(std::string_view ep) {
  const size_t colon = ep.rfind(':');
  if (colon == std::string_view::npos) {
    return Invalid(
        absl::StrCat("endpoint \"", ToAbsl(ep), "\" is not host:port"));
  }
  std::string_view host = ep.substr(0, colon);
  std::string_view port = ep.substr(colon + 1);
  if (!host.empty() && host.front() == '[' && host.back() != ']') {
    return Invalid(
        absl::StrCat("endpoint \"", ToAbsl(ep), "\" is not host:port"));
  }
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return Invalid(absl::StrCat("endpoint \"", ToAbsl(ep),
                                "\": IPv6 hosts need brackets, [::1]:4317"));
  }
  int p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      p < 0 || p > 65535) {
    return Invalid(
        absl::StrCat("endpoint \"", ToAbsl(ep), "\" has no valid port"));
  }
  return absl::OkStatus();
}

absl::Status SetEndpoint(Listener& l, const Value& v) {
  if (absl::Status s = CheckEndpoint(v.text); !s.ok()) return s;
  l.endpoint = v.text;
  return absl::OkStatus();
}

absl::Status CheckBlockVersion(std::string_view v) {
  // Tempo's format names. Andante has one format of its own; the name only
  // has to be one Tempo would accept.
  if (v == "v2") return absl::OkStatus();
  if (absl::StartsWith(ToAbsl(v), "vParquet")) {
    std::string_view rest = v.substr(8);
    bool digits = true;
    for (char c : rest) digits = digits && absl::ascii_isdigit(c);
    if (digits) return absl::OkStatus();
  }
  return Invalid(absl::StrCat("unknown block version \"", ToAbsl(v),
                              "\" (want vParquet4, vParquet3, ... or v2)"));
}

absl::Status NonNegative(absl::Duration d) {
  return d < absl::ZeroDuration() ? Invalid("must not be negative")
                                  : absl::OkStatus();
}

// "a, b,c" -> {"a", "b", "c"}; empty names dropped.
std::vector<std::string> SplitRing(std::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(ToAbsl(text), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

constexpr std::string_view kTargets[] = {"all",
                                         "scalable-single-binary",
                                         "distributor",
                                         "ingester",
                                         "querier",
                                         "query-frontend",
                                         "compactor",
                                         "metrics-generator",
                                         "metrics-generator-no-local-blocks",
                                         "block-builder",
                                         "live-store",
                                         "backend-scheduler",
                                         "backend-worker",
                                         "all-3.0"};

constexpr std::string_view kBackends[] = {"local", "s3", "gcs", "azure"};

#define ANDANTE_SET(expr)                               \
  [](const Value& v, ParseContext& c) -> absl::Status { \
    (void)v;                                            \
    (void)c;                                            \
    expr;                                               \
    return absl::OkStatus();                            \
  }
#define ANDANTE_CHECK_SET(check, expr)                  \
  [](const Value& v, ParseContext& c) -> absl::Status { \
    (void)c;                                            \
    if (absl::Status s = (check); !s.ok()) return s;    \
    expr;                                               \
    return absl::OkStatus();                            \
  }

#define ANDANTE_SET_ENDPOINT(listener)                \
  [](const Value& v, ParseContext& c) {               \
    return SetEndpoint(c.cfg->receivers.listener, v); \
  }

// queue_size, max_packet_size, workers and socket_buffer_size of one Jaeger
// UDP protocol, each a positive int (socket_buffer_size may be 0).
#define ANDANTE_UDP_KEY(proto, field, min)                                  \
  {"distributor.receivers.jaeger.protocols." #proto "." #field, K::kInt,    \
   kSet,                                                                    \
   ANDANTE_CHECK_SET(                                                       \
       v.i >= (min) && v.i <= (1 << 30)                                     \
           ? absl::OkStatus()                                               \
           : Invalid(absl::StrCat("must be between ", (min), " and ",       \
                                  1 << 30)),                                \
       c.cfg->receivers.jaeger_##proto##_udp.field = static_cast<int>(v.i))}
#define ANDANTE_UDP_KEYS(proto)                    \
  ANDANTE_UDP_KEY(proto, queue_size, 1),           \
      ANDANTE_UDP_KEY(proto, max_packet_size, 1),  \
      ANDANTE_UDP_KEY(proto, workers, 1),          \
      ANDANTE_UDP_KEY(proto, socket_buffer_size, 0)

using K = Kind;
constexpr Action kSet = Action::kSet;
constexpr Action kUns = Action::kUnsupported;
constexpr Action kIgn = Action::kIgnored;

// Every key of tempo.yaml (Tempo 2.10, reference/config.md) plus the legacy
// keys seen in copied configs.
const KeySpec kSchema[] = {
    // --- top level ---------------------------------------------------------
    {"target", K::kString, kSet,
     [](const Value& v, ParseContext& c) -> absl::Status {
       for (absl::string_view t : absl::StrSplit(ToAbsl(v.text), ',')) {
         bool known = false;
         for (std::string_view k : kTargets)
           known = known || k == internal::ToStd(t);
         if (!known) {
           return Invalid(absl::StrCat("unrecognized module name \"", t, "\""));
         }
       }
       c.cfg->target = v.text;
       return absl::OkStatus();
     }},
    {"multitenancy_enabled", K::kBool, kSet,
     ANDANTE_SET(c.cfg->multitenancy_enabled = v.b)},
    {"auth_enabled", K::kBool, kSet, ANDANTE_SET(c.auth_enabled = v.b)},
    {"http_api_prefix", K::kString, kSet,
     ANDANTE_CHECK_SET(
         (v.text.empty() || v.text[0] == '/')
             ? absl::OkStatus()
             : Invalid(absl::StrCat("\"", v.text, "\" must start with '/'")),
         c.cfg->http_api_prefix = v.text)},
    {"shutdown_delay", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->shutdown_delay = v.d)},
    {"stream_over_http_enabled", K::kBool, kSet,
     ANDANTE_SET(c.cfg->stream_over_http_enabled = v.b)},
    {"enable_go_runtime_metrics", K::kBool, kIgn},
    // Legacy (1.x, early 2.x) keys Tempo 2.10 rejects; harmless to accept.
    {"{use_otel_tracer,autocomplete_filtering_enabled,search_enabled,"
     "metrics_generator_enabled}",
     K::kAny, kIgn},
    // Not Tempo keys, but in configs users copy from blog posts (Cortex
    // style `limits`, an `auth` block): accept and warn that they do nothing.
    {"{auth,limits}", K::kAny, kUns},

    // --- server ------------------------------------------------------------
    {"server.http_listen_address", K::kString, kSet,
     ANDANTE_SET(c.cfg->server.http_listen_address = v.text)},
    {"server.http_listen_port", K::kInt, kSet,
     ANDANTE_CHECK_SET(CheckPort(v.i),
                       c.cfg->server.http_listen_port = static_cast<int>(v.i))},
    {"server.grpc_listen_address", K::kString, kSet,
     ANDANTE_SET(c.cfg->server.grpc_listen_address = v.text)},
    {"server.grpc_listen_port", K::kInt, kSet,
     ANDANTE_CHECK_SET(CheckPort(v.i),
                       c.cfg->server.grpc_listen_port = static_cast<int>(v.i))},
    {"server.log_level", K::kString, kSet,
     ANDANTE_CHECK_SET(
         (v.text == "debug" || v.text == "info" || v.text == "warn" ||
          v.text == "error")
             ? absl::OkStatus()
             : Invalid(absl::StrCat("unrecognized log level \"", v.text,
                                    "\" (debug, info, warn, error)")),
         c.cfg->server.log_level = v.text)},
    {"server.log_format", K::kString, kSet,
     ANDANTE_CHECK_SET((v.text == "logfmt" || v.text == "json")
                           ? absl::OkStatus()
                           : Invalid(absl::StrCat("unrecognized log format \"",
                                                  v.text, "\" (logfmt, json)")),
                       c.cfg->server.log_format = v.text)},
    {"server.http_server_read_timeout", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->server.http_server_read_timeout = v.d)},
    {"server.http_server_write_timeout", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->server.http_server_write_timeout = v.d)},
    {"server.http_server_idle_timeout", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->server.http_server_idle_timeout = v.d)},
    {"server.graceful_shutdown_timeout", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->server.graceful_shutdown_timeout = v.d)},
    {"server.grpc_server_max_recv_msg_size", K::kUint, kSet,
     ANDANTE_SET(c.cfg->server.grpc_server_max_recv_msg_size = v.u)},
    {"server.register_instrumentation", K::kBool, kSet,
     ANDANTE_SET(c.cfg->server.register_instrumentation = v.b)},
    {"server.{grpc_server_max_send_msg_size,grpc_server_max_concurrent_streams,"
     "http_listen_conn_limit,grpc_listen_conn_limit}",
     K::kInt, kUns},
    {"server.{http_path_prefix,http_listen_network,grpc_listen_network}",
     K::kString, kUns},
    {"server.{http_tls_config,grpc_tls_config,tls_cipher_suites,"
     "tls_min_version}",
     K::kAny, kUns},
    {"server.{grpc_server_max_connection_idle,grpc_server_max_connection_age,"
     "grpc_server_max_connection_age_grace,grpc_server_keepalive_time,"
     "grpc_server_keepalive_timeout,grpc_server_min_time_between_pings,"
     "grpc_server_ping_without_stream_allowed,grpc_server_num_workers,"
     "log_source_ips_enabled,log_source_ips_header,log_source_ips_regex,"
     "log_request_headers,log_request_at_info_level_enabled,"
     "log_request_exclude_headers_list,http_log_closed_connections_without_"
     "response_enabled,grpc_server_stats_tracking_enabled,"
     "grpc_server_recv_buffer_pools_enabled,http_middleware_"
     "otel_tracing_enabled,proxy_protocol_enabled}",
     K::kAny, kIgn},
    {"internal_server", K::kAny, kUns},

    // --- distributor.receivers ---------------------------------------------
    {"distributor.receivers.otlp", K::kMap, kSet},
    {"distributor.receivers.otlp.protocols", K::kMap, kSet},
    {"distributor.receivers.otlp.protocols.grpc", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.otlp_grpc.enabled = true)},
    {"distributor.receivers.otlp.protocols.grpc.endpoint", K::kString, kSet,
     ANDANTE_SET_ENDPOINT(otlp_grpc)},
    {"distributor.receivers.otlp.protocols.grpc.max_recv_msg_size_mib",
     K::kUint, kSet,
     ANDANTE_CHECK_SET(
         v.u < (uint64_t{1} << 40) ? absl::OkStatus() : Invalid("too large"),
         c.cfg->receivers.otlp_grpc_max_recv_msg_size = v.u << 20)},
    {"distributor.receivers.otlp.protocols.grpc.{tls,keepalive,auth,"
     "max_concurrent_streams,read_buffer_size,write_buffer_size,"
     "include_metadata,transport}",
     K::kAny, kUns},
    {"distributor.receivers.otlp.protocols.http", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.otlp_http.enabled = true)},
    {"distributor.receivers.otlp.protocols.http.endpoint", K::kString, kSet,
     ANDANTE_SET_ENDPOINT(otlp_http)},
    {"distributor.receivers.otlp.protocols.http.traces_url_path", K::kString,
     kSet,
     ANDANTE_CHECK_SET(
         (!v.text.empty() && v.text[0] == '/')
             ? absl::OkStatus()
             : Invalid(absl::StrCat("\"", v.text, "\" must start with '/'")),
         c.cfg->receivers.otlp_http_traces_url_path = v.text)},
    {"distributor.receivers.otlp.protocols.http.max_request_body_size",
     K::kUint, kSet,
     ANDANTE_SET(c.cfg->receivers.otlp_http_max_request_body_size = v.u)},
    {"distributor.receivers.otlp.protocols.http.{cors,tls,auth,"
     "include_metadata,response_headers,compression_algorithms}",
     K::kAny, kUns},
    {"distributor.receivers.otlp.protocols.http.{metrics_url_path,"
     "logs_url_path}",
     K::kString, kIgn},
    {"distributor.receivers.jaeger", K::kMap, kSet},
    {"distributor.receivers.jaeger.protocols", K::kMap, kSet},
    {"distributor.receivers.jaeger.protocols.grpc", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.jaeger_grpc.enabled = true)},
    {"distributor.receivers.jaeger.protocols.grpc.endpoint", K::kString, kSet,
     ANDANTE_SET_ENDPOINT(jaeger_grpc)},
    {"distributor.receivers.jaeger.protocols.grpc.max_recv_msg_size_mib",
     K::kUint, kSet,
     ANDANTE_CHECK_SET(
         v.u < (uint64_t{1} << 40) ? absl::OkStatus() : Invalid("too large"),
         c.cfg->receivers.jaeger_grpc_max_recv_msg_size = v.u << 20)},
    {"distributor.receivers.jaeger.protocols.grpc.{tls,keepalive,auth,"
     "max_concurrent_streams,read_buffer_size,"
     "write_buffer_size,include_metadata,transport}",
     K::kAny, kUns},
    {"distributor.receivers.jaeger.protocols.thrift_http", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.jaeger_thrift_http.enabled = true)},
    {"distributor.receivers.jaeger.protocols.thrift_http.endpoint", K::kString,
     kSet, ANDANTE_SET_ENDPOINT(jaeger_thrift_http)},
    {"distributor.receivers.jaeger.protocols.thrift_http.max_request_body_size",
     K::kUint, kSet,
     ANDANTE_SET(c.cfg->receivers.jaeger_thrift_http_max_request_body_size =
                     v.u)},
    {"distributor.receivers.jaeger.protocols.thrift_http.{cors,tls,auth,"
     "include_metadata,response_headers}",
     K::kAny, kUns},
    {"distributor.receivers.jaeger.protocols.thrift_binary", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.jaeger_thrift_binary.enabled = true)},
    {"distributor.receivers.jaeger.protocols.thrift_binary.endpoint",
     K::kString, kSet, ANDANTE_SET_ENDPOINT(jaeger_thrift_binary)},
    {"distributor.receivers.jaeger.protocols.thrift_compact", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.jaeger_thrift_compact.enabled = true)},
    {"distributor.receivers.jaeger.protocols.thrift_compact.endpoint",
     K::kString, kSet, ANDANTE_SET_ENDPOINT(jaeger_thrift_compact)},
    ANDANTE_UDP_KEYS(thrift_binary),
    ANDANTE_UDP_KEYS(thrift_compact),
    {"distributor.receivers.jaeger.remote_sampling", K::kAny, kUns},
    {"distributor.receivers.zipkin", K::kMap, kSet,
     ANDANTE_SET(c.cfg->receivers.zipkin.enabled = true)},
    {"distributor.receivers.zipkin.endpoint", K::kString, kSet,
     ANDANTE_SET_ENDPOINT(zipkin)},
    {"distributor.receivers.zipkin.parse_string_tags", K::kBool, kUns},
    {"distributor.receivers.zipkin.max_request_body_size", K::kUint, kSet,
     ANDANTE_SET(c.cfg->receivers.zipkin_max_request_body_size = v.u)},
    {"distributor.receivers.zipkin.{cors,tls,auth,include_metadata,"
     "response_headers}",
     K::kAny, kUns},
    {"distributor.receivers.{opencensus,kafka}", K::kAny, kUns},

    // --- distributor (rest) --------------------------------------------------
    {"distributor.{log_received_spans,log_discarded_spans}.{enabled,"
     "include_all_attributes,filter_by_status_error}",
     K::kBool, kUns},
    {"distributor.metric_received_spans.{enabled,root_only}", K::kBool, kUns},
    {"distributor.max_attribute_bytes", K::kInt, kUns},
    {"distributor.retry_after_on_resource_exhausted", K::kDuration, kUns},
    {"distributor.{forwarders,usage}", K::kAny, kUns},
    {"distributor.kafka_write_path_enabled", K::kBool, kUns},
    {"distributor.{extend_writes,ingester_write_path_enabled}", K::kBool, kIgn},
    {"distributor.{ring,override_ring_key,search_tags_deny_list}", K::kAny,
     kIgn},

    // --- ingester ------------------------------------------------------------
    {"ingester.trace_idle_period", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->store.ingester.trace_idle_period = v.d)},
    {"ingester.trace_live_period", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->store.ingester.trace_live_period = v.d)},
    {"ingester.flush_check_period", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->store.ingester.flush_check_period = v.d)},
    {"ingester.max_block_bytes", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_block_bytes = v.u)},
    {"ingester.max_block_duration", K::kDuration, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_block_duration = v.d)},
    // Andante's memory bound (IngesterOptions, andante/options.h).
    {"ingester.max_unflushed_bytes", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_unflushed_bytes = v.u)},
    {"ingester.max_unflushed_bytes_per_tenant", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_unflushed_bytes_per_tenant = v.u)},
    {"ingester.flush_all_on_shutdown", K::kBool, kSet,
     ANDANTE_SET(c.cfg->store.ingester.flush_all_on_shutdown = v.b)},
    // Andante extension (docs/configuration.md): push back with 429 past
    // this many bytes of cut blocks waiting to be built; 0 = never.
    {"ingester.max_pending_block_bytes", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_pending_block_bytes = v.u)},
    {"ingester.{complete_block_timeout,flush_op_timeout}", K::kDuration, kUns},
    // Flush workers; 0 = one per hardware thread, at most 4.
    {"ingester.concurrent_flushes", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 0 && v.i <= 256
                           ? absl::OkStatus()
                           : Invalid("must be between 0 and 256"),
                       c.cfg->store.ingester.concurrent_flushes =
                           static_cast<int>(v.i))},
    // Andante extensions: the trace index bound and the flush retry backoff.
    {"ingester.max_trace_index_bytes", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_trace_index_bytes = v.u)},
    {"ingester.flush_retry_min_backoff", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->store.ingester.flush_retry_min_backoff = v.d)},
    {"ingester.flush_retry_max_backoff", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->store.ingester.flush_retry_max_backoff = v.d)},
    {"ingester.flush_object_storage", K::kBool, kUns},
    {"ingester.{lifecycler,partition_ring,override_ring_key,"
     "autocomplete_filtering_enabled,use_flatbuffer_search}",
     K::kAny, kIgn},

    // --- compactor -----------------------------------------------------------
    {"compactor.disabled", K::kBool, kSet,
     ANDANTE_SET(c.cfg->compactor_disabled = v.b)},
    {"compactor.compaction.block_retention", K::kDuration, kSet,
     ANDANTE_CHECK_SET(NonNegative(v.d),
                       c.cfg->compaction.block_retention = v.d)},
    // Not a Tempo key (only a metric name) but in circulating configs.
    {"compactor.compaction.retention_duration", K::kDuration, kSet, nullptr,
     "compactor.compaction.block_retention"},
    {"compactor.compaction.compacted_block_retention", K::kDuration, kSet,
     ANDANTE_CHECK_SET(NonNegative(v.d),
                       c.cfg->compaction.compacted_block_retention = v.d)},
    {"compactor.compaction.compaction_window", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("compaction window can't be 0"),
                       c.cfg->compaction.compaction_window = v.d)},
    {"compactor.compaction.compaction_cycle", K::kDuration, kSet,
     // 0 means the default, as in Tempo.
     ANDANTE_CHECK_SET(NonNegative(v.d),
                       c.cfg->compaction.compaction_cycle =
                           v.d > absl::ZeroDuration() ? v.d
                                                      : absl::Seconds(30))},
    {"compactor.compaction.max_time_per_tenant", K::kDuration, kUns},
    {"compactor.compaction.max_compaction_objects", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i > 0 ? absl::OkStatus() : Invalid("must be > 0"),
                       c.cfg->compaction.max_compaction_objects =
                           static_cast<uint64_t>(v.i))},
    {"compactor.compaction.max_block_bytes", K::kUint, kSet,
     ANDANTE_CHECK_SET(v.u > 0 ? absl::OkStatus() : Invalid("must be > 0"),
                       c.cfg->compaction.max_block_bytes = v.u)},
    {"compactor.compaction.v2_in_buffer_bytes", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i > 0 ? absl::OkStatus() : Invalid("must be > 0"),
                       c.cfg->compaction.v2_in_buffer_bytes =
                           static_cast<uint64_t>(v.i))},
    {"compactor.compaction.retention_concurrency", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i > 0 && v.i <= 1024
                           ? absl::OkStatus()
                           : Invalid("must be between 1 and 1024"),
                       c.cfg->compaction.retention_concurrency =
                           static_cast<int>(v.i))},
    // Andante extensions (docs/configuration.md): how many blocks one
    // compaction job merges.
    {"compactor.compaction.min_input_blocks", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 2 && v.i <= 1024
                           ? absl::OkStatus()
                           : Invalid("must be between 2 and 1024"),
                       c.cfg->compaction.min_input_blocks =
                           static_cast<int>(v.i))},
    {"compactor.compaction.max_input_blocks", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 2 && v.i <= 1024
                           ? absl::OkStatus()
                           : Invalid("must be between 2 and 1024"),
                       c.cfg->compaction.max_input_blocks =
                           static_cast<int>(v.i))},
    {"compactor.compaction.incomplete_block_timeout", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->compaction.incomplete_block_timeout = v.d)},
    // Output pages stream; one job runs at a time.
    {"compactor.compaction.{v2_out_buffer_bytes,v2_prefetch_traces_count}",
     K::kInt, kUns},
    // 1.x names of the v2_* buffers.
    {"compactor.compaction.{chunk_size_bytes,flush_size_bytes,"
     "iterator_buffer_size}",
     K::kAny, kIgn},
    // This instance's ID (default: the host name) and, an Andante key, every
    // instance sharing the bucket, comma-separated (docs/compaction.md):
    // they replace Tempo's ring, which needs memberlist.
    {"compactor.ring.instance_id", K::kString, kSet,
     ANDANTE_SET(c.cfg->instance_id = v.text)},
    {"compactor.ring.instance_ring", K::kString, kSet,
     ANDANTE_SET(c.cfg->instance_ring = SplitRing(v.text))},
    {"compactor.ring.{kvstore,heartbeat_period,heartbeat_timeout,"
     "wait_stability_min_duration,wait_stability_max_duration,"
     "instance_interface_names,instance_addr,instance_port,enable_inet6,"
     "wait_active_instance_timeout}",
     K::kAny, kIgn},
    {"compactor.override_ring_key", K::kAny, kIgn},

    // --- storage.trace -------------------------------------------------------
    {"storage.trace.backend", K::kString, kSet,
     ANDANTE_CHECK_SET(
         [&]() {
           for (std::string_view b : kBackends) {
             if (v.text == b) return absl::OkStatus();
           }
           return Invalid(absl::StrCat("unknown backend \"", v.text,
                                       "\" (local, s3, gcs, azure)"));
         }(),
         c.cfg->backend = v.text)},
    {"storage.trace.local.path", K::kString, kSet,
     ANDANTE_SET(c.cfg->local_path = v.text)},
    {"storage.trace.wal.path", K::kString, kSet,
     ANDANTE_SET(c.cfg->store.wal.path = v.text)},
    // Andante extensions (docs/configuration.md): WalOptions one to one.
    {"storage.trace.wal.fsync", K::kString, kSet,
     ANDANTE_CHECK_SET(
         (v.text == "always" || v.text == "interval" || v.text == "never")
             ? absl::OkStatus()
             : Invalid(absl::StrCat("unknown fsync policy \"", v.text,
                                    "\" (always, interval, never)")),
         c.cfg->store.wal.fsync = v.text == "always" ? WalFsync::kAlways
                                  : v.text == "never" ? WalFsync::kNever
                                                      : WalFsync::kInterval)},
    {"storage.trace.wal.fsync_interval", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->store.wal.fsync_interval = v.d)},
    {"storage.trace.wal.segment_bytes", K::kUint, kSet,
     ANDANTE_CHECK_SET(v.u >= 4096 ? absl::OkStatus()
                                   : Invalid("must be at least 4096"),
                       c.cfg->store.wal.segment_bytes = v.u)},
    {"storage.trace.wal.max_open_files", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.wal.max_open_files = v.u)},
    {"storage.trace.wal.sync_threads", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i > 0 && v.i <= 1024
                           ? absl::OkStatus()
                           : Invalid("must be between 1 and 1024"),
                       c.cfg->store.wal.sync_threads = static_cast<int>(v.i))},
    {"storage.trace.wal.version", K::kString, kSet,
     ANDANTE_CHECK_SET(CheckBlockVersion(v.text), (void)0)},
    // Tempo's columnar vParquet* -> Andante's columnar block format 2;
    // Tempo's row format "v2" -> Andante's row format 1.
    {"storage.trace.block.version", K::kString, kSet,
     ANDANTE_CHECK_SET(CheckBlockVersion(v.text),
                       c.cfg->store.block.version = v.text == "v2" ? 1 : 2)},
    {"storage.trace.block.bloom_filter_false_positive", K::kFloat, kSet,
     ANDANTE_CHECK_SET((v.f > 0 && v.f < 1)
                           ? absl::OkStatus()
                           : Invalid("must be between 0 and 1, exclusive"),
                       c.cfg->store.block.bloom_filter_false_positive = v.f)},
    {"storage.trace.block.bloom_filter_shard_size_bytes", K::kUint, kSet,
     ANDANTE_CHECK_SET(v.u > 0 ? absl::OkStatus() : Invalid("must be > 0"),
                       c.cfg->store.block.bloom_filter_shard_size_bytes = v.u)},
    // Andante extensions (docs/configuration.md): BlockOptions and the
    // block cache.
    {"storage.trace.block.page_size_bytes", K::kUint, kSet,
     ANDANTE_CHECK_SET(v.u >= 1024 && v.u <= (uint64_t{1} << 30)
                           ? absl::OkStatus()
                           : Invalid("must be between 1024 and 1073741824"),
                       c.cfg->store.block.page_size_bytes = v.u)},
    {"storage.trace.block.zstd_level", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 1 && v.i <= 19
                           ? absl::OkStatus()
                           : Invalid("must be between 1 and 19"),
                       c.cfg->store.block.zstd_level = static_cast<int>(v.i))},
    {"storage.trace.block_cache_bytes", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.block_cache_bytes = v.u)},
    {"storage.trace.wal.{v2_encoding,search_encoding}", K::kString, kUns},
    {"storage.trace.wal.ingestion_time_range_slack", K::kDuration, kUns},
    {"storage.trace.wal.{encoding,completedfilepath,blocksfilepath}", K::kAny,
     kIgn},  // 1.x
    {"storage.trace.block.{v2_index_downsample_bytes,v2_index_page_size_bytes,"
     "search_page_size_bytes,parquet_row_group_size_bytes}",
     K::kInt, kUns},
    {"storage.trace.block.{v2_encoding,search_encoding}", K::kString, kUns},
    {"storage.trace.block.parquet_dedicated_columns", K::kAny, kUns},
    {"storage.trace.block.{index_downsample_bytes,index_page_size_bytes,"
     "encoding}",
     K::kAny, kIgn},  // 1.x
    {"storage.trace.pool.max_workers", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i > 0 ? absl::OkStatus() : Invalid("must be > 0"),
                       c.cfg->s3.max_workers = static_cast<int>(
                           std::min<int64_t>(v.i, 1 << 20)))},
    {"storage.trace.pool.queue_depth", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 0 ? absl::OkStatus() : Invalid("must be >= 0"),
                       c.cfg->s3.queue_depth = static_cast<int>(
                           std::min<int64_t>(v.i, 1 << 30)))},
    {"storage.trace.blocklist_poll", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->store.blocklist.blocklist_poll = v.d)},
    {"storage.trace.blocklist_poll_tenant_index_builders", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i > 0 && v.i <= 1024
                           ? absl::OkStatus()
                           : Invalid("must be between 1 and 1024"),
                       c.cfg->store.blocklist
                           .blocklist_poll_tenant_index_builders =
                           static_cast<int>(v.i))},
    {"storage.trace.{blocklist_poll_concurrency,blocklist_poll_jitter_ms,"
     "blocklist_poll_tolerate_consecutive_errors,"
     "blocklist_poll_tolerate_tenant_failures}",
     K::kInt, kUns},
    {"storage.trace.blocklist_poll_fallback", K::kBool, kSet,
     ANDANTE_SET(c.cfg->store.blocklist.blocklist_poll_fallback = v.b)},
    {"storage.trace.blocklist_poll_stale_tenant_index", K::kDuration, kSet,
     ANDANTE_CHECK_SET(NonNegative(v.d),
                       c.cfg->store.blocklist
                           .blocklist_poll_stale_tenant_index = v.d)},
    {"storage.trace.{blocklist_poll_tenant_index_builder_timeout,"
     "empty_tenant_deletion_age}",
     K::kDuration, kUns},
    {"storage.trace.{empty_tenant_deletion_enabled}", K::kBool, kUns},
    {"storage.trace.{search,cache,memcached,redis,background_cache,"
     "cache_min_compaction_level,cache_max_block_age}",
     K::kAny, kUns},
    // storage.trace.s3: what the S3 backend implements is set; TLS
    // details it cannot apply through libcurl, hedging, SSE, tags and
    // metadata are accepted and reported.
    {"storage.trace.s3.bucket", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.bucket = v.text)},
    {"storage.trace.s3.prefix", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.prefix = v.text)},
    {"storage.trace.s3.endpoint", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.endpoint = v.text)},
    {"storage.trace.s3.region", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.region = v.text)},
    {"storage.trace.s3.access_key", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.access_key = v.text)},
    {"storage.trace.s3.secret_key", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.secret_key = v.text)},
    {"storage.trace.s3.session_token", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.session_token = v.text)},
    {"storage.trace.s3.storage_class", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.storage_class = v.text)},
    {"storage.trace.s3.tls_cert_path", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.tls_cert_path = v.text)},
    {"storage.trace.s3.tls_key_path", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.tls_key_path = v.text)},
    {"storage.trace.s3.tls_ca_path", K::kString, kSet,
     ANDANTE_SET(c.cfg->s3.tls_ca_path = v.text)},
    {"storage.trace.s3.{tls_server_name,tls_min_version,tls_cipher_suites}",
     K::kString, kUns},
    {"storage.trace.s3.insecure", K::kBool, kSet,
     ANDANTE_SET(c.cfg->s3.insecure = v.b)},
    {"storage.trace.s3.forcepathstyle", K::kBool, kSet,
     ANDANTE_SET(c.cfg->s3.forcepathstyle = v.b)},
    {"storage.trace.s3.tls_insecure_skip_verify", K::kBool, kSet,
     ANDANTE_SET(c.cfg->s3.tls_insecure_skip_verify = v.b)},
    // Andante-only: for stores with incomplete delimiter listings (s3rver).
    {"storage.trace.s3.list_with_delimiter", K::kBool, kSet,
     ANDANTE_SET(c.cfg->s3.list_with_delimiter = v.b)},
    // Andante extensions (docs/configuration.md): S3Options' listing,
    // retry and timeout settings.
    {"storage.trace.s3.list_objects_v1", K::kBool, kSet,
     ANDANTE_SET(c.cfg->s3.list_objects_v1 = v.b)},
    {"storage.trace.s3.list_max_keys", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 1 && v.i <= 1000
                           ? absl::OkStatus()
                           : Invalid("must be between 1 and 1000"),
                       c.cfg->s3.list_max_keys = static_cast<int>(v.i))},
    {"storage.trace.s3.max_retries", K::kInt, kSet,
     ANDANTE_CHECK_SET(v.i >= 0 && v.i <= 100
                           ? absl::OkStatus()
                           : Invalid("must be between 0 and 100"),
                       c.cfg->s3.max_retries = static_cast<int>(v.i))},
    {"storage.trace.s3.min_backoff", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->s3.min_backoff = v.d)},
    {"storage.trace.s3.max_backoff", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->s3.max_backoff = v.d)},
    {"storage.trace.s3.connect_timeout", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->s3.connect_timeout = v.d)},
    {"storage.trace.s3.request_timeout", K::kDuration, kSet,
     ANDANTE_CHECK_SET(v.d > absl::ZeroDuration()
                           ? absl::OkStatus()
                           : Invalid("must be positive"),
                       c.cfg->s3.request_timeout = v.d)},
    {"storage.trace.s3.{signature_v2,enable_dual_stack,"
     "native_aws_auth_enabled}",
     K::kBool, kUns},
    {"storage.trace.s3.bucket_lookup_type", K::kInt, kSet,
     ANDANTE_CHECK_SET(
         v.i >= 0 && v.i <= 2
             ? absl::OkStatus()
             : Invalid("must be 0 (auto), 1 (virtual host) or 2 (path)"),
         c.cfg->s3.bucket_lookup = static_cast<S3BucketLookup>(v.i))},
    {"storage.trace.s3.{hedge_requests_up_to,list_blocks_concurrency}",
     K::kInt, kUns},
    {"storage.trace.s3.part_size", K::kUint, kSet,
     ANDANTE_SET(c.cfg->s3.part_size = v.u)},
    {"storage.trace.s3.hedge_requests_at", K::kDuration, kUns},
    {"storage.trace.s3.{tags,metadata,sse}", K::kAny, kUns},
    {"storage.trace.gcs.{bucket_name,prefix,endpoint,object_cache_control}",
     K::kString, kUns},
    {"storage.trace.gcs.insecure", K::kBool, kUns},
    {"storage.trace.gcs.{chunk_buffer_size,hedge_requests_up_to,"
     "list_blocks_concurrency,max_retries}",
     K::kInt, kUns},
    {"storage.trace.gcs.hedge_requests_at", K::kDuration, kUns},
    {"storage.trace.gcs.object_metadata", K::kAny, kUns},
    {"storage.trace.azure.{container_name,prefix,endpoint_suffix,"
     "storage_account_name,storage_account_key,user_assigned_id}",
     K::kString, kUns},
    {"storage.trace.azure.{use_managed_identity,use_federated_token}", K::kBool,
     kUns},
    {"storage.trace.azure.{max_buffers,buffer_size,hedge_requests_up_to}",
     K::kInt, kUns},
    {"storage.trace.azure.hedge_requests_at", K::kDuration, kUns},
    // 1.x hyphenated azure keys.
    {"storage.trace.azure.{container-name,storage-account-name,"
     "storage-account-key,endpoint-suffix,max-buffers,buffer-size,"
     "hedge-requests-at,hedge-requests-up-to,use-managed-identity}",
     K::kAny, kUns},

    // --- query path ----------------------------------------------------------
    {"querier.max_concurrent_queries", K::kInt, kUns},
    {"querier.{search,trace_by_id,metrics}.query_timeout", K::kDuration, kUns},
    {"querier.search.{prefer_self,external_endpoints,external_backend,"
     "external_hedge_requests_at,external_hedge_requests_up_to,"
     "cloud_run,google_cloud_run}",
     K::kAny, kIgn},
    {"querier.query_relevant_ingesters", K::kBool, kUns},
    {"querier.{frontend_worker,secondary_ingester_ring,query_live_store,"
     "shuffle_sharding_ingesters_enabled,"
     "shuffle_sharding_ingesters_lookback_period,partition_ring}",
     K::kAny, kIgn},
    {"query_frontend.{max_outstanding_per_tenant,max_retries,"
     "max_query_expression_size_bytes,max_batch_size}",
     K::kInt, kUns},
    {"query_frontend.multi_tenant_queries_enabled", K::kBool, kUns},
    {"query_frontend.api_timeout", K::kDuration, kUns},
    {"query_frontend.{url_deny_list,weights,mcp_server,"
     "log_query_request_headers}",
     K::kAny, kUns},
    {"query_frontend.rf1_after", K::kAny, kIgn},
    {"query_frontend.search.{default_result_limit,max_result_limit,"
     "default_spans_per_span_set,max_spans_per_span_set,concurrent_jobs,"
     "target_bytes_per_job,ingester_shards,most_recent_shards}",
     K::kInt, kUns},
    {"query_frontend.search.{max_duration,query_backend_after,"
     "query_ingesters_until,duration_slo}",
     K::kDuration, kUns},
    {"query_frontend.search.throughput_bytes_slo", K::kFloat, kUns},
    {"query_frontend.search.metadata_slo.duration_slo", K::kDuration, kUns},
    {"query_frontend.search.metadata_slo.throughput_bytes_slo", K::kFloat,
     kUns},
    {"query_frontend.trace_by_id.{query_shards,concurrent_shards,"
     "hedge_requests_up_to}",
     K::kInt, kUns},
    {"query_frontend.trace_by_id.{duration_slo,hedge_requests_at}",
     K::kDuration, kUns},
    {"query_frontend.trace_by_id.throughput_bytes_slo", K::kFloat, kUns},
    {"query_frontend.metrics.{max_exemplars,max_response_series,max_intervals,"
     "concurrent_jobs,target_bytes_per_job,streaming_shards}",
     K::kInt, kUns},
    {"query_frontend.metrics.{max_duration,query_backend_after,interval,"
     "duration_slo}",
     K::kDuration, kUns},
    {"query_frontend.metrics.throughput_bytes_slo", K::kFloat, kUns},

    // --- metrics_generator
    // -----------------------------------------------------
    // The implemented keys are read by ParseGeneratorConfig
    // (generator_config.cc) from the document; the walk only accepts them.
    {"metrics_generator.registry.external_labels", K::kAny, kIgn},
    {"metrics_generator.registry.{collection_interval,stale_duration}",
     K::kDuration, kIgn},
    {"metrics_generator.registry.inject_tenant_id_as", K::kString, kIgn},
    {"metrics_generator.registry.{max_label_name_length,"
     "max_label_value_length}",
     K::kInt, kIgn},
    {"metrics_generator.storage.path", K::kString, kIgn},
    {"metrics_generator.storage.remote_write", K::kAny, kIgn},
    {"metrics_generator.storage.wal", K::kAny, kUns},
    {"metrics_generator.storage.remote_write_add_org_id_header", K::kBool,
     kIgn},
    {"metrics_generator.storage.remote_write_flush_deadline", K::kDuration,
     kIgn},
    {"metrics_generator.{traces_storage,traces_query_storage}", K::kAny, kUns},
    {"metrics_generator.processor.{service_graphs,span_metrics}", K::kAny,
     kIgn},
    {"metrics_generator.processor.{local_blocks,host_info}", K::kAny, kUns},
    {"metrics_generator.metrics_ingestion_time_range_slack", K::kDuration,
     kIgn},
    {"metrics_generator.query_timeout", K::kDuration, kUns},
    {"metrics_generator.{codec,ingest_concurrency,instance_id,"
     "assigned_partitions,consumer}",
     K::kAny, kUns},
    {"metrics_generator.{ring,override_ring_key}", K::kAny, kIgn},

    // --- overrides (new form, main file) ------------------------------------
    {"overrides.defaults.global.max_bytes_per_trace", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_bytes_per_trace = v.u)},
    {"overrides.defaults.ingestion.rate_strategy", K::kString, kIgn},
    {"overrides.defaults.ingestion.{rate_limit_bytes,burst_size_bytes,"
     "max_traces_per_user,max_global_traces_per_user,max_attribute_bytes,"
     "tenant_shard_size}",
     K::kInt, kIgn},  // overrides_yaml.cc
    {"overrides.defaults.ingestion.artificial_delay", K::kDuration, kUns},
    {"overrides.defaults.ingestion.retry_info_enabled", K::kBool, kUns},
    {"overrides.defaults.read.{max_bytes_per_tag_values_query,"
     "max_blocks_per_tag_values_query}",
     K::kInt, kIgn},
    {"overrides.defaults.read.max_search_duration", K::kPromDuration, kIgn},
    {"overrides.defaults.read.max_metrics_duration", K::kPromDuration, kUns},
    {"overrides.defaults.read.{unsafe_query_hints,left_pad_trace_ids}",
     K::kBool, kUns},
    // The defaults every tenant gets: a non-zero block_retention wins over
    // the compactor's (per-tenant files are not read yet).
    {"overrides.defaults.compaction.block_retention", K::kPromDuration, kSet,
     ANDANTE_CHECK_SET(NonNegative(v.d),
                       c.cfg->overrides_block_retention = v.d)},
    {"overrides.defaults.compaction.compaction_window", K::kPromDuration,
     kUns},
    {"overrides.defaults.compaction.compaction_disabled", K::kBool, kUns},
    {"overrides.defaults.metrics_generator", K::kAny, kIgn},  // generator_config
    {"overrides.defaults.{forwarders,storage,cost_attribution}", K::kAny,
     kUns},
    {"overrides.per_tenant_override_config", K::kString, kIgn},
    {"overrides.per_tenant_override_period", K::kPromDuration, kIgn},
    {"overrides.user_configurable_overrides", K::kAny, kUns},
    // --- overrides (legacy flat form) --------------------------------------
    {"overrides.max_bytes_per_trace", K::kUint, kSet,
     ANDANTE_SET(c.cfg->store.ingester.max_bytes_per_trace = v.u)},
    {"overrides.ingestion_rate_strategy", K::kString, kIgn},
    {"overrides.metrics_generator_generate_native_histograms", K::kString,
     kUns},
    {"overrides.metrics_generator_trace_id_label_name", K::kString, kIgn},
    {"overrides.{ingestion_rate_limit_bytes,ingestion_burst_size_bytes,"
     "max_traces_per_user,max_global_traces_per_user,"
     "ingestion_tenant_shard_size,ingestion_max_attribute_bytes,"
     "max_bytes_per_tag_values_query,max_blocks_per_tag_values_query}",
     K::kInt, kIgn},  // overrides_yaml.cc
    {"overrides.{metrics_generator_ring_size,"
     "metrics_generator_forwarder_queue_size,"
     "metrics_generator_forwarder_workers}",
     K::kInt, kUns},
    {"overrides.{ingestion_artificial_delay,"
     "metrics_generator_ingestion_time_range_slack}",
     K::kDuration, kUns},
    // Read by ParseGeneratorConfig.
    {"overrides.metrics_generator_max_active_series", K::kInt, kIgn},
    {"overrides.metrics_generator_collection_interval", K::kDuration, kIgn},
    {"overrides.metrics_generator_processors", K::kAny, kIgn},
    {"overrides.max_search_duration", K::kPromDuration, kIgn},
    {"overrides.{max_metrics_duration,compaction_window}", K::kPromDuration,
     kUns},
    {"overrides.block_retention", K::kPromDuration, kSet,
     ANDANTE_CHECK_SET(NonNegative(v.d),
                       c.cfg->overrides_block_retention = v.d)},
    {"overrides.{ingestion_retry_info_enabled,compaction_disabled,"
     "metrics_generator_disable_collection}",
     K::kBool, kUns},
    {"overrides.{"
     "metrics_generator_remote_write_headers,forwarders,"
     "parquet_dedicated_columns,cost_attribution,"
     "metrics_generator_processor_*}",
     K::kAny, kUns},
    {"overrides.{max_search_bytes_per_trace,search_tags_allow_list}", K::kAny,
     kIgn},  // 1.x

    // --- everything else
    // ------------------------------------------------------
    {"{cache,ingest,block_builder,live_store,backend_scheduler,"
     "backend_worker}",
     K::kAny, kUns},
    {"{memberlist,usage_report,ingester_client,metrics_generator_client,"
     "live_store_client,backend_scheduler_client,partition_ring_live_store}",
     K::kAny, kIgn},
};

#undef ANDANTE_SET
#undef ANDANTE_SET_ENDPOINT
#undef ANDANTE_CHECK_SET

struct SchemaNode {
  Kind kind = Kind::kMap;
  Action action = Action::kIgnored;
  Setter set = nullptr;
  std::map<std::string, std::unique_ptr<SchemaNode>, std::less<>> children;
  // Children matched by key prefix (a last path segment ending in '*').
  std::vector<std::pair<std::string, std::unique_ptr<SchemaNode>>> prefixed;

  const SchemaNode* Child(std::string_view key) const {
    if (auto it = children.find(key); it != children.end()) {
      return it->second.get();
    }
    for (const auto& [prefix, node] : prefixed) {
      if (absl::StartsWith(ToAbsl(key), prefix)) return node.get();
    }
    return nullptr;
  }
};

// "a.{b,c}.d" -> {"a.b.d", "a.c.d"}.
void ExpandBraces(const std::string& path, std::vector<std::string>* out) {
  const size_t open = path.find('{');
  if (open == std::string::npos) {
    out->push_back(path);
    return;
  }
  const size_t close = path.find('}', open);
  const std::string head = path.substr(0, open);
  const std::string tail = path.substr(close + 1);
  for (absl::string_view alt :
       absl::StrSplit(path.substr(open + 1, close - open - 1), ',')) {
    ExpandBraces(absl::StrCat(head, alt, tail), out);
  }
}

SchemaNode* Insert(SchemaNode* root, const std::string& path) {
  SchemaNode* n = root;
  for (absl::string_view seg : absl::StrSplit(path, '.')) {
    if (absl::EndsWith(seg, "*")) {
      n->prefixed.emplace_back(std::string(seg.substr(0, seg.size() - 1)),
                               std::make_unique<SchemaNode>());
      n = n->prefixed.back().second.get();
      continue;
    }
    std::unique_ptr<SchemaNode>& child = n->children[std::string(seg)];
    if (!child) child = std::make_unique<SchemaNode>();
    n = child.get();
  }
  return n;
}

const SchemaNode* Find(const SchemaNode* root, std::string_view path) {
  const SchemaNode* n = root;
  for (absl::string_view seg : absl::StrSplit(ToAbsl(path), '.')) {
    n = n->Child(internal::ToStd(seg));
    if (n == nullptr) return nullptr;
  }
  return n;
}

const SchemaNode& Schema() {
  static const SchemaNode* const root = [] {
    auto* r = new SchemaNode();
    for (const KeySpec& spec : kSchema) {
      std::vector<std::string> paths;
      ExpandBraces(spec.path, &paths);
      for (const std::string& p : paths) {
        SchemaNode* n = Insert(r, p);
        n->kind = spec.kind;
        n->action = spec.action;
        n->set = spec.set;
      }
    }
    for (const KeySpec& spec : kSchema) {
      if (spec.alias_of == nullptr) continue;
      const SchemaNode* target = Find(r, spec.alias_of);
      SchemaNode* n = Insert(r, spec.path);
      n->kind = target->kind;
      n->action = target->action;
      n->set = target->set;
    }
    return r;
  }();
  return *root;
}

// ---------------------------------------------------------------------------
// Walking the document.

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kMap:
      return "mapping";
    case Kind::kAny:
      return "value";
    case Kind::kString:
      return "string";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint:
      return "uint64";
    case Kind::kFloat:
      return "float64";
    case Kind::kDuration:
      return "time.Duration";
    case Kind::kPromDuration:
      return "model.Duration";
  }
  return "value";
}

// Resolves a scalar to `kind`. `quoted` (YAML) marks a non-plain scalar, which
// go-yaml v2 only accepts into string-like fields. `from_flag` switches to Go
// flag parsing rules.
absl::StatusOr<Value> ConvertScalar(Kind kind, const std::string& text,
                                    bool quoted, bool from_flag) {
  Value v;
  v.text = text;
  const std::string shown =
      absl::StrCat(quoted ? "!!str " : "", "`", text, "`");
  auto cannot = [&]() {
    return Invalid(
        absl::StrCat("cannot unmarshal ", shown, " into ", KindName(kind)));
  };
  switch (kind) {
    case Kind::kMap:
    case Kind::kAny:
    case Kind::kString:
      return v;
    case Kind::kBool: {
      std::optional<bool> b;
      if (from_flag) {
        b = FlagBool(text);
      } else if (!quoted) {
        b = ParseYamlBool(text);
      }
      if (!b.has_value()) return cannot();
      v.b = *b;
      return v;
    }
    case Kind::kInt:
    case Kind::kUint: {
      if (quoted) return cannot();
      std::optional<YamlInt> n = ParseYamlInt(text);
      if (!n.has_value()) {
        // go-yaml v2 truncates a float into an integer field.
        std::optional<double> f =
            from_flag ? std::nullopt : ParseYamlFloat(text);
        if (!f.has_value() || !(*f > -9.2e18 && *f < 9.2e18)) return cannot();
        n = YamlInt{*f < 0, static_cast<uint64_t>(*f < 0 ? -*f : *f)};
      }
      if (kind == Kind::kUint) {
        if (n->negative && n->magnitude != 0) return cannot();
        v.u = n->magnitude;
        return v;
      }
      const uint64_t limit =
          n->negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
      if (n->magnitude > limit) return cannot();
      v.i = n->negative ? static_cast<int64_t>(0 - n->magnitude)
                        : static_cast<int64_t>(n->magnitude);
      return v;
    }
    case Kind::kFloat: {
      if (quoted) return cannot();
      std::optional<double> f = ParseYamlFloat(text);
      if (!f.has_value()) {
        std::optional<YamlInt> n = ParseYamlInt(text);
        if (!n.has_value()) return cannot();
        f = n->negative ? -static_cast<double>(n->magnitude)
                        : static_cast<double>(n->magnitude);
      }
      v.f = *f;
      return v;
    }
    case Kind::kDuration: {
      if (!quoted && !from_flag) {
        // A plain integer is a number of nanoseconds, as go-yaml stores it
        // straight into the int64 under time.Duration.
        if (std::optional<YamlInt> n = ParseYamlInt(text); n.has_value()) {
          if (n->magnitude > (uint64_t{1} << 63) - 1) return cannot();
          const int64_t ns = static_cast<int64_t>(n->magnitude);
          v.d = absl::Nanoseconds(n->negative ? -ns : ns);
          return v;
        }
        if (std::optional<double> f = ParseYamlFloat(text); f.has_value()) {
          if (!(*f > -9.2e18 && *f < 9.2e18)) return cannot();
          v.d = absl::Nanoseconds(static_cast<int64_t>(*f));
          return v;
        }
      }
      absl::StatusOr<absl::Duration> d = ParseGoDuration(text);
      if (!d.ok()) return d.status();
      v.d = *d;
      return v;
    }
    case Kind::kPromDuration: {
      absl::StatusOr<absl::Duration> d = ParsePromDuration(text);
      if (!d.ok()) return d.status();
      v.d = *d;
      return v;
    }
  }
  return cannot();
}

void Record(Config* cfg, const std::string& path) {
  for (const std::string& u : cfg->unsupported) {
    if (u == path) return;
  }
  cfg->unsupported.push_back(path);
}

std::string NodeKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "!!map";
    case YAML::NodeType::Sequence:
      return "!!seq";
    case YAML::NodeType::Scalar:
      return absl::StrCat("`", n.Scalar(), "`");
    default:
      return "null";
  }
}

absl::Status Walk(const YAML::Node& node, const SchemaNode& schema,
                  const std::string& path, int line, ParseContext& ctx) {
  const std::string where = absl::StrCat("line ", line, ": ");
  // The schema bounds the depth, except for chains of merge keys.
  if (++ctx.depth > 64)
    return Invalid(absl::StrCat(where, "nested too deeply"));
  struct Unwind {
    int& d;
    ~Unwind() { --d; }
  } unwind{ctx.depth};
  if (!path.empty()) ctx.seen.insert(path);
  if (schema.kind == Kind::kAny) {
    if (schema.action == Action::kUnsupported) Record(ctx.cfg, path);
    return absl::OkStatus();
  }
  if (schema.kind == Kind::kMap) {
    if (schema.set != nullptr) {
      if (absl::Status s = schema.set(Value{}, ctx); !s.ok()) {
        return Invalid(absl::StrCat(where, path, ": ", s.message()));
      }
    }
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) {
      return Invalid(absl::StrCat(where, "cannot unmarshal ", NodeKind(node),
                                  " into ", path.empty() ? "config" : path,
                                  " (a mapping)"));
    }
    // YAML merge keys (`<<: *defaults`), which go-yaml v2 resolves: merged
    // entries first, so the mapping's own keys win without counting as
    // duplicates.
    for (const auto& kv : node) {
      const YAML::Node key = kv.first;
      if (!key.IsScalar() || key.Scalar() != "<<" || key.Tag() != "?") continue;
      const YAML::Node value = kv.second;
      const int key_line = key.Mark().line + 1;
      std::vector<YAML::Node> merged;
      if (value.IsMap()) {
        merged.push_back(value);
      } else if (value.IsSequence()) {
        for (const auto& m : value) merged.push_back(m);
      }
      for (const YAML::Node& m : merged) {
        if (!m.IsMap()) {
          return Invalid(absl::StrCat("line ", key_line,
                                      ": map merge requires map or sequence "
                                      "of maps as the value"));
        }
        if (absl::Status s = Walk(m, schema, path, key_line, ctx); !s.ok()) {
          return s;
        }
      }
      if (merged.empty()) {
        return Invalid(absl::StrCat("line ", key_line,
                                    ": map merge requires map or sequence of "
                                    "maps as the value"));
      }
    }
    std::set<std::string> keys;
    for (const auto& kv : node) {
      const YAML::Node key = kv.first;
      const YAML::Node value = kv.second;
      const int key_line = key.Mark().line + 1;
      if (!key.IsScalar()) {
        return Invalid(absl::StrCat("line ", key_line, ": non-scalar key in ",
                                    path.empty() ? "config" : path));
      }
      const std::string& k = key.Scalar();
      if (k == "<<" && key.Tag() == "?") continue;  // merged above
      if (!keys.insert(k).second) {
        return Invalid(absl::StrCat("line ", key_line, ": key \"", k,
                                    "\" already set in map ",
                                    path.empty() ? "config" : path));
      }
      const std::string child_path =
          path.empty() ? k : absl::StrCat(path, ".", k);
      const SchemaNode* child = schema.Child(k);
      if (child == nullptr) {
        return Invalid(absl::StrCat(
            "line ", key_line, ": field ", k, " not found in type ",
            path.empty() ? "config" : path, " (key ", child_path, ")"));
      }
      if (absl::Status s = Walk(value, *child, child_path, key_line, ctx);
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  // A scalar field. Null leaves the default in place.
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsScalar()) {
    return Invalid(absl::StrCat(where, "cannot unmarshal ", NodeKind(node),
                                " into ", KindName(schema.kind), " (key ", path,
                                ")"));
  }
  const bool quoted = node.Tag() != "?" && !node.Tag().empty();
  absl::StatusOr<Value> v = ConvertScalar(schema.kind, node.Scalar(), quoted,
                                          /*from_flag=*/false);
  if (!v.ok()) {
    return Invalid(
        absl::StrCat(where, v.status().message(), " (key ", path, ")"));
  }
  switch (schema.action) {
    case Action::kSet:
      if (schema.set != nullptr) {
        if (absl::Status s = schema.set(*v, ctx); !s.ok()) {
          return Invalid(absl::StrCat(where, path, ": ", s.message()));
        }
      }
      break;
    case Action::kUnsupported:
      Record(ctx.cfg, path);
      break;
    case Action::kIgnored:
      break;
  }
  return absl::OkStatus();
}

// Checks that need the whole document.
absl::Status CheckDocument(const ParseContext& ctx) {
  auto present = [&](const char* p) { return ctx.seen.count(p) > 0; };
  if (present("distributor.receivers.otlp") &&
      !present("distributor.receivers.otlp.protocols.grpc") &&
      !present("distributor.receivers.otlp.protocols.http")) {
    return Invalid(
        "distributor.receivers.otlp: must specify at least one protocol "
        "(grpc, http) when using the OTLP receiver");
  }
  if (present("distributor.receivers.jaeger") &&
      !present("distributor.receivers.jaeger.protocols.grpc") &&
      !present("distributor.receivers.jaeger.protocols.thrift_http") &&
      !present("distributor.receivers.jaeger.protocols.thrift_binary") &&
      !present("distributor.receivers.jaeger.protocols.thrift_compact")) {
    return Invalid(
        "distributor.receivers.jaeger: must specify at least one protocol "
        "when using the Jaeger receiver");
  }
  const CompactionOptions& comp = ctx.cfg->compaction;
  if (comp.min_input_blocks > comp.max_input_blocks) {
    return Invalid(absl::StrCat(
        "compactor.compaction.min_input_blocks (", comp.min_input_blocks,
        ") must not exceed max_input_blocks (", comp.max_input_blocks, ")"));
  }
  return absl::OkStatus();
}

// After the file and the flags: derived values and cross-key facts.
void Finish(ParseContext& ctx) {
  Config& cfg = *ctx.cfg;
  if (ctx.auth_enabled) cfg.multitenancy_enabled = true;
  std::vector<std::string>& u = cfg.unsupported;
  u.erase(std::remove_if(u.begin(), u.end(),
                         [](const std::string& s) {
                           return absl::StartsWith(s,
                                                   "storage.trace.backend: ");
                         }),
          u.end());
  if (cfg.backend != "local" && cfg.backend != "s3") {
    u.push_back(absl::StrCat("storage.trace.backend: ", cfg.backend));
  }
  // The worker pool bounds object-store requests; only the S3 backend has
  // any to bound.
  if (cfg.backend != "s3") {
    for (const char* key :
         {"storage.trace.pool.max_workers", "storage.trace.pool.queue_depth"}) {
      if (ctx.seen.count(key) > 0) Record(&cfg, key);
    }
  }
}

Config FileDefaults() {
  Config cfg = DefaultConfig();
  for (Listener* l :
       {&cfg.receivers.otlp_grpc, &cfg.receivers.otlp_http,
        &cfg.receivers.jaeger_grpc, &cfg.receivers.jaeger_thrift_http,
        &cfg.receivers.jaeger_thrift_compact,
        &cfg.receivers.jaeger_thrift_binary, &cfg.receivers.zipkin}) {
    l->enabled = false;
  }
  return cfg;
}

absl::Status ParseInto(std::string_view yaml, ParseContext& ctx) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (absl::Status s = Walk(root, Schema(), "", 1, ctx); !s.ok()) return s;
    if (absl::Status s = ParseGeneratorConfig(root, &ctx.cfg->metrics_generator);
        !s.ok()) {
      return s;
    }
    for (const std::string& key : ctx.cfg->metrics_generator.unsupported) {
      Record(ctx.cfg, key);
    }
    // The overrides section into per-tenant limit defaults (both forms).
    absl::StatusOr<OverridesConfig> overrides =
        internal::ParseOverridesConfig(
            static_cast<const YAML::Node&>(root)["overrides"]);
    if (!overrides.ok()) return overrides.status();
    ctx.cfg->overrides = *std::move(overrides);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return Invalid(absl::StrCat("yaml: ", e.msg));
    return Invalid(absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return Invalid(absl::StrCat("yaml: ", e.what()));
  } catch (...) {
    return Invalid("yaml: unknown error");
  }
  return CheckDocument(ctx);
}

// ---------------------------------------------------------------------------
// Flags.

// Per-field flags: flag name -> tempo.yaml path. Names are Tempo's (dskit's
// for server.* and log.*).
struct FieldFlag {
  const char* flag;
  const char* path;
};
constexpr FieldFlag kFieldFlags[] = {
    {"target", "target"},
    {"multitenancy.enabled", "multitenancy_enabled"},
    {"auth.enabled", "auth_enabled"},
    {"http-api-prefix", "http_api_prefix"},
    {"shutdown-delay", "shutdown_delay"},
    {"server.http-listen-address", "server.http_listen_address"},
    {"server.http-listen-port", "server.http_listen_port"},
    {"server.grpc-listen-address", "server.grpc_listen_address"},
    {"server.grpc-listen-port", "server.grpc_listen_port"},
    {"server.http-read-timeout", "server.http_server_read_timeout"},
    {"server.http-write-timeout", "server.http_server_write_timeout"},
    {"server.http-idle-timeout", "server.http_server_idle_timeout"},
    {"server.graceful-shutdown-timeout", "server.graceful_shutdown_timeout"},
    {"server.grpc-max-recv-msg-size-bytes",
     "server.grpc_server_max_recv_msg_size"},
    {"server.register-instrumentation", "server.register_instrumentation"},
    {"log.level", "server.log_level"},
    {"log.format", "server.log_format"},
    {"storage.trace.backend", "storage.trace.backend"},
    {"storage.trace.local.path", "storage.trace.local.path"},
    {"storage.trace.wal.path", "storage.trace.wal.path"},
    {"ingester.trace-idle-period", "ingester.trace_idle_period"},
    {"ingester.max-block-bytes", "ingester.max_block_bytes"},
    {"ingester.max-block-duration", "ingester.max_block_duration"},
    {"ingester.flush-check-period", "ingester.flush_check_period"},
};

const FieldFlag* FindFieldFlag(std::string_view name) {
  for (const FieldFlag& f : kFieldFlags) {
    if (name == f.flag) return &f;
  }
  return nullptr;
}

absl::Status ApplyFieldFlags(const Flags& flags, ParseContext& ctx) {
  for (const auto& [name, value] : flags.field_flags) {
    const FieldFlag* f = FindFieldFlag(name);
    if (f == nullptr) {
      return Invalid(absl::StrCat("flag provided but not defined: -", name));
    }
    const SchemaNode* node = Find(&Schema(), f->path);
    absl::StatusOr<Value> v =
        node == nullptr
            ? absl::StatusOr<Value>(Invalid("no such key"))
            : ConvertScalar(node->kind, value, false, /*from_flag=*/true);
    absl::Status s =
        v.ok() && node->set != nullptr ? node->set(*v, ctx) : v.status();
    if (!s.ok()) {
      return Invalid(absl::StrCat("invalid value \"", value, "\" for flag -",
                                  name, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Config DefaultConfig() {
  Config cfg;
  ReceiversSection& r = cfg.receivers;
  r.otlp_grpc = {true, "localhost:4317"};
  r.otlp_http = {true, "localhost:4318"};
  r.jaeger_grpc = {true, "localhost:14250"};
  r.jaeger_thrift_http = {true, "localhost:14268"};
  r.jaeger_thrift_compact = {true, "localhost:6831"};
  r.jaeger_thrift_binary = {true, "localhost:6832"};
  r.zipkin = {true, "localhost:9411"};
  cfg.backend = "local";
  cfg.local_path = "./data/blocks";
  cfg.store.wal.path = "./data/wal";
  return cfg;
}

absl::StatusOr<std::string> ExpandEnv(std::string_view text,
                                      const EnvLookup& env) {
  return EnvExpander(text, env).Run();
}

absl::StatusOr<Config> ParseConfig(std::string_view yaml) {
  Config cfg = FileDefaults();
  ParseContext ctx{&cfg, false, {}, 0};
  if (absl::Status s = ParseInto(yaml, ctx); !s.ok()) return s;
  Finish(ctx);
  return cfg;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

absl::Status LoadFailure(absl::string_view msg) {
  return Invalid(absl::StrCat("failed parsing config: ", msg));
}

// Reads the file and expands it when asked; errors already say "failed
// parsing config".
absl::StatusOr<std::string> ReadConfigText(const std::string& path,
                                           bool expand_env,
                                           const EnvLookup& env) {
  std::string text;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::string err = std::strerror(errno);
    if (!err.empty()) err[0] = absl::ascii_tolower(err[0]);
    return LoadFailure(absl::StrCat("open ", path, ": ", err));
  }
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  const bool read_error = std::ferror(f) != 0;
  const int read_errno = errno;
  std::fclose(f);
  if (read_error) {
    std::string err = std::strerror(read_errno);
    if (!err.empty()) err[0] = absl::ascii_tolower(err[0]);
    return LoadFailure(absl::StrCat("read ", path, ": ", err));
  }
  if (expand_env) {
    absl::StatusOr<std::string> expanded = ExpandEnv(text, env);
    if (!expanded.ok()) {
      return LoadFailure(absl::StrCat("expanding environment variables in ",
                                      path, ": ", expanded.status().message()));
    }
    text = *std::move(expanded);
  }
  return text;
}

}  // namespace

absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      const ConfigLoadOptions& options) {
  absl::StatusOr<std::string> text =
      ReadConfigText(path, options.expand_env, options.env);
  if (!text.ok()) return text.status();
  Config cfg = FileDefaults();
  ParseContext ctx{&cfg, false, {}, 0};
  if (absl::Status s = ParseInto(*text, ctx); !s.ok()) {
    return LoadFailure(absl::StrCat(path, ": ", s.message()));
  }
  Finish(ctx);
  return cfg;
}

namespace internal {

absl::StatusOr<Flags> ParseFlags(int argc, const char* const* argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      if (i + 1 < argc) {
        return Invalid(
            absl::StrCat("unexpected argument \"", argv[i + 1], "\""));
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return Invalid(absl::StrCat(
          "unexpected argument \"", ToAbsl(arg),
          "\" (flags are -name=value; boolean flags take =true or =false)"));
    }
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return Invalid(absl::StrCat("bad flag syntax: ", ToAbsl(arg)));
    }
    std::string name(body);
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = std::string(body.substr(0, eq));
      value = std::string(body.substr(eq + 1));
    }
    if (name == "h" || name == "help") {
      return Invalid("flag: help requested");
    }
    // Boolean flags: a bare -x means true; a following argument is never
    // consumed (Go flag semantics).
    bool* bool_target = nullptr;
    if (name == "config.expand-env") bool_target = &flags.expand_env;
    if (name == "config.verify") bool_target = &flags.verify;
    if (name == "version") bool_target = &flags.version;
    const FieldFlag* field = FindFieldFlag(name);
    const bool field_is_bool =
        field != nullptr && Find(&Schema(), field->path)->kind == Kind::kBool;
    if (bool_target != nullptr || field_is_bool) {
      std::optional<bool> b = value.has_value() ? FlagBool(*value) : true;
      if (!b.has_value()) {
        return Invalid(absl::StrCat("invalid boolean value \"", *value,
                                    "\" for -", name, ": parse error"));
      }
      if (bool_target != nullptr) {
        *bool_target = *b;
      } else {
        flags.field_flags.emplace_back(name, *b ? "true" : "false");
      }
      continue;
    }
    const bool known = field != nullptr || name == "config.file" ||
                       name == "mem-ballast-size-mbs";
    if (!known) {
      return Invalid(absl::StrCat("flag provided but not defined: -", name));
    }
    if (!value.has_value()) {
      if (i + 1 >= argc) {
        return Invalid(absl::StrCat("flag needs an argument: -", name));
      }
      value = argv[++i];
    }
    if (name == "config.file") {
      flags.config_file = *value;
    } else if (name == "mem-ballast-size-mbs") {
      // Tempo <= 2.x: a Go GC ballast. Nothing to do in C++.
    } else {
      if (name == "target") flags.target = *value;
      flags.field_flags.emplace_back(name, *value);
    }
  }
  return flags;
}

absl::StatusOr<Config> LoadConfig(const Flags& flags, const EnvLookup& env) {
  Config cfg;
  ParseContext ctx{&cfg, false, {}, 0};
  if (!flags.config_file.has_value() || flags.config_file->empty()) {
    // Tempo: an empty -config.file also means "no file".
    cfg = DefaultConfig();
  } else {
    const std::string& path = *flags.config_file;
    absl::StatusOr<std::string> text =
        ReadConfigText(path, flags.expand_env, env);
    if (!text.ok()) return text.status();
    cfg = FileDefaults();
    if (absl::Status s = ParseInto(*text, ctx); !s.ok()) {
      return LoadFailure(absl::StrCat(path, ": ", s.message()));
    }
  }
  if (absl::Status s = ApplyFieldFlags(flags, ctx); !s.ok()) {
    return LoadFailure(s.message());
  }
  Finish(ctx);
  return cfg;
}

}  // namespace internal
}  // namespace andante
