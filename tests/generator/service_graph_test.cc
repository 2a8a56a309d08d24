#include "andante/service_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "andante/otlp.h"
#include "tests/generator/fixture.h"
#include "tests/generator/samples.h"

namespace andante {
namespace {

using testing::CountNamed;
using testing::Fixture;
using testing::SeriesOf;
using testing::ValueOf;

constexpr int64_t kBase = 1700000040;

std::vector<Label> With(std::vector<Label> l, const std::string& k,
                        const std::string& v) {
  l.emplace_back(k, v);
  return l;
}

class ServiceGraphTest : public ::testing::Test {
 protected:
  MetricsRegistry registry_{RegistryOptions{}};
  absl::Time now_ = absl::FromUnixSeconds(kBase + 83);
  const std::string total_ = "traces_service_graph_request_total";
  const std::string failed_ = "traces_service_graph_request_failed_total";
  const std::string server_ = "traces_service_graph_request_server_seconds";
  const std::string client_ = "traces_service_graph_request_client_seconds";
};

TEST_F(ServiceGraphTest, PairsClientAndServerAndCompletesDatabaseAtOnce) {
  ServiceGraphProcessor g(ServiceGraphOptions{}, &registry_);
  PushRequest(&g, Fixture(kBase), now_);
  // S1 and R1 (root servers) wait; S2+S3 paired; Q2 is a database call.
  EXPECT_EQ(g.pending_edges(), 2);
  auto s = registry_.Collect(now_);
  const std::vector<Label> fp = {{"client", "frontend"},
                                 {"server", "payments"}};
  EXPECT_EQ(ValueOf(s, total_, fp), 1);
  EXPECT_EQ(ValueOf(s, failed_, fp), 1);  // S3 is an error
  EXPECT_DOUBLE_EQ(*ValueOf(s, server_ + "_sum", fp), 0.038);
  EXPECT_DOUBLE_EQ(*ValueOf(s, client_ + "_sum", fp), 0.045);
  EXPECT_EQ(ValueOf(s, server_ + "_bucket", With(fp, "le", "0.1")), 1);
  // Exemplar with the trace ID on the bucket holding the observation.
  auto b = SeriesOf(s, server_ + "_bucket", With(fp, "le", "0.1"));
  ASSERT_TRUE(b.back().exemplar.has_value());
  EXPECT_EQ(b.back().exemplar->labels[0].second, "a01");

  const std::vector<Label> db = {{"client", "batch"},
                                 {"connection_type", "database"},
                                 {"server", "orders"}};
  EXPECT_EQ(ValueOf(s, total_, db), 1);
  EXPECT_EQ(ValueOf(s, failed_, db), 1);
  EXPECT_DOUBLE_EQ(*ValueOf(s, server_ + "_sum", db), 4);
  EXPECT_DOUBLE_EQ(*ValueOf(s, client_ + "_sum", db), 4);
  EXPECT_EQ(ValueOf(s, server_ + "_bucket", With(db, "le", "3.2")), 0);
  EXPECT_EQ(ValueOf(s, server_ + "_bucket", With(db, "le", "6.4")), 1);
  // No user edge yet.
  EXPECT_EQ(CountNamed(s, total_), 4u);  // two series, zero + value each
}

// A database call's server: peer.service, else server.address, else
// network.peer.address (with :network.peer.port), else the database name;
// each from the span first, then from its resource.
TEST_F(ServiceGraphTest, DatabaseServerNaming) {
  using andante::otlp::collector::trace::v1::ExportTraceServiceRequest;
  using andante::otlp::trace::v1::ResourceSpans;
  using andante::otlp::trace::v1::Span;
  using andante::otlp::trace::v1::Status;
  ExportTraceServiceRequest req;
  const uint64_t start = static_cast<uint64_t>(kBase) * 1000000000ull;
  ResourceSpans* api = testing::AddResource(&req, "api");
  auto db_call = [&](ResourceSpans* rs, int id) {
    Span* s = testing::AddSpan(rs, 9, id, 0, "query", Span::SPAN_KIND_CLIENT,
                               Status::STATUS_CODE_UNSET, start, 1000);
    return s->mutable_attributes();
  };
  auto* a = db_call(api, 1);
  testing::AddStr(a, "db.name", "orders");
  testing::AddStr(a, "server.address", "not-this");
  testing::AddStr(a, "peer.service", "pg-main");
  a = db_call(api, 2);
  testing::AddStr(a, "db.system", "mysql");
  testing::AddStr(a, "network.peer.address", "not-this-either");
  testing::AddStr(a, "server.address", "mysql.local");
  a = db_call(api, 3);
  testing::AddStr(a, "db.name", "users");
  testing::AddStr(a, "network.peer.address", "10.0.0.5");
  testing::AddInt(a, "network.peer.port", 5432);
  a = db_call(api, 4);
  testing::AddStr(a, "db.name", "cache");
  testing::AddStr(a, "network.peer.address", "10.0.0.6");
  a = db_call(api, 5);
  testing::AddStr(a, "db.name", "plain");
  ResourceSpans* worker = testing::AddResource(&req, "worker");
  testing::AddStr(worker->mutable_resource()->mutable_attributes(),
                  "server.address", "shared-db");
  testing::AddStr(db_call(worker, 6), "db.name", "jobs");
  a = db_call(worker, 7);
  testing::AddStr(a, "db.name", "jobs");
  testing::AddStr(a, "server.address", "own-db");

  ServiceGraphProcessor g(ServiceGraphOptions{}, &registry_);
  PushRequest(&g, req, now_);
  ASSERT_TRUE(g.Push(req.SerializeAsString(), now_));  // the wire path
  EXPECT_EQ(g.pending_edges(), 0);
  const auto s = registry_.Collect(now_);
  for (const auto& [client, server] :
       std::vector<std::pair<std::string, std::string>>{
           {"api", "pg-main"},
           {"api", "mysql.local"},
           {"api", "10.0.0.5:5432"},
           {"api", "10.0.0.6"},
           {"api", "plain"},
           {"worker", "shared-db"},
           {"worker", "own-db"}}) {
    EXPECT_EQ(ValueOf(s, total_,
                      {{"client", client},
                       {"connection_type", "database"},
                       {"server", server}}),
              2)
        << client << " -> " << server;
  }
  EXPECT_EQ(CountNamed(s, total_), 14u);  // seven series, zero + value each
}

TEST_F(ServiceGraphTest, RootServerSpansExpireIntoUserEdge) {
  ServiceGraphProcessor g(ServiceGraphOptions{}, &registry_);
  PushRequest(&g, Fixture(kBase), now_);
  g.Expire(now_ + absl::Seconds(10));  // not yet: waited exactly `wait`
  EXPECT_EQ(g.pending_edges(), 2);
  g.Expire(now_ + absl::Seconds(11));
  EXPECT_EQ(g.pending_edges(), 0);
  auto s = registry_.Collect(now_ + absl::Seconds(11));
  const std::vector<Label> user = {{"client", "user"},
                                   {"connection_type", "virtual_node"},
                                   {"server", "frontend"}};
  EXPECT_EQ(ValueOf(s, total_, user), 2);  // S1 and R1
  EXPECT_EQ(ValueOf(s, failed_, user), std::nullopt);
  EXPECT_DOUBLE_EQ(*ValueOf(s, server_ + "_sum", user), 0.302);
  EXPECT_EQ(ValueOf(s, client_ + "_sum", user), 0);
  EXPECT_EQ(ValueOf(s, client_ + "_count", user), 2);
  EXPECT_EQ(ValueOf(s, server_ + "_bucket", With(user, "le", "0.1")), 1);
  EXPECT_EQ(ValueOf(s, server_ + "_bucket", With(user, "le", "0.4")), 2);
  EXPECT_EQ(g.expired_edges(), 0);
}

TEST_F(ServiceGraphTest, UnansweredClientWithPeerBecomesVirtualServer) {
  ServiceGraphOptions o;
  o.enable_virtual_node_label = true;
  ServiceGraphProcessor g(o, &registry_);
  auto req = Fixture(kBase);
  // Drop S3 (payments' server span): S2 is left waiting.
  req.mutable_resource_spans(1)
      ->mutable_scope_spans(0)
      ->mutable_spans()
      ->DeleteSubrange(0, 1);
  PushRequest(&g, req, now_);
  g.Expire(now_ + absl::Seconds(11));
  auto s = registry_.Collect(now_ + absl::Seconds(11));
  const std::vector<Label> v = {{"client", "frontend"},
                                {"connection_type", "virtual_node"},
                                {"server", "payments"},
                                {"virtual_node", "server"}};
  EXPECT_EQ(ValueOf(s, total_, v), 1);
  EXPECT_EQ(ValueOf(s, server_ + "_sum", v), 0);
  EXPECT_DOUBLE_EQ(*ValueOf(s, client_ + "_sum", v), 0.045);
  EXPECT_EQ(ValueOf(s, total_,
                    {{"client", "user"},
                     {"connection_type", "virtual_node"},
                     {"server", "frontend"},
                     {"virtual_node", "client"}}),
            2);
}

// A side that does not complete its edge (a repeated client span, same
// span ID, with another peer.service) replaces the one held, peer included:
// the edge expires into a virtual server named by the later copy. Within a
// batch (the batch's own edges) and across batches (the shared table).
TEST_F(ServiceGraphTest, RepeatedClientSideTakesTheLaterPeer) {
  for (const bool across_batches : {false, true}) {
    SCOPED_TRACE(across_batches ? "across batches" : "within a batch");
    MetricsRegistry registry{RegistryOptions{}};
    ServiceGraphProcessor g(ServiceGraphOptions{}, &registry);
    auto req = Fixture(kBase);
    // Drop S3 (payments' server span): S2 is left waiting.
    req.mutable_resource_spans(1)
        ->mutable_scope_spans(0)
        ->mutable_spans()
        ->DeleteSubrange(0, 1);
    // S2 again, under its own frontend resource, naming another peer.
    testing::ExportTraceServiceRequest again;
    auto* rs = again.add_resource_spans();
    *rs->mutable_resource() = req.resource_spans(0).resource();
    auto* s2 = rs->add_scope_spans()->add_spans();
    *s2 = req.resource_spans(0).scope_spans(0).spans(1);
    ASSERT_EQ(s2->kind(), testing::Span::SPAN_KIND_CLIENT);
    for (auto& kv : *s2->mutable_attributes()) {
      if (kv.key() == "peer.service") {
        kv.mutable_value()->set_string_value("payments-v2");
      }
    }
    if (across_batches) {
      PushRequest(&g, req, now_);
      PushRequest(&g, again, now_);
    } else {
      *req.add_resource_spans() = again.resource_spans(0);
      PushRequest(&g, req, now_);
    }
    g.Expire(now_ + absl::Seconds(11));
    auto s = registry.Collect(now_ + absl::Seconds(11));
    EXPECT_EQ(ValueOf(s, total_,
                      {{"client", "frontend"},
                       {"connection_type", "virtual_node"},
                       {"server", "payments-v2"}}),
              1);
    EXPECT_FALSE(ValueOf(s, total_,
                         {{"client", "frontend"},
                          {"connection_type", "virtual_node"},
                          {"server", "payments"}})
                     .has_value());
  }
}

TEST_F(ServiceGraphTest, ArrivalOrderDoesNotMatter) {
  ServiceGraphProcessor g(ServiceGraphOptions{}, &registry_);
  auto all = Fixture(kBase);
  testing::ExportTraceServiceRequest server_first, client_second;
  *server_first.add_resource_spans() = all.resource_spans(1);   // payments
  *client_second.add_resource_spans() = all.resource_spans(0);  // frontend
  PushRequest(&g, server_first, now_);
  PushRequest(&g, client_second, now_ + absl::Seconds(3));
  auto s = registry_.Collect(now_ + absl::Seconds(3));
  EXPECT_EQ(
      ValueOf(s, total_, {{"client", "frontend"}, {"server", "payments"}}), 1);
}

TEST_F(ServiceGraphTest, UnpairedAndDroppedSpansAreCounted) {
  ServiceGraphOptions o;
  o.max_items = 1;
  ServiceGraphProcessor g(o, &registry_);
  testing::ExportTraceServiceRequest req;
  auto* rs = testing::AddResource(&req, "api");
  // A non-root server span whose client never arrives (not virtual).
  testing::AddSpan(rs, 5, 1, 99, "handle", testing::Span::SPAN_KIND_SERVER,
                   testing::Status::STATUS_CODE_UNSET, 1, 1000);
  // A second pending edge: over max_items, dropped.
  testing::AddSpan(rs, 6, 2, 0, "call", testing::Span::SPAN_KIND_CLIENT,
                   testing::Status::STATUS_CODE_UNSET, 1, 1000);
  PushRequest(&g, req, now_);
  EXPECT_EQ(g.dropped_spans(), 1);
  g.Expire(now_ + absl::Seconds(11));
  EXPECT_EQ(g.expired_edges(), 1);
  auto s = registry_.Collect(now_ + absl::Seconds(11));
  EXPECT_EQ(ValueOf(s, "traces_service_graph_dropped_spans_total",
                    {{"client", "api"}}),
            1);
  EXPECT_EQ(ValueOf(s, "traces_service_graph_unpaired_spans_total",
                    {{"server", "api"}}),
            1);
  EXPECT_EQ(CountNamed(s, total_), 0u);
}

TEST_F(ServiceGraphTest, MessagingAndDimensions) {
  ServiceGraphOptions o;
  o.dimensions = {"deployment.environment"};
  ServiceGraphProcessor g(o, &registry_);
  testing::ExportTraceServiceRequest req;
  auto* p = testing::AddResource(&req, "orders", "prod");
  testing::AddSpan(p, 7, 1, 0, "publish", testing::Span::SPAN_KIND_PRODUCER,
                   testing::Status::STATUS_CODE_UNSET, 1, 2000000);
  auto* c = testing::AddResource(&req, "billing");
  testing::AddSpan(c, 7, 2, 1, "consume", testing::Span::SPAN_KIND_CONSUMER,
                   testing::Status::STATUS_CODE_UNSET, 5000000, 1000000);
  PushRequest(&g, req, now_);
  auto s = registry_.Collect(now_);
  EXPECT_EQ(ValueOf(s, total_,
                    {{"client", "orders"},
                     {"connection_type", "messaging_system"},
                     {"deployment_environment", "prod"},
                     {"server", "billing"}}),
            1);
}

TEST_F(ServiceGraphTest, ClientServerPrefix) {
  ServiceGraphOptions o;
  o.dimensions = {"deployment.environment"};
  o.enable_client_server_prefix = true;
  ServiceGraphProcessor g(o, &registry_);
  auto req = Fixture(kBase);
  PushRequest(&g, req, now_);
  auto s = registry_.Collect(now_);
  EXPECT_EQ(ValueOf(s, total_,
                    {{"client", "frontend"},
                     {"client_deployment_environment", "prod"},
                     {"server", "payments"}}),
            1);
}

}  // namespace
}  // namespace andante
