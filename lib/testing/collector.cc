// The test collector: an in-memory Store behind a forwarding Store (so Reset
// can swap it), the receivers pushing into it, and the waits and searches a
// test asserts on.
#include "andante/testing/collector.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "andante/backend.h"
#include "andante/ids.h"
#include "andante/search.h"
#include "andante/otlp.h"
#include "andante/store.h"
#include "andante/tenant.h"
#include "andante/testing/manual_env.h"
#include "andante/traceql.h"
#include "forwarding_store.h"
#include "gtest/gtest.h"
#include "otlp_spans.h"
#include "receivers.h"

namespace andante::testing {

using collector_internal::ForwardingStore;
using collector_internal::Receivers;

namespace {

// How often a wait looks again.
constexpr absl::Duration kPollInterval = absl::Milliseconds(1);
// Most traces a search or a listing of everything reads.
constexpr uint32_t kMaxTraces = 100000;

absl::StatusOr<std::string> MakeScratchDir() {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string tmpl = (base / "andante-collector.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("test collector: cannot create a scratch directory in ",
                     base.string()));
  }
  return tmpl;
}

// An empty store whose WAL lives in `wal_dir` (never fsynced: a test
// collector need not survive a power cut) and whose blocks stay in memory.
absl::StatusOr<std::shared_ptr<Store>> OpenMemoryStore(std::string wal_dir,
                                                       Env* env) {
  StoreOptions options;
  options.wal.path = std::move(wal_dir);
  options.wal.fsync = WalFsync::kNever;
  options.wal.segment_bytes = 4ull << 20;
  options.backend = std::shared_ptr<Backend>(OpenMemoryBackend());
  // Spans stay live traces, which Search and FindTraceById read at once:
  // `env` never runs the sweep, so no blocks are built, nor on close.
  options.env = env;
  options.ingester.flush_all_on_shutdown = false;
  options.block_cache_bytes = 0;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(std::move(options));
  if (!store.ok()) return store.status();
  return std::shared_ptr<Store>(std::move(*store));
}

bool ByStart(const Span& a, const Span& b) {
  if (a.start_unix_nanos != b.start_unix_nanos) {
    return a.start_unix_nanos < b.start_unix_nanos;
  }
  return a.span_id < b.span_id;
}

}  // namespace

struct Collector::State {
  // A clock that never moves and never runs the store's periodic work.
  // First, so that it outlives every store.
  ManualEnv env;
  CollectorOptions options;
  std::string scratch_dir;
  std::unique_ptr<ForwardingStore> store;
  std::unique_ptr<Receivers> receivers;
  collector_internal::ReceiverPorts ports;

  absl::Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  int generation ABSL_GUARDED_BY(mu) = 0;
  std::string wal_dir ABSL_GUARDED_BY(mu);

  std::string WalDir(int gen) const {
    return absl::StrCat(scratch_dir, "/wal-", gen);
  }

  // Every span of the traces `ids` (all when null) in the current store.
  std::vector<Span> Spans(const SearchResult& result,
                          const absl::flat_hash_set<std::string>* only) const {
    std::vector<Span> out;
    std::shared_ptr<Store> inner = store->inner();
    if (inner == nullptr) return out;
    for (const SearchTrace& t : result.traces) {
      absl::StatusOr<FoundTrace> found =
          inner->FindTraceById(kSingleTenant, t.trace_id, {});
      if (!found.ok()) continue;
      std::vector<Span> spans;
      collector_internal::AppendSpans(TracesDataOf(*found), &spans);
      for (Span& span : spans) {
        if (only == nullptr || only->contains(span.span_id)) {
          out.push_back(std::move(span));
        }
      }
    }
    std::sort(out.begin(), out.end(), ByStart);
    return out;
  }

  // The result of TraceQL `query` now; matched span IDs in `matched`.
  absl::StatusOr<SearchResult> RunSearch(const traceql::Query& query) const {
    std::shared_ptr<Store> inner = store->inner();
    if (inner == nullptr) {
      return absl::FailedPreconditionError("test collector stopped");
    }
    SearchOptions options;
    options.limit = kMaxTraces;
    options.spans_per_spanset = 0;
    return inner->Search(kSingleTenant, query, options);
  }

  std::vector<Span> All() const {
    absl::StatusOr<traceql::Query> everything = traceql::Query::Parse("{ }");
    if (!everything.ok()) return {};
    absl::StatusOr<SearchResult> result = RunSearch(*everything);
    if (!result.ok()) return {};
    return Spans(*result, nullptr);
  }

  std::string ReceivedTree() const { return FormatSpanTree(All()); }

  // Zero when the collector is quiet (see CollectorOptions::settle), else
  // how long to wait before looking again.
  absl::Duration UntilQuiet() const {
    return store->UntilQuiet(absl::Now(), options.settle, kPollInterval);
  }

  // Sleeps `wait` (at least kPollInterval) but not past `deadline`.
  static void Pause(absl::Duration wait, absl::Time deadline) {
    wait = std::max(wait, kPollInterval);
    absl::SleepFor(
        std::max(absl::ZeroDuration(), std::min(wait, deadline - absl::Now())));
  }
};

namespace {

// The printer of "what the collector received" a SpanList carries: empty
// once the collector is gone.
std::function<std::string()> TreePrinter(
    const std::shared_ptr<Collector::State>& state) {
  return [weak = std::weak_ptr<Collector::State>(state)]() -> std::string {
    std::shared_ptr<Collector::State> s = weak.lock();
    if (s == nullptr) return "";
    return s->ReceivedTree();
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collector>> Collector::Start(
    CollectorOptions options) {
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  absl::StatusOr<std::string> dir = MakeScratchDir();
  if (!dir.ok()) return dir.status();
  state->scratch_dir = *dir;
  {
    absl::MutexLock lock(&state->mu);
    state->wal_dir = state->WalDir(0);
  }
  absl::StatusOr<std::shared_ptr<Store>> inner =
      OpenMemoryStore(state->WalDir(0), &state->env);
  if (!inner.ok()) {
    std::error_code ignored;
    std::filesystem::remove_all(state->scratch_dir, ignored);
    return inner.status();
  }
  state->store = std::make_unique<ForwardingStore>(std::move(*inner));
  absl::StatusOr<std::unique_ptr<Receivers>> receivers =
      Receivers::Start(state->store.get(), state->options);
  if (!receivers.ok()) {
    state->store->Close().IgnoreError();
    std::error_code ignored;
    std::filesystem::remove_all(state->scratch_dir, ignored);
    return receivers.status();
  }
  state->receivers = std::move(*receivers);
  state->ports = state->receivers->ports();
  return std::unique_ptr<Collector>(new Collector(std::move(state)));
}

Collector::Collector(std::shared_ptr<State> state) : state_(std::move(state)) {}

Collector::~Collector() { Stop().IgnoreError(); }

absl::Status Collector::Stop() {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->stopped) return absl::OkStatus();
    state_->stopped = true;
  }
  state_->receivers->Stop();
  absl::Status closed = state_->store->Close();
  std::error_code ec;
  std::filesystem::remove_all(state_->scratch_dir, ec);
  if (closed.ok() && ec) {
    closed = absl::InternalError(absl::StrCat("test collector: cannot remove ",
                                              state_->scratch_dir, ": ",
                                              ec.message()));
  }
  return closed;
}

namespace {

std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

std::string Collector::otlp_http_endpoint() const {
  if (state_->ports.otlp_http == 0) return "";
  return absl::StrCat("http://",
                      HostPort(state_->options.host, state_->ports.otlp_http),
                      "/v1/traces");
}

std::string Collector::otlp_grpc_endpoint() const {
  if (state_->ports.otlp_grpc == 0) return "";
  return HostPort(state_->options.host, state_->ports.otlp_grpc);
}

std::string Collector::zipkin_endpoint() const {
  if (state_->ports.zipkin == 0) return "";
  return absl::StrCat("http://",
                      HostPort(state_->options.host, state_->ports.zipkin),
                      "/api/v2/spans");
}

std::string Collector::jaeger_thrift_http_endpoint() const {
  if (state_->ports.jaeger_thrift_http == 0) return "";
  return absl::StrCat(
      "http://",
      HostPort(state_->options.host, state_->ports.jaeger_thrift_http),
      "/api/traces");
}

std::string Collector::jaeger_grpc_endpoint() const {
  if (state_->ports.jaeger_grpc == 0) return "";
  return HostPort(state_->options.host, state_->ports.jaeger_grpc);
}

int Collector::otlp_http_port() const { return state_->ports.otlp_http; }
int Collector::otlp_grpc_port() const { return state_->ports.otlp_grpc; }
int Collector::zipkin_port() const { return state_->ports.zipkin; }
int Collector::jaeger_thrift_http_port() const {
  return state_->ports.jaeger_thrift_http;
}
int Collector::jaeger_grpc_port() const { return state_->ports.jaeger_grpc; }

Trace Collector::WaitForTrace(std::string_view trace_id_hex, size_t min_spans) {
  return WaitForTrace(trace_id_hex, min_spans, state_->options.timeout);
}

Trace Collector::WaitForTrace(std::string_view trace_id_hex, size_t min_spans,
                              absl::Duration timeout) {
  std::string what = absl::StrCat("trace ", std::string(trace_id_hex));
  absl::StatusOr<TraceId> id = TraceId::FromHex(trace_id_hex);
  if (!id.ok()) {
    return Trace({}, std::move(what), TreePrinter(state_), id.status());
  }
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<Span> spans;
  absl::Status status;
  while (true) {
    spans.clear();
    std::shared_ptr<Store> inner = state_->store->inner();
    if (inner == nullptr) {
      status = absl::FailedPreconditionError("test collector stopped");
      break;
    }
    absl::StatusOr<FoundTrace> found =
        inner->FindTraceById(kSingleTenant, *id, {});
    if (!found.ok()) {
      status = found.status();
      break;
    }
    collector_internal::AppendSpans(TracesDataOf(*found), &spans);
    const absl::Duration until_quiet = state_->UntilQuiet();
    const bool enough = spans.size() >= std::max<size_t>(min_spans, 1);
    if (enough && until_quiet == absl::ZeroDuration()) break;
    if (absl::Now() >= deadline) break;
    State::Pause(enough ? until_quiet : kPollInterval, deadline);
  }
  std::sort(spans.begin(), spans.end(), ByStart);
  return Trace(std::move(spans), std::move(what), TreePrinter(state_),
               std::move(status));
}

SpanList Collector::Search(std::string_view traceql) {
  return Search(traceql, state_->options.timeout);
}

SpanList Collector::Search(std::string_view traceql, absl::Duration timeout) {
  std::string what = absl::StrCat("search ", std::string(traceql));
  absl::StatusOr<traceql::Query> query = traceql::Query::Parse(traceql);
  if (!query.ok()) {
    ADD_FAILURE() << "Collector::Search: invalid TraceQL " << traceql << ": "
                  << query.status().message();
    return SpanList({}, std::move(what), TreePrinter(state_), query.status());
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<SearchResult> result = state_->RunSearch(*query);
    if (!result.ok()) {
      ADD_FAILURE() << "Collector::Search " << traceql << ": "
                    << result.status();
      return SpanList({}, std::move(what), TreePrinter(state_),
                      result.status());
    }
    const absl::Duration until_quiet = state_->UntilQuiet();
    const bool found = !result->traces.empty();
    if ((found && until_quiet == absl::ZeroDuration()) ||
        absl::Now() >= deadline) {
      absl::flat_hash_set<std::string> matched;
      for (const SearchTrace& t : result->traces) {
        for (const SearchSpanSet& set : t.span_sets) {
          for (const SearchSpan& s : set.spans) matched.insert(s.span_id_hex);
        }
      }
      return SpanList(state_->Spans(*result, &matched), std::move(what),
                      TreePrinter(state_));
    }
    State::Pause(found ? until_quiet : kPollInterval, deadline);
  }
}

SpanList Collector::AllSpans() const {
  return SpanList(state_->All(), "all spans", TreePrinter(state_));
}

bool Collector::WaitForSpanCount(uint64_t count) {
  return WaitForSpanCount(count, state_->options.timeout);
}

bool Collector::WaitForSpanCount(uint64_t count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const absl::Duration until_quiet = state_->UntilQuiet();
    const bool enough = state_->store->spans_accepted() >= count;
    if (enough && until_quiet == absl::ZeroDuration()) return true;
    if (absl::Now() >= deadline) return false;
    State::Pause(enough ? until_quiet : kPollInterval, deadline);
  }
}

uint64_t Collector::span_count() const {
  return state_->store->spans_accepted();
}

void Collector::Reset() {
  std::string old_dir;
  std::shared_ptr<Store> old;
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->stopped) return;
    const int gen = ++state_->generation;
    absl::StatusOr<std::shared_ptr<Store>> fresh =
        OpenMemoryStore(state_->WalDir(gen), &state_->env);
    if (!fresh.ok()) {
      ADD_FAILURE() << "Collector::Reset: " << fresh.status();
      return;
    }
    old = state_->store->Swap(std::move(*fresh));
    old_dir = std::exchange(state_->wal_dir, state_->WalDir(gen));
  }
  if (old != nullptr) old->Close().IgnoreError();
  old.reset();
  std::error_code ignored;
  std::filesystem::remove_all(old_dir, ignored);
}

std::string Collector::ReceivedTree() const { return state_->ReceivedTree(); }

Store* Collector::store() { return state_->store->inner().get(); }

}  // namespace andante::testing
