// The code under test: a checkout that charges a card through a flaky
// payment gateway, retrying, and is instrumented with spans.
#ifndef ANDANTE_EXAMPLES_CHECKOUT_CHECKOUT_H_
#define ANDANTE_EXAMPLES_CHECKOUT_CHECKOUT_H_

#include <functional>
#include <string>

#include "otlp_http_tracer.h"

namespace checkout {

// The gateway's answer to one charge attempt: an HTTP status code.
using Gateway = std::function<int(const std::string& card, int64_t cents)>;

// Charges `cents` to `card`, retrying a 503 up to `max_attempts` times.
// Spans: "checkout" (server) with one "charge" (client) child per attempt,
// each with http.status_code and charge.attempt; a declined card (402) is
// an error with an exception event and fails the checkout.
inline bool Checkout(Tracer& tracer, const Gateway& gateway,
                     const std::string& card, int64_t cents,
                     int max_attempts = 3) {
  using Kind = otlp::trace::v1::Span;
  ScopedSpan root = tracer.StartSpan("checkout", Kind::SPAN_KIND_SERVER);
  root.SetAttribute("order.cents", cents);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    ScopedSpan charge =
        tracer.StartSpan("charge", Kind::SPAN_KIND_CLIENT, &root);
    charge.SetAttribute("charge.attempt", int64_t{attempt});
    const int status = gateway(card, cents);
    charge.SetAttribute("http.status_code", int64_t{status});
    if (status == 200) return true;
    if (status == 402) {
      charge.SetError("card declined");
      charge.RecordException("PaymentDeclined",
                             "card " + card.substr(0, 4) + "... declined");
      root.SetError("payment failed");
      return false;
    }
    // 503: try again.
  }
  root.SetError("payment gateway unavailable");
  return false;
}

}  // namespace checkout

#endif  // ANDANTE_EXAMPLES_CHECKOUT_CHECKOUT_H_
