#include "trace_factory.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace andante::loadgen {
namespace {

namespace common = ::andante::otlp::common::v1;
namespace otrace = ::andante::otlp::trace::v1;

struct Endpoint {
  const char* method;
  const char* route;
  // Concrete path: '#' becomes a random number, '@' a random word.
  const char* path;
};

struct Service {
  const char* name;
  const char* version;
  const char* language;
  const char* sdk_version;
  const char* scope;
  const char* scope_version;
  const char* user_agent;  // of this service's outgoing HTTP client
  int port;
  const char* db_system;  // nullptr: the service owns no database
  const char* db_name;
  const char* db_host;
  int db_port;
  std::vector<Endpoint> endpoints;
  std::vector<const char*> statements;  // '#' and '@' as in Endpoint::path
  std::vector<const char*> internal_ops;
};

// A small shop; index 0 is the edge service every trace starts in.
const std::vector<Service>& Catalog() {
  static const auto* const kCatalog = new std::vector<Service>{
      {"frontend",
       "2.4.1",
       "nodejs",
       "1.17.1",
       "@opentelemetry/instrumentation-http",
       "0.44.0",
       "node-fetch/2.7.0",
       8080,
       "redis",
       "0",
       "session-cache",
       6379,
       {{"GET", "/", "/"},
        {"GET", "/product/:id", "/product/#"},
        {"GET", "/cart", "/cart?session=#"},
        {"POST", "/cart/checkout", "/cart/checkout"},
        {"GET", "/api/recommendations",
         "/api/recommendations?productIds=#,#,#"}},
       {"GET session:#", "EXPIRE session:# 1800"},
       {"render page", "resolve feature flags"}},
      {"cart",
       "1.8.0",
       "go",
       "1.19.0",
       "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
       "0.45.0",
       "Go-http-client/1.1",
       7070,
       "redis",
       "0",
       "cart-cache",
       6379,
       {{"GET", "/api/cart/{userId}", "/api/cart/#"},
        {"POST", "/api/cart/{userId}/items", "/api/cart/#/items"},
        {"DELETE", "/api/cart/{userId}", "/api/cart/#"}},
       {"HGETALL cart:#", "HSET cart:# item:# #", "EXPIRE cart:# 3600",
        "DEL cart:#"},
       {"merge cart items"}},
      {"checkout",
       "3.1.2",
       "go",
       "1.19.0",
       "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
       "0.45.0",
       "Go-http-client/1.1",
       5050,
       "postgresql",
       "orders",
       "orders-db",
       5432,
       {{"POST", "/api/checkout", "/api/checkout?cart=#"},
        {"GET", "/api/orders/{orderId}", "/api/orders/#"}},
       {"INSERT INTO orders (id, user_id, total_cents, currency, status) "
        "VALUES (#, #, #, 'USD', 'pending')",
        "SELECT id, status, total_cents FROM orders WHERE id = #",
        "UPDATE orders SET status = 'paid', paid_at = now() WHERE id = #"},
       {"compute order total", "apply discount rules"}},
      {"payment",
       "1.12.4",
       "java",
       "1.31.0",
       "io.opentelemetry.spring-webmvc-6.0",
       "1.31.0-alpha",
       "Apache-HttpClient/5.2.1 (Java/17.0.8)",
       8081,
       "postgresql",
       "payments",
       "payments-db",
       5432,
       {{"POST", "/api/payments/charge", "/api/payments/charge?order=#"},
        {"GET", "/api/payments/{paymentId}", "/api/payments/#"}},
       {"SELECT id, brand, last4 FROM payment_methods WHERE user_id = #",
        "INSERT INTO charges (order_id, amount_cents, state) VALUES (#, #, "
        "'authorized')"},
       {"tokenize card"}},
      {"product-catalog",
       "0.9.7",
       "go",
       "1.19.0",
       "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
       "0.45.0",
       "Go-http-client/1.1",
       3550,
       "postgresql",
       "catalog",
       "catalog-db",
       5432,
       {{"GET", "/api/products/{id}", "/api/products/#"},
        {"GET", "/api/products", "/api/products?category=@&page=#"},
        {"GET", "/api/products/search", "/api/products/search?q=@"}},
       {"SELECT id, name, price_cents, stock FROM products WHERE id = #",
        "SELECT id, name FROM products WHERE category = '@' LIMIT 20 OFFSET "
        "#",
        "SELECT id, name FROM products WHERE name ILIKE '%@%' LIMIT 20"},
       {"rank results"}},
      {"inventory",
       "2.0.3",
       "java",
       "1.31.0",
       "io.opentelemetry.spring-webmvc-6.0",
       "1.31.0-alpha",
       "Apache-HttpClient/5.2.1 (Java/17.0.8)",
       8082,
       "mysql",
       "inventory",
       "inventory-db",
       3306,
       {{"GET", "/api/stock/{sku}", "/api/stock/SKU-#"},
        {"POST", "/api/stock/reserve", "/api/stock/reserve?sku=SKU-#"}},
       {"SELECT quantity, reserved FROM stock WHERE sku = 'SKU-#'",
        "UPDATE stock SET reserved = reserved + # WHERE sku = 'SKU-#'"},
       {"check warehouse"}},
      {"user",
       "4.2.0",
       "python",
       "1.20.0",
       "opentelemetry.instrumentation.flask",
       "0.41b0",
       "python-requests/2.31.0",
       5000,
       "postgresql",
       "users",
       "users-db",
       5432,
       {{"GET", "/api/users/{id}", "/api/users/#"},
        {"GET", "/api/users/{id}/addresses", "/api/users/#/addresses"}},
       {"SELECT id, email, name FROM users WHERE id = #",
        "SELECT street, city, zip FROM addresses WHERE user_id = # LIMIT 5"},
       {"load profile"}},
      {"shipping",
       "1.3.5",
       "python",
       "1.20.0",
       "opentelemetry.instrumentation.flask",
       "0.41b0",
       "python-requests/2.31.0",
       5001,
       "mongodb",
       "shipping",
       "shipping-db",
       27017,
       {{"POST", "/api/shipping/quote", "/api/shipping/quote?zip=#"},
        {"GET", "/api/shipments/{id}", "/api/shipments/#"}},
       {"{\"find\": \"shipments\", \"filter\": {\"order_id\": #}}",
        "{\"find\": \"rates\", \"filter\": {\"zone\": #}}"},
       {"compute quote"}},
      {"recommendation",
       "0.5.2",
       "python",
       "1.20.0",
       "opentelemetry.instrumentation.flask",
       "0.41b0",
       "python-requests/2.31.0",
       8090,
       "redis",
       "1",
       "recs-cache",
       6379,
       {{"GET", "/api/recommendations/{userId}",
         "/api/recommendations/#?limit=10"}},
       {"ZREVRANGE recs:user:# 0 9", "GET recs:product:#"},
       {"score candidates"}},
      {"currency",
       "1.1.0",
       "cpp",
       "1.11.0",
       "opentelemetry-cpp-http",
       "1.11.0",
       "libcurl/7.88.1",
       7000,
       nullptr,
       nullptr,
       nullptr,
       0,
       {{"GET", "/api/convert", "/api/convert?from=USD&to=EUR&amount=#"}},
       {},
       {"load rates"}},
      {"email",
       "0.3.9",
       "ruby",
       "1.3.1",
       "OpenTelemetry::Instrumentation::Rack",
       "0.23.4",
       "Faraday v2.7.11",
       6060,
       nullptr,
       nullptr,
       nullptr,
       0,
       {{"POST", "/api/email/order-confirmation",
         "/api/email/order-confirmation?order=#"}},
       {},
       {"render template"}},
  };
  return *kCatalog;
}

constexpr int kReplicas = 2;  // pods per service; each is its own resource

const char* const kBrowserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/"
    "605.1.15 (KHTML, like Gecko) Mobile/15E148",
};

const char* const kWords[] = {"shoes", "lamp",   "coffee", "kettle", "socks",
                              "books", "garden", "toys",   "audio",  "camera"};

struct Failure {
  const char* type;
  const char* message;
};
const Failure kServerFailures[] = {
    {"TimeoutError", "upstream request timed out after 2000ms"},
    {"java.net.SocketTimeoutException", "Read timed out"},
    {"ConnectionResetError", "[Errno 104] Connection reset by peer"},
    {"context.deadlineExceededError", "context deadline exceeded"},
};
const Failure kDbFailures[] = {
    {"psycopg2.errors.QueryCanceled",
     "canceling statement due to statement timeout"},
    {"com.mysql.cj.jdbc.exceptions.MySQLTransactionRollbackException",
     "Deadlock found when trying to get lock"},
    {"redis.exceptions.TimeoutError", "Timeout reading from socket"},
};

enum class NodeKind { kServer, kHttpClient, kDb, kInternal };

struct Node {
  NodeKind kind = NodeKind::kInternal;
  int service = 0;   // index into Catalog()
  int parent = -1;   // index into the node list, -1 for the root
  int callee = -1;   // kHttpClient: the service called
  int endpoint = 0;  // kServer / kHttpClient: endpoint of the served service
  int64_t start = 0;
  int64_t end = 0;
  bool error = false;
  bool exception = false;  // the error originated here
  std::string path;        // kServer / kHttpClient: the concrete request path
  int http_status = 200;   // kServer / kHttpClient
  std::vector<int> children;
};

Node MakeNode(NodeKind kind, int service, int parent, int callee = -1,
              int endpoint = 0) {
  Node node;
  node.kind = kind;
  node.service = service;
  node.parent = parent;
  node.callee = callee;
  node.endpoint = endpoint;
  return node;
}

void AddString(otrace::Span* span, const char* key, std::string value) {
  common::KeyValue* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(std::move(value));
}

void AddInt(otrace::Span* span, const char* key, int64_t value) {
  common::KeyValue* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  do {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = rng();
      for (size_t j = 0; j < 8 && i + j < n; ++j) {
        out[i + j] = static_cast<char>(v >> (8 * j));
      }
    }
  } while (out == std::string(n, '\0'));
  return out;
}

}  // namespace

struct TraceFactory::Draft {
  int service;
  int replica;
  otrace::Span span;
  int group = 0;  // TraceShape::service_groups
};

TraceFactory::TraceFactory(uint64_t seed, TraceShape shape)
    : shape_(shape), rng_(seed) {}

namespace {

// Replaces every '#' with a number and every '@' with a word.
std::string Fill(const char* text, std::mt19937_64& rng) {
  std::string out;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p == '#') {
      absl::StrAppend(&out, 1000 + rng() % 900000);
    } else if (*p == '@') {
      out += kWords[rng() % std::size(kWords)];
    } else {
      out += *p;
    }
  }
  return out;
}

}  // namespace

void TraceFactory::AddTrace(int spans, int64_t now_ns,
                            std::vector<Draft>* drafts, BatchStats* stats) {
  const std::vector<Service>& catalog = Catalog();
  auto uniform = [this](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  };
  auto pick = [this](size_t n) { return static_cast<int>(rng_() % n); };

  // Services: the frontend plus distinct downstream ones. Every downstream
  // service costs a CLIENT and a SERVER span, so the span budget caps them.
  int services =
      shape_.min_services + pick(shape_.max_services - shape_.min_services + 1);
  services =
      std::clamp(services, 1, std::min<int>((spans + 1) / 2, catalog.size()));
  std::vector<int> order(catalog.size() - 1);
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i + 1);
  for (int i = 0; i < services - 1; ++i) {
    std::swap(order[i], order[i + pick(order.size() - i)]);
  }
  std::vector<int> replica(catalog.size());
  for (int& r : replica) r = pick(kReplicas);
  const int group =
      shape_.service_groups > 1 ? pick(shape_.service_groups) : 0;

  std::vector<Node> nodes;
  std::vector<int> servers;  // SERVER nodes, one per service
  nodes.push_back(MakeNode(NodeKind::kServer, 0, -1));
  nodes[0].endpoint = pick(catalog[0].endpoints.size());
  nodes[0].path = Fill(catalog[0].endpoints[nodes[0].endpoint].path, rng_);
  servers.push_back(0);
  for (int i = 0; i < services - 1; ++i) {
    int callee = order[i];
    int caller = servers[pick(servers.size())];
    int endpoint = pick(catalog[callee].endpoints.size());
    nodes.push_back(MakeNode(NodeKind::kHttpClient, nodes[caller].service,
                             caller, callee, endpoint));
    nodes.push_back(MakeNode(NodeKind::kServer, callee,
                             static_cast<int>(nodes.size()) - 1, -1, endpoint));
    nodes.back().path = Fill(catalog[callee].endpoints[endpoint].path, rng_);
    nodes[nodes.size() - 2].path = nodes.back().path;
    servers.push_back(static_cast<int>(nodes.size()) - 1);
  }
  while (static_cast<int>(nodes.size()) < spans) {
    int parent = servers[pick(servers.size())];
    int service = nodes[parent].service;
    bool db = catalog[service].db_system != nullptr && uniform(0, 1) < 0.75;
    nodes.push_back(
        MakeNode(db ? NodeKind::kDb : NodeKind::kInternal, service, parent));
  }
  for (size_t i = 1; i < nodes.size(); ++i) {
    nodes[nodes[i].parent].children.push_back(static_cast<int>(i));
  }

  // Times, top-down: children share their parent's interval in sequence,
  // and a SERVER span sits just inside the CLIENT span that called it.
  double root_ms = std::clamp(
      std::exp(std::normal_distribution<double>(std::log(120.0), 0.8)(rng_)),
      3.0, 5000.0);
  nodes[0].start = now_ns - static_cast<int64_t>(uniform(0.05, 5.0) * 1e9);
  nodes[0].end = nodes[0].start + static_cast<int64_t>(root_ms * 1e6);
  for (Node& parent : nodes) {
    const double duration = static_cast<double>(parent.end - parent.start);
    const size_t m = parent.children.size();
    for (size_t j = 0; j < m; ++j) {
      Node& child = nodes[parent.children[j]];
      if (parent.kind == NodeKind::kHttpClient) {
        int64_t gap = static_cast<int64_t>(
            std::min(400e3, duration * uniform(0.02, 0.1)));
        child.start = parent.start + gap;
        child.end = parent.end - gap;
        continue;
      }
      double window = 0.9 * duration / static_cast<double>(m);
      child.start =
          parent.start + static_cast<int64_t>(0.05 * duration + j * window +
                                              uniform(0, 0.1) * window);
      child.end = child.start +
                  static_cast<int64_t>(window * uniform(0.4, 0.85)) + 1000;
    }
  }

  // Failures originate in a SERVER or database span; the CLIENT span that
  // made the call sees the failure too.
  for (Node& node : nodes) {
    if ((node.kind == NodeKind::kServer || node.kind == NodeKind::kDb) &&
        uniform(0, 1) < shape_.error_probability) {
      node.error = node.exception = true;
    }
  }
  for (Node& node : nodes) {
    if (node.kind == NodeKind::kServer) {
      node.http_status =
          node.error
              ? 500
              : (std::string_view(
                     catalog[node.service].endpoints[node.endpoint].method) ==
                             "POST" &&
                         uniform(0, 1) < 0.5
                     ? 201
                     : 200);
      if (node.parent >= 0) {
        Node& client = nodes[node.parent];
        client.http_status = node.http_status;
        client.error = node.error;
      }
    }
  }

  const std::string trace_id = RandomBytes(rng_, 16);
  std::vector<std::string> span_ids;
  for (size_t i = 0; i < nodes.size(); ++i) {
    span_ids.push_back(RandomBytes(rng_, 8));
  }
  const char* browser = kBrowserAgents[pick(std::size(kBrowserAgents))];
  int64_t error_spans = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    const Service& service = catalog[node.service];
    Draft draft{node.service, replica[node.service], {}};
    otrace::Span& span = draft.span;
    span.set_trace_id(trace_id);
    span.set_span_id(span_ids[i]);
    if (node.parent >= 0) span.set_parent_span_id(span_ids[node.parent]);
    span.set_start_time_unix_nano(node.start);
    span.set_end_time_unix_nano(node.end);
    switch (node.kind) {
      case NodeKind::kServer: {
        const Endpoint& ep = service.endpoints[node.endpoint];
        span.set_name(absl::StrCat(ep.method, " ", ep.route));
        span.set_kind(otrace::Span::SPAN_KIND_SERVER);
        AddString(&span, "http.method", ep.method);
        AddString(&span, "http.scheme", "http");
        AddString(&span, "http.route", ep.route);
        AddString(&span, "http.target", node.path);
        AddInt(&span, "http.status_code", node.http_status);
        AddString(&span, "user_agent.original",
                  node.parent < 0
                      ? browser
                      : catalog[nodes[node.parent].service].user_agent);
        break;
      }
      case NodeKind::kHttpClient: {
        const Service& callee = catalog[node.callee];
        const Endpoint& ep = callee.endpoints[node.endpoint];
        span.set_name(ep.method);
        span.set_kind(otrace::Span::SPAN_KIND_CLIENT);
        AddString(&span, "http.method", ep.method);
        AddString(
            &span, "http.url",
            absl::StrCat("http://", callee.name, ":", callee.port, node.path));
        AddString(&span, "net.peer.name", callee.name);
        AddInt(&span, "net.peer.port", callee.port);
        AddInt(&span, "http.status_code", node.http_status);
        break;
      }
      case NodeKind::kDb: {
        std::string statement =
            Fill(service.statements[pick(service.statements.size())], rng_);
        std::string operation = statement.substr(0, statement.find(' '));
        if (operation.front() == '{') operation = "find";
        span.set_name(absl::StrCat(operation, " ", service.db_name));
        span.set_kind(otrace::Span::SPAN_KIND_CLIENT);
        AddString(&span, "db.system", service.db_system);
        AddString(&span, "db.name", service.db_name);
        AddString(&span, "db.user", absl::StrCat(service.name, "_svc"));
        AddString(&span, "db.statement", std::move(statement));
        AddString(&span, "net.peer.name", service.db_host);
        AddInt(&span, "net.peer.port", service.db_port);
        break;
      }
      case NodeKind::kInternal:
        span.set_name(service.internal_ops[pick(service.internal_ops.size())]);
        span.set_kind(otrace::Span::SPAN_KIND_INTERNAL);
        break;
    }
    if (node.error) {
      ++error_spans;
      otrace::Status* status = span.mutable_status();
      status->set_code(otrace::Status::STATUS_CODE_ERROR);
      const Failure& failure =
          node.kind == NodeKind::kDb
              ? kDbFailures[pick(std::size(kDbFailures))]
              : kServerFailures[pick(std::size(kServerFailures))];
      status->set_message(failure.message);
      if (node.exception) {
        otrace::Span::Event* event = span.add_events();
        event->set_time_unix_nano(node.end - 1000);
        event->set_name("exception");
        common::KeyValue* kv = event->add_attributes();
        kv->set_key("exception.type");
        kv->mutable_value()->set_string_value(failure.type);
        kv = event->add_attributes();
        kv->set_key("exception.message");
        kv->mutable_value()->set_string_value(failure.message);
      }
    }
    draft.group = group;
    drafts->push_back(std::move(draft));
  }

  if (stats != nullptr) {
    const int n = static_cast<int>(nodes.size());
    stats->min_spans_per_trace =
        stats->traces == 0 ? n : std::min(stats->min_spans_per_trace, n);
    stats->max_spans_per_trace = std::max(stats->max_spans_per_trace, n);
    ++stats->traces;
    stats->spans += n;
    stats->error_spans += error_spans;
    stats->services += services;
  }
}

ExportTraceServiceRequest TraceFactory::BuildBatch(int spans, absl::Time now,
                                                   BatchStats* stats) {
  const int64_t now_ns = absl::ToUnixNanos(now);
  const int lo = shape_.min_spans;
  const int hi = shape_.max_spans;
  std::vector<Draft> drafts;
  drafts.reserve(spans);
  // Cut the budget into traces of lo..hi spans. Far from the end any size
  // works; near it the last two or three traces split the rest evenly, which
  // stays within lo..hi whenever the rest is at least 2*lo.
  int rest = spans;
  while (rest > 0) {
    int n;
    if (rest <= hi || rest < 2 * lo) {
      n = rest;
    } else if (rest > 2 * hi + lo) {
      n = lo + static_cast<int>(rng_() % (hi - lo + 1));
    } else if (rest <= 2 * hi) {
      n = rest / 2;
    } else {
      n = rest / 3;
    }
    AddTrace(n, now_ns, &drafts, stats);
    rest -= n;
  }

  // Group by resource (service replica), in order of first appearance.
  ExportTraceServiceRequest request;
  std::map<std::tuple<int, int, int>, otrace::ScopeSpans*> scopes;
  const std::vector<Service>& catalog = Catalog();
  for (Draft& draft : drafts) {
    auto [it, inserted] =
        scopes.try_emplace({draft.group, draft.service, draft.replica}, nullptr);
    if (inserted) {
      const Service& service = catalog[draft.service];
      otrace::ResourceSpans* rs = request.add_resource_spans();
      auto* resource = rs->mutable_resource();
      auto add = [resource](const char* key, std::string value) {
        common::KeyValue* kv = resource->add_attributes();
        kv->set_key(key);
        kv->mutable_value()->set_string_value(std::move(value));
      };
      add("service.name", draft.group == 0
                              ? std::string(service.name)
                              : absl::StrCat(service.name, "-g", draft.group));
      add("service.version", service.version);
      add("host.name",
          absl::StrCat(service.name, "-7d9f8b6c5-", "x2kq", draft.replica));
      add("telemetry.sdk.name", "opentelemetry");
      add("telemetry.sdk.language", service.language);
      add("telemetry.sdk.version", service.sdk_version);
      otrace::ScopeSpans* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(service.scope);
      ss->mutable_scope()->set_version(service.scope_version);
      it->second = ss;
    }
    *it->second->add_spans() = std::move(draft.span);
  }
  return request;
}

}  // namespace andante::loadgen
