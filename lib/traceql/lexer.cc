#include "traceql/lexer.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/strings/str_format.h"
#include "traceql/strcat.h"

namespace andante::traceql::internal {
namespace {

struct KeywordInfo {
  std::string_view word;
  Tok tok;
  int64_t value = 0;
  std::optional<Intrinsic> intrinsic = std::nullopt;
};

// Every reserved word. Legacy intrinsics map to kIntrinsic; words that are
// only meaningful after `span:`/`trace:`/... and function names are kKeyword.
constexpr std::string_view kPlainKeywords[] = {"childCount",
                                               "rootService",
                                               "nestedSetLeft",
                                               "nestedSetRight",
                                               "nestedSetParent",
                                               "id",
                                               "traceID",
                                               "spanID",
                                               "parentID",
                                               "timeSinceStart",
                                               "version",
                                               "parent",
                                               "count",
                                               "avg",
                                               "max",
                                               "min",
                                               "sum",
                                               "by",
                                               "coalesce",
                                               "select",
                                               "rate",
                                               "count_over_time",
                                               "min_over_time",
                                               "max_over_time",
                                               "avg_over_time",
                                               "sum_over_time",
                                               "quantile_over_time",
                                               "histogram_over_time",
                                               "compare",
                                               "topk",
                                               "bottomk",
                                               "with"};

std::optional<KeywordInfo> LookupKeyword(std::string_view w) {
  static const KeywordInfo kTable[] = {
      {"true", Tok::kTrue},
      {"false", Tok::kFalse},
      {"nil", Tok::kNil},
      {"ok", Tok::kStatusValue, int64_t(SpanStatus::kOk)},
      {"error", Tok::kStatusValue, int64_t(SpanStatus::kError)},
      {"unset", Tok::kStatusValue, int64_t(SpanStatus::kUnset)},
      {"unspecified", Tok::kKindValue, int64_t(SpanKind::kUnspecified)},
      {"internal", Tok::kKindValue, int64_t(SpanKind::kInternal)},
      {"server", Tok::kKindValue, int64_t(SpanKind::kServer)},
      {"client", Tok::kKindValue, int64_t(SpanKind::kClient)},
      {"producer", Tok::kKindValue, int64_t(SpanKind::kProducer)},
      {"consumer", Tok::kKindValue, int64_t(SpanKind::kConsumer)},
      {"name", Tok::kIntrinsic, 0, Intrinsic::kName},
      {"status", Tok::kIntrinsic, 0, Intrinsic::kStatus},
      {"statusMessage", Tok::kIntrinsic, 0, Intrinsic::kStatusMessage},
      {"kind", Tok::kIntrinsic, 0, Intrinsic::kKind},
      {"duration", Tok::kIntrinsic, 0, Intrinsic::kDuration},
      {"rootName", Tok::kIntrinsic, 0, Intrinsic::kRootName},
      {"rootServiceName", Tok::kIntrinsic, 0, Intrinsic::kRootServiceName},
      {"traceDuration", Tok::kIntrinsic, 0, Intrinsic::kTraceDuration},
  };
  for (const KeywordInfo& k : kTable) {
    if (k.word == w) return k;
  }
  for (std::string_view k : kPlainKeywords) {
    if (k == w) return KeywordInfo{k, Tok::kKeyword};
  }
  return std::nullopt;
}

// Scoped intrinsics: `<scope>:<word>`.
std::optional<Intrinsic> LookupScopedIntrinsic(std::string_view scope,
                                               std::string_view word) {
  struct Entry {
    std::string_view scope, word;
    Intrinsic intrinsic;
  };
  static const Entry kTable[] = {
      {"span", "name", Intrinsic::kName},
      {"span", "status", Intrinsic::kStatus},
      {"span", "statusMessage", Intrinsic::kStatusMessage},
      {"span", "kind", Intrinsic::kKind},
      {"span", "duration", Intrinsic::kDuration},
      {"span", "childCount", Intrinsic::kChildCount},
      {"span", "id", Intrinsic::kSpanId},
      {"span", "parentID", Intrinsic::kParentId},
      {"trace", "duration", Intrinsic::kTraceDuration},
      {"trace", "rootName", Intrinsic::kRootName},
      {"trace", "rootService", Intrinsic::kRootServiceName},
      {"trace", "id", Intrinsic::kTraceId},
      {"event", "name", Intrinsic::kEventName},
      {"event", "timeSinceStart", Intrinsic::kEventTimeSinceStart},
      {"link", "traceID", Intrinsic::kLinkTraceId},
      {"link", "spanID", Intrinsic::kLinkSpanId},
      {"instrumentation", "name", Intrinsic::kInstrumentationName},
      {"instrumentation", "version", Intrinsic::kInstrumentationVersion},
  };
  for (const Entry& e : kTable) {
    if (e.scope == scope && e.word == word) return e.intrinsic;
  }
  return std::nullopt;
}

bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}
bool IsIdentChar(unsigned char c) {
  return IsIdentStart(c) || (c >= '0' && c <= '9');
}
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// Length of the Unicode whitespace rune at `s[i]`, or 0.
size_t WhitespaceLen(std::string_view s, size_t i) {
  unsigned char c = s[i];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
    return 1;
  if (c < 0x80) return 0;
  auto at = [&](size_t k) -> unsigned char {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  if (c == 0xC2 && (at(1) == 0x85 || at(1) == 0xA0)) return 2;
  if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80) return 3;  // U+1680
  if (c == 0xE2 && at(1) == 0x80 &&
      ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xA8 || at(2) == 0xA9 ||
       at(2) == 0xAF))
    return 3;  // U+2000..200A, U+2028, U+2029, U+202F
  if (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;  // U+3000
  return 0;
}

bool IsAttributeTerminator(unsigned char c) {
  switch (c) {
    case '{':
    case '}':
    case '(':
    case ')':
    case '=':
    case '~':
    case '!':
    case '<':
    case '>':
    case '&':
    case '|':
    case '^':
    case ',':
      return true;
    default:
      return false;
  }
}

void AppendUtf8(uint32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

int HexDigit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      absl::Status st = SkipSpaceAndComments();
      if (!st.ok()) return st;
      Token t;
      t.offset = static_cast<uint32_t>(i_);
      if (i_ >= s_.size()) {
        t.type = Tok::kEof;
        t.end = t.offset;
        out.push_back(std::move(t));
        return out;
      }
      st = Next(&t);
      if (!st.ok()) return st;
      t.end = static_cast<uint32_t>(i_);
      out.push_back(std::move(t));
    }
  }

 private:
  absl::Status Error(size_t offset, std::string_view msg) {
    return absl::InvalidArgumentError(
        Cat("parse error at ", Position(s_, static_cast<uint32_t>(offset)),
            ": ", msg));
  }

  unsigned char At(size_t k) const {
    return k < s_.size() ? static_cast<unsigned char>(s_[k]) : 0;
  }

  absl::Status SkipSpaceAndComments() {
    while (i_ < s_.size()) {
      if (size_t n = WhitespaceLen(s_, i_)) {
        i_ += n;
      } else if (At(i_) == '/' && At(i_ + 1) == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (At(i_) == '/' && At(i_ + 1) == '*') {
        size_t close = s_.find("*/", i_ + 2);
        if (close == std::string_view::npos) {
          return Error(i_, "comment not terminated");
        }
        i_ = close + 2;
      } else {
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Next(Token* t) {
    unsigned char c = At(i_);
    if (c == '"') return LexString(t);
    if (c == '`') return LexRawString(t);
    if (IsDigit(c) || (c == '.' && IsDigit(At(i_ + 1)))) return LexNumber(t);
    if (c == '.') {
      ++i_;
      t->type = Tok::kAttribute;
      t->scope = Scope::kUnscoped;
      return LexAttributeName(t);
    }
    if (IsIdentStart(c)) return LexWord(t);
    return LexOperator(t);
  }

  absl::Status LexOperator(Token* t) {
    struct Op {
      std::string_view text;
      Tok tok;
    };
    // Longest first.
    static const Op kOps[] = {
        {"!>>", Tok::kNotDesc},    {"!<<", Tok::kNotAnc},
        {"&>>", Tok::kUnionDesc},  {"&<<", Tok::kUnionAnc},
        {"!=", Tok::kNe},          {">=", Tok::kGe},
        {"<=", Tok::kLe},          {"=~", Tok::kRegex},
        {"!~", Tok::kNotRegex},    {"&&", Tok::kAnd},
        {"||", Tok::kOr},          {">>", Tok::kDesc},
        {"<<", Tok::kAnc},         {"!>", Tok::kNotChild},
        {"!<", Tok::kNotParent},   {"&>", Tok::kUnionChild},
        {"&<", Tok::kUnionParent}, {"&~", Tok::kUnionSibling},
        {"{", Tok::kLBrace},       {"}", Tok::kRBrace},
        {"(", Tok::kLParen},       {")", Tok::kRParen},
        {",", Tok::kComma},        {"=", Tok::kEq},
        {">", Tok::kGt},           {"<", Tok::kLt},
        {"+", Tok::kAdd},          {"-", Tok::kSub},
        {"*", Tok::kMul},          {"/", Tok::kDiv},
        {"%", Tok::kMod},          {"^", Tok::kPow},
        {"!", Tok::kNot},          {"|", Tok::kPipe},
        {"~", Tok::kSibling},
    };
    std::string_view rest = s_.substr(i_);
    for (const Op& op : kOps) {
      if (rest.substr(0, op.text.size()) == op.text) {
        t->type = op.tok;
        i_ += op.text.size();
        return absl::OkStatus();
      }
    }
    unsigned char c = At(i_);
    if (c == '\'') {
      return Error(i_,
                   "unexpected \"'\": single quotes do not delimit strings");
    }
    if (c >= 0x20 && c < 0x7F) {
      return Error(i_, absl::StrFormat("unexpected character '%c'", c));
    }
    return Error(i_, absl::StrFormat("unexpected character 0x%02x", c));
  }

  absl::Status LexWord(Token* t) {
    size_t start = i_;
    while (i_ < s_.size() && IsIdentChar(At(i_)) && !WhitespaceLen(s_, i_))
      ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    unsigned char c = At(i_);
    if (c == '.' && (word == "span" || word == "resource" || word == "event" ||
                     word == "link" || word == "instrumentation")) {
      ++i_;
      t->type = Tok::kAttribute;
      t->scope = word == "span"       ? Scope::kSpan
                 : word == "resource" ? Scope::kResource
                 : word == "event"    ? Scope::kEvent
                 : word == "link"     ? Scope::kLink
                                      : Scope::kInstrumentation;
      return LexAttributeName(t);
    }
    if (c == '.' && word == "parent") {
      ++i_;
      // `parent.span.x`, `parent.resource.x` or `parent.x`.
      t->type = Tok::kParentAttribute;
      std::string_view rest = s_.substr(i_);
      if (rest.substr(0, 5) == "span.") {
        i_ += 5;
      } else if (rest.substr(0, 9) == "resource.") {
        i_ += 9;
      }
      return LexAttributeName(t);
    }
    if (c == ':' && (word == "span" || word == "trace" || word == "event" ||
                     word == "link" || word == "instrumentation")) {
      ++i_;
      size_t ws = i_;
      while (i_ < s_.size() && IsIdentChar(At(i_)) && !WhitespaceLen(s_, i_))
        ++i_;
      std::string_view name = s_.substr(ws, i_ - ws);
      if (name.empty()) {
        return Error(ws, Cat("expected an intrinsic after '", word, ":'"));
      }
      std::optional<Intrinsic> in = LookupScopedIntrinsic(word, name);
      if (!in) {
        return Error(start, Cat("unknown intrinsic ", word, ":", name));
      }
      t->type = Tok::kScopedIntrinsic;
      t->intrinsic = *in;
      t->text = std::string(s_.substr(start, i_ - start));
      return absl::OkStatus();
    }
    t->text = std::string(word);
    if (std::optional<KeywordInfo> k = LookupKeyword(word)) {
      t->type = k->tok;
      t->int_value = k->value;
      if (k->intrinsic) t->intrinsic = *k->intrinsic;
      return absl::OkStatus();
    }
    t->type = Tok::kIdent;
    return absl::OkStatus();
  }

  absl::Status LexAttributeName(Token* t) {
    size_t start = i_;
    std::string name;
    while (i_ < s_.size()) {
      unsigned char c = At(i_);
      if (WhitespaceLen(s_, i_) || IsAttributeTerminator(c)) break;
      if (c == '"') {
        size_t q = i_++;
        bool closed = false;
        while (i_ < s_.size()) {
          unsigned char d = At(i_);
          if (d == '"') {
            ++i_;
            closed = true;
            break;
          }
          if (d == '\\') {
            unsigned char e = At(i_ + 1);
            if (e != '"' && e != '\\') {
              return Error(i_, "invalid escape sequence in attribute name");
            }
            name.push_back(static_cast<char>(e));
            i_ += 2;
            continue;
          }
          name.push_back(static_cast<char>(d));
          ++i_;
        }
        if (!closed) return Error(q, "attribute name quote not terminated");
        continue;
      }
      name.push_back(static_cast<char>(c));
      ++i_;
    }
    if (name.empty() && i_ == start) {
      return Error(start, "attribute name is empty");
    }
    t->text = std::move(name);
    return absl::OkStatus();
  }

  absl::Status LexString(Token* t) {
    size_t start = i_++;
    std::string out;
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n') {
        return Error(start, "string literal not terminated");
      }
      unsigned char c = At(i_);
      if (c == '"') {
        ++i_;
        break;
      }
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      size_t esc = i_;
      unsigned char e = At(i_ + 1);
      i_ += 2;
      switch (e) {
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t r = 0;
          for (int k = 0; k < n; ++k) {
            int h = HexDigit(At(i_));
            if (h < 0) return Error(esc, "invalid escape sequence");
            r = r * 16 + h;
            ++i_;
          }
          if (e == 'x') {
            out.push_back(static_cast<char>(r));
          } else {
            if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) {
              return Error(esc,
                           "escape sequence is invalid Unicode code point");
            }
            AppendUtf8(r, &out);
          }
          break;
        }
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
          uint32_t r = e - '0';
          for (int k = 0; k < 2; ++k) {
            unsigned char d = At(i_);
            if (d < '0' || d > '7')
              return Error(esc, "invalid escape sequence");
            r = r * 8 + (d - '0');
            ++i_;
          }
          if (r > 255) return Error(esc, "octal escape value > 255");
          out.push_back(static_cast<char>(r));
          break;
        }
        default:
          return Error(esc,
                       "invalid escape sequence (write \"\\\\\" for a "
                       "backslash, e.g. in regular expressions)");
      }
    }
    t->type = Tok::kString;
    t->text = std::move(out);
    return absl::OkStatus();
  }

  absl::Status LexRawString(Token* t) {
    size_t start = i_++;
    size_t close = s_.find('`', i_);
    if (close == std::string_view::npos) {
      return Error(start, "raw string literal not terminated");
    }
    t->type = Tok::kString;
    t->text = std::string(s_.substr(i_, close - i_));
    i_ = close + 1;
    return absl::OkStatus();
  }

  static bool IsDurationRune(std::string_view s, size_t i, size_t* len) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (IsDigit(c) || c == '.' || c == 'n' || c == 's' || c == 'u' ||
        c == 'm' || c == 'h' || c == 'd' || c == 'w' || c == 'y') {
      *len = 1;
      return true;
    }
    if (c == 0xC2 && i + 1 < s.size() &&
        static_cast<unsigned char>(s[i + 1]) == 0xB5) {
      *len = 2;  // U+00B5 micro sign
      return true;
    }
    return false;
  }

  absl::Status LexNumber(Token* t) {
    size_t start = i_;
    if (At(i_) == '0' &&
        (At(i_ + 1) == 'x' || At(i_ + 1) == 'X' || At(i_ + 1) == 'b' ||
         At(i_ + 1) == 'B' || At(i_ + 1) == 'o' || At(i_ + 1) == 'O')) {
      return Error(start, "only decimal numbers are supported");
    }
    bool is_float = false;
    while (IsDigit(At(i_))) ++i_;
    if (At(i_) == '.') {
      is_float = true;
      ++i_;
      while (IsDigit(At(i_))) ++i_;
    }
    if ((At(i_) == 'e' || At(i_) == 'E') &&
        (IsDigit(At(i_ + 1)) ||
         ((At(i_ + 1) == '+' || At(i_ + 1) == '-') && IsDigit(At(i_ + 2))))) {
      is_float = true;
      i_ += 2;
      while (IsDigit(At(i_))) ++i_;
    }
    size_t len = 0;
    if (i_ < s_.size() && !IsDigit(At(i_)) && At(i_) != '.' &&
        IsDurationRune(s_, i_, &len)) {
      size_t j = i_;
      while (j < s_.size() && IsDurationRune(s_, j, &len)) j += len;
      std::string_view text = s_.substr(start, j - start);
      int64_t nanos = 0;
      if (!ParseDurationText(text, &nanos)) {
        return Error(start, Cat("invalid duration \"", text, "\""));
      }
      i_ = j;
      t->type = Tok::kDuration;
      t->int_value = nanos;
      return absl::OkStatus();
    }
    if (IsIdentStart(At(i_))) {
      return Error(i_, Cat("unexpected text after number \"",
                           s_.substr(start, i_ - start), "\""));
    }
    std::string text(s_.substr(start, i_ - start));
    if (is_float) {
      errno = 0;
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (errno == ERANGE && std::isinf(v)) {
        return Error(start, Cat("float out of range: ", text));
      }
      t->type = Tok::kFloat;
      t->float_value = v;
    } else {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == ERANGE) {
        return Error(start, Cat("integer out of range: ", text));
      }
      t->type = Tok::kInt;
      t->int_value = v;
    }
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Prometheus: [Ny][Nw][Nd][Nh][Nm][Ns][Nms], integers, units in order.
bool ParsePrometheusDuration(std::string_view s, int64_t* out) {
  static const struct {
    std::string_view unit;
    int64_t nanos;
  } kUnits[] = {{"y", 365LL * 24 * 3600 * 1000000000LL},
                {"w", 7LL * 24 * 3600 * 1000000000LL},
                {"d", 24LL * 3600 * 1000000000LL},
                {"h", 3600LL * 1000000000LL},
                {"m", 60LL * 1000000000LL},
                {"s", 1000000000LL},
                {"ms", 1000000LL}};
  if (s.empty()) return false;
  size_t i = 0;
  size_t next_unit = 0;
  __int128 total = 0;
  while (i < s.size()) {
    size_t d = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == d) return false;
    int64_t n = 0;
    for (size_t k = d; k < i; ++k) {
      if (n > (INT64_MAX - 9) / 10) return false;
      n = n * 10 + (s[k] - '0');
    }
    size_t u = i;
    while (i < s.size() && !IsDigit(s[i])) ++i;
    std::string_view unit = s.substr(u, i - u);
    bool found = false;
    for (size_t k = next_unit; k < std::size(kUnits); ++k) {
      if (kUnits[k].unit == unit) {
        total += static_cast<__int128>(n) * kUnits[k].nanos;
        next_unit = k + 1;
        found = true;
        break;
      }
    }
    if (!found || total > INT64_MAX) return false;
  }
  *out = static_cast<int64_t>(total);
  return true;
}

// Go's time.ParseDuration (without a sign).
bool ParseGoDuration(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  long double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t d = i;
    long double v = 0;
    while (i < s.size() && IsDigit(s[i])) v = v * 10 + (s[i++] - '0');
    bool pre = i > d;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && IsDigit(s[i])) {
        v += (s[i++] - '0') * scale;
        scale /= 10;
        post = true;
      }
    }
    if (!pre && !post) return false;
    size_t u = i;
    while (i < s.size() && !IsDigit(s[i]) && s[i] != '.') ++i;
    std::string_view unit = s.substr(u, i - u);
    long double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s")
      mult = 1e3L;
    else if (unit == "ms")
      mult = 1e6L;
    else if (unit == "s")
      mult = 1e9L;
    else if (unit == "m")
      mult = 60e9L;
    else if (unit == "h")
      mult = 3600e9L;
    else
      return false;
    total += v * mult;
    if (total > 9.2233720368547758e18L) return false;
  }
  *out = static_cast<int64_t>(total);
  return true;
}

}  // namespace

bool ParseDurationText(std::string_view text, int64_t* nanos) {
  return ParsePrometheusDuration(text, nanos) || ParseGoDuration(text, nanos);
}

std::string Position(std::string_view text, uint32_t offset) {
  uint32_t line = 1, col = 1;
  for (uint32_t k = 0; k < offset && k < text.size(); ++k) {
    if (text[k] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return Cat("line ", line, ", col ", col);
}

std::string DescribeToken(const Token& t) {
  switch (t.type) {
    case Tok::kEof:
      return "end of query";
    case Tok::kString:
      return Cat("string \"", t.text, "\"");
    case Tok::kInt:
      return Cat("integer ", t.int_value);
    case Tok::kFloat:
      return Cat("number ", t.float_value);
    case Tok::kDuration:
      return "duration";
    case Tok::kAttribute:
      return Cat("attribute \"", t.text, "\"");
    case Tok::kIdent:
      return Cat("identifier \"", t.text, "\"");
    default:
      break;
  }
  if (!t.text.empty()) return Cat("\"", t.text, "\"");
  return "operator";
}

absl::StatusOr<std::vector<Token>> Lex(std::string_view text) {
  return Lexer(text).Run();
}

}  // namespace andante::traceql::internal
