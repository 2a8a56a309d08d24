#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "generator/remote_write_encoding.h"
#include "generator/remote_writer.h"
#include "prometheus/remote.pb.h"

namespace andante::internal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

std::string Hex(const std::string& s) {
  static constexpr char k[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out += ' ';
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

TEST(RemoteWriteEncodingTest, ReferenceTestVector) {
  CollectedSample up;
  up.labels = {{"__name__", "up"}};
  up.value = 1;
  up.timestamp_ms = 1000;
  const std::string raw = EncodeWriteRequest({up}, true);
  EXPECT_EQ(Hex(raw),
            "0a 1e 0a 0e 0a 08 5f 5f 6e 61 6d 65 5f 5f 12 02 75 70 12 0c 09 00 "
            "00 00 00 00 00 f0 3f 10 e8 07");
  // The reference's literal-only snappy block decodes to the same bytes.
  const std::string block = std::string("\x20\x7c", 2) + raw;
  absl::StatusOr<std::string> back = SnappyUncompress(block);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);
  // Our compressed body is a block (not the framing format) that round-trips.
  const std::string body = SnappyCompress(raw);
  EXPECT_NE(body.substr(0, 1), "\xff");
  EXPECT_EQ(*SnappyUncompress(body), raw);
  EXPECT_FALSE(SnappyUncompress("\xff\x06\x00garbage").ok());
}

std::vector<CollectedSample> TwoSeries() {
  CollectedSample zero, one, other;
  zero.labels = {{"__name__", "h_bucket"}, {"le", "0.1"}, {"svc", "a"}};
  zero.value = 0;
  zero.timestamp_ms = 59000;
  one = zero;
  one.value = 3;
  one.timestamp_ms = 65000;
  one.exemplar = CollectedExemplar{{{"traceID", "abc"}}, 0.05, 65000};
  other.labels = {{"__name__", "c_total"}, {"svc", "b"}};
  other.value = 7;
  other.timestamp_ms = 65000;
  return {zero, one, other};
}

TEST(RemoteWriteEncodingTest, RoundTripThroughGeneratedProtobuf) {
  const std::string body =
      SnappyCompress(EncodeWriteRequest(TwoSeries(), true));
  prompb::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(*SnappyUncompress(body)));
  ASSERT_EQ(req.timeseries_size(), 2);
  const prompb::TimeSeries& h = req.timeseries(0);
  ASSERT_EQ(h.labels_size(), 3);
  EXPECT_EQ(h.labels(0).name(), "__name__");
  EXPECT_EQ(h.labels(0).value(), "h_bucket");
  EXPECT_EQ(h.labels(1).name(), "le");
  ASSERT_EQ(h.samples_size(), 2);
  EXPECT_EQ(h.samples(0).value(), 0);
  EXPECT_EQ(h.samples(0).timestamp(), 59000);
  EXPECT_EQ(h.samples(1).value(), 3);
  EXPECT_EQ(h.samples(1).timestamp(), 65000);
  ASSERT_EQ(h.exemplars_size(), 1);
  EXPECT_EQ(h.exemplars(0).labels(0).name(), "traceID");
  EXPECT_EQ(h.exemplars(0).labels(0).value(), "abc");
  EXPECT_EQ(h.exemplars(0).value(), 0.05);
  EXPECT_EQ(h.exemplars(0).timestamp(), 65000);
  EXPECT_EQ(req.timeseries(1).samples(0).value(), 7);
  // Without send_exemplars none are encoded.
  prompb::WriteRequest plain;
  ASSERT_TRUE(plain.ParseFromString(EncodeWriteRequest(TwoSeries(), false)));
  EXPECT_EQ(plain.timeseries(0).exemplars_size(), 0);
}

// A receiver on a loopback port answering each POST with the next status of
// a script (then 204), recording what it got.
class FakeReceiver {
 public:
  struct Got {
    std::map<std::string, std::string> headers;
    std::string body;
  };
  explicit FakeReceiver(std::vector<int> script,
                        std::string error_body = "out of order sample")
      : script_(std::move(script)), error_body_(std::move(error_body)) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind(
        tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeReceiver() {
    stop_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept.
    tcp::socket s(io_);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_),
              ec);
    s.close(ec);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write";
  }
  std::vector<Got> got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  void Serve() {
    while (!stop_) {
      tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      beast::flat_buffer buf;
      for (;;) {
        http::request<http::string_body> req;
        http::read(sock, buf, req, ec);
        if (ec) break;
        Got g;
        for (const auto& f : req) {
          g.headers[std::string(f.name_string())] = std::string(f.value());
        }
        g.body = req.body();
        int status = 204;
        {
          absl::MutexLock lock(&mu_);
          if (got_.size() < script_.size()) status = script_[got_.size()];
          got_.push_back(std::move(g));
        }
        http::response<http::string_body> resp{
            static_cast<http::status>(status), 11};
        resp.body() = status >= 400 ? error_body_ : "";
        resp.prepare_payload();
        http::write(sock, resp, ec);
        if (ec) break;
      }
    }
  }

  std::vector<int> script_;
  std::string error_body_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Got> got_ ABSL_GUARDED_BY(mu_);
};

TEST(RemoteWriterTest, HeadersAndRetriesOn5xxAnd429ThenSuccess) {
  FakeReceiver rx({503, 429, 500});
  RemoteWriteOptions o;
  o.url = rx.url();
  o.headers = {{"Authorization", "Bearer t"}};
  o.min_backoff = absl::Milliseconds(5);
  RemoteWriter w(o);
  w.Enqueue("team-a", TwoSeries());
  ASSERT_TRUE(w.WaitIdle(absl::Seconds(20)));
  std::vector<FakeReceiver::Got> got = rx.got();
  ASSERT_EQ(got.size(), 4u);
  for (const auto& g : got) EXPECT_EQ(g.body, got[0].body);  // same batch
  const auto& h = got[3].headers;
  EXPECT_EQ(h.at("Content-Encoding"), "snappy");
  EXPECT_EQ(h.at("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(h.at("X-Prometheus-Remote-Write-Version"), "0.1.0");
  EXPECT_EQ(h.at("Authorization"), "Bearer t");
  EXPECT_EQ(h.at("X-Scope-OrgID"), "team-a");
  EXPECT_EQ(h.at("Retry-Attempt"), "3");
  EXPECT_TRUE(h.count("User-Agent"));
  prompb::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(*SnappyUncompress(got[3].body)));
  EXPECT_EQ(req.timeseries_size(), 2);
  RemoteWriter::Stats s = w.stats();
  EXPECT_EQ(s.requests_sent, 1);
  EXPECT_EQ(s.samples_sent, 3);
  EXPECT_EQ(s.retries, 3);
  EXPECT_EQ(s.requests_failed, 0);
}

TEST(RemoteWriterTest, Other4xxIsDroppedNotRetried) {
  FakeReceiver rx({400}, "duplicate label names");
  RemoteWriteOptions o;
  o.url = rx.url();
  o.min_backoff = absl::Milliseconds(5);
  RemoteWriter w(o);
  w.Enqueue("single-tenant", TwoSeries());
  w.Enqueue("single-tenant", TwoSeries());
  ASSERT_TRUE(w.WaitIdle(absl::Seconds(20)));
  auto got = rx.got();
  ASSERT_EQ(got.size(), 2u);  // the 400'd batch once, then the next one
  EXPECT_EQ(got[0].headers.count("X-Scope-OrgID"), 0u);  // single tenant
  RemoteWriter::Stats s = w.stats();
  EXPECT_EQ(s.requests_failed, 1);
  EXPECT_EQ(s.requests_sent, 1);
  EXPECT_EQ(s.retries, 0);
}

TEST(RemoteWriterTest, SplitsBatchesWithoutSplittingASeries) {
  FakeReceiver rx({});
  RemoteWriteOptions o;
  o.url = rx.url();
  o.max_samples_per_send = 2;
  RemoteWriter w(o);
  w.Enqueue("single-tenant", TwoSeries());  // [zero, one] [other]
  ASSERT_TRUE(w.WaitIdle(absl::Seconds(20)));
  auto got = rx.got();
  ASSERT_EQ(got.size(), 2u);
  prompb::WriteRequest a, b;
  ASSERT_TRUE(a.ParseFromString(*SnappyUncompress(got[0].body)));
  ASSERT_TRUE(b.ParseFromString(*SnappyUncompress(got[1].body)));
  EXPECT_EQ(a.timeseries(0).samples_size(), 2);
  EXPECT_EQ(b.timeseries(0).labels(0).value(), "c_total");
}

TEST(RemoteWriterTest, OutOfOrder400IsResentOnceWithoutInitialZeros) {
  FakeReceiver rx({400});  // body "out of order sample"
  RemoteWriteOptions o;
  o.url = rx.url();
  RemoteWriter w(o);
  w.Enqueue("single-tenant", TwoSeries());
  ASSERT_TRUE(w.WaitIdle(absl::Seconds(20)));
  auto got = rx.got();
  ASSERT_EQ(got.size(), 2u);
  prompb::WriteRequest first, second;
  ASSERT_TRUE(first.ParseFromString(*SnappyUncompress(got[0].body)));
  ASSERT_TRUE(second.ParseFromString(*SnappyUncompress(got[1].body)));
  EXPECT_EQ(first.timeseries(0).samples_size(), 2);
  ASSERT_EQ(second.timeseries(0).samples_size(), 1);  // zero gone
  EXPECT_EQ(second.timeseries(0).samples(0).value(), 3);
  EXPECT_EQ(second.timeseries(0).exemplars_size(), 1);
  EXPECT_EQ(second.timeseries(1).samples(0).value(), 7);
  EXPECT_EQ(w.stats().resent_without_zeros, 1);
  EXPECT_EQ(w.stats().requests_sent, 1);
}

std::string TempDir(const std::string& name) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("andante-rwq-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

size_t QueueFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().extension() == ".rwq";
  }
  return n;
}

TEST(RemoteWriterTest, DiskQueueSurvivesARestart) {
  const std::string dir = TempDir("restart");
  {
    RemoteWriteOptions o;
    o.url = "http://127.0.0.1:1/api/v1/write";  // down
    o.queue_dir = dir;
    o.min_backoff = absl::Milliseconds(5);
    o.max_samples_per_send = 2;
    RemoteWriter w(o);
    w.Enqueue("team-a", TwoSeries());  // two requests
    EXPECT_EQ(QueueFiles(dir), 2u);
    w.Stop(absl::ZeroDuration());  // "crash": nothing delivered
  }
  EXPECT_EQ(QueueFiles(dir), 2u);
  FakeReceiver rx({});
  RemoteWriteOptions o;
  o.url = rx.url();
  o.queue_dir = dir;
  RemoteWriter w(o);
  EXPECT_EQ(w.stats().recovered_requests, 2);
  ASSERT_TRUE(w.WaitIdle(absl::Seconds(20)));
  auto got = rx.got();
  ASSERT_EQ(got.size(), 2u);  // in their original order
  prompb::WriteRequest a, b;
  ASSERT_TRUE(a.ParseFromString(*SnappyUncompress(got[0].body)));
  ASSERT_TRUE(b.ParseFromString(*SnappyUncompress(got[1].body)));
  EXPECT_EQ(a.timeseries(0).labels(0).value(), "h_bucket");
  EXPECT_EQ(b.timeseries(0).labels(0).value(), "c_total");
  EXPECT_EQ(got[0].headers.at("X-Scope-OrgID"), "team-a");
  EXPECT_EQ(QueueFiles(dir), 0u);  // delivered files are removed
  std::filesystem::remove_all(dir);
}

TEST(RemoteWriterTest, CorruptQueueFileIsDroppedOthersDelivered) {
  const std::string dir = TempDir("corrupt");
  {
    RemoteWriteOptions o;
    o.url = "http://127.0.0.1:1/api/v1/write";
    o.queue_dir = dir;
    o.max_samples_per_send = 2;
    RemoteWriter w(o);
    w.Enqueue("single-tenant", TwoSeries());
    w.Stop(absl::ZeroDuration());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 2u);
  {
    // Flip one byte in the first file's body.
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    char c = 0;
    f.read(&c, 1);
    f.seekp(-3, std::ios::end);
    c ^= 0x5a;
    f.write(&c, 1);
  }
  // A torn temp file from a crash mid-write is ignored and removed.
  std::ofstream(dir + "/00000000000000ff.rwq.tmp") << "partial";
  FakeReceiver rx({});
  RemoteWriteOptions o;
  o.url = rx.url();
  o.queue_dir = dir;
  RemoteWriter w(o);
  EXPECT_EQ(w.stats().corrupt_files, 1);
  EXPECT_EQ(w.stats().recovered_requests, 1);
  ASSERT_TRUE(w.WaitIdle(absl::Seconds(20)));
  auto got = rx.got();
  ASSERT_EQ(got.size(), 1u);
  prompb::WriteRequest b;
  ASSERT_TRUE(b.ParseFromString(*SnappyUncompress(got[0].body)));
  EXPECT_EQ(b.timeseries(0).labels(0).value(), "c_total");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(RemoteWriterTest, UnreachableEndpointIsRetriedUntilStopDeadline) {
  RemoteWriteOptions o;
  o.url = "http://127.0.0.1:1/api/v1/write";
  o.min_backoff = absl::Milliseconds(5);
  o.max_backoff = absl::Milliseconds(20);
  RemoteWriter w(o);
  w.Enqueue("single-tenant", TwoSeries());
  EXPECT_FALSE(w.WaitIdle(absl::Milliseconds(300)));
  w.Stop(absl::Milliseconds(50));
  EXPECT_GT(w.stats().retries, 2);
  EXPECT_EQ(w.stats().requests_sent, 0);
}

}  // namespace
}  // namespace andante::internal
