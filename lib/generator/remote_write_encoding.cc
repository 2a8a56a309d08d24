#include "generator/remote_write_encoding.h"

#include "absl/status/status.h"
#include "prometheus/remote.pb.h"
#include "snappy.h"

namespace andante::internal {

std::string EncodeWriteRequest(absl::Span<const CollectedSample> samples,
                               bool send_exemplars) {
  prompb::WriteRequest req;
  const std::vector<Label>* last_labels = nullptr;
  prompb::TimeSeries* ts = nullptr;
  for (const CollectedSample& s : samples) {
    if (ts == nullptr || last_labels == nullptr || *last_labels != s.labels) {
      ts = req.add_timeseries();
      for (const Label& l : s.labels) {
        prompb::Label* pl = ts->add_labels();
        pl->set_name(l.first);
        pl->set_value(l.second);
      }
      last_labels = &s.labels;
    }
    prompb::Sample* ps = ts->add_samples();
    ps->set_value(s.value);
    ps->set_timestamp(s.timestamp_ms);
    if (send_exemplars && s.exemplar.has_value()) {
      prompb::Exemplar* pe = ts->add_exemplars();
      for (const Label& l : s.exemplar->labels) {
        prompb::Label* pl = pe->add_labels();
        pl->set_name(l.first);
        pl->set_value(l.second);
      }
      pe->set_value(s.exemplar->value);
      pe->set_timestamp(s.exemplar->timestamp_ms);
    }
  }
  return req.SerializeAsString();
}

std::string SnappyCompress(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

absl::StatusOr<std::string> SnappyUncompress(std::string_view compressed) {
  std::string out;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &out)) {
    return absl::InvalidArgumentError("corrupt snappy block");
  }
  return out;
}

}  // namespace andante::internal
