#!/usr/bin/env python3
"""Golden TraceQL dataset and expectations.

Generates a deterministic dataset of traces (dataset.json) and, for every
query below, the expected matching traces and spansets (expected.json). The
expectations come from hand-written Python predicates and combinators over
the generated spans -- a computation separate from the C++ engine, which
tests/traceql/golden_test.cc checks against these files.

    python3 generate.py           # rewrite dataset.json and expected.json
    python3 generate.py --check   # exit 1 if the committed files are stale

Semantics follow shared/reference/traceql.md (§3 value model, §3.5
candidate spans, §5 tier 2).
"""

import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MS = 1_000_000
SEC = 1_000_000_000
BASE = 1_700_000_040 * SEC


# ---------------------------------------------------------------------------
# Deterministic PRNG (xorshift64*), independent of Python's random module.
class Rng:
    def __init__(self, seed):
        self.x = seed or 1

    def next(self):
        x = self.x
        x ^= (x >> 12)
        x ^= (x << 25) & 0xFFFFFFFFFFFFFFFF
        x ^= (x >> 27)
        self.x = x & 0xFFFFFFFFFFFFFFFF
        return (self.x * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        return self.next() % n

    def chance(self, percent):
        return self.below(100) < percent

    def pick(self, seq):
        return seq[self.below(len(seq))]


# ---------------------------------------------------------------------------
# Dataset.
SERVICES = {
    "frontend": ["GET /api/users", "GET /api/cart", "POST /api/checkout", "render"],
    "cart": ["GET /cart", "redis GET", "redis SET"],
    "payments": ["charge", "refund", "POST /charge"],
    "inventory": ["SELECT items", "UPDATE items", "reserve"],
    "auth": ["authorize", "GET /token"],
    "batch": ["nightly-job", "SELECT orders"],
    "search": ["query", "GET /search"],
    "email": ["send-email"],
}
SERVICE_NAMES = sorted(SERVICES)
ENVS = ["prod", "staging", "dev"]
REGIONS = ["eu-west-1", "us-east-1"]
MESSAGES = ["timeout", "declined", "connection refused", "line1\nline2"]


def hexid(rng, nbytes):
    return "".join("%02x" % rng.below(256) for _ in range(nbytes))


def make_resource(rng, service):
    attrs = {"service.name": ["s", service]}
    if rng.chance(80):
        attrs["deployment.environment"] = ["s", rng.pick(ENVS)]
    attrs["host.name"] = ["s", "host-%d" % rng.below(5)]
    if rng.chance(50):
        attrs["cloud.region"] = ["s", rng.pick(REGIONS)]
    if rng.chance(30):
        attrs["k8s.pod.restarts"] = ["i", rng.below(4)]
    if rng.chance(25):
        attrs["env"] = ["s", "res-" + rng.pick(ENVS)]
    if rng.chance(15):
        attrs["retries"] = ["i", 7]  # also a span attribute name
    return {"attrs": attrs}


def make_span_attrs(rng, name, kind):
    a = {}
    if name.startswith(("GET", "POST")):
        a["http.method"] = ["s", name.split(" ")[0]]
        a["http.url"] = ["s", "https://example.com" + name.split(" ")[1]]
        r = rng.below(10)
        code = 200 if r < 6 else (404 if r < 7 else (500 if r < 9 else 503))
        if rng.chance(10):
            a["http.status_code"] = ["s", str(code)]  # wrong type on purpose
        else:
            a["http.status_code"] = ["i", code]
    if name.startswith(("SELECT", "UPDATE")):
        a["db.system"] = ["s", rng.pick(["postgresql", "mysql"])]
        a["db.statement"] = ["s", name + " WHERE id = $1"]
    if name.startswith("redis"):
        a["db.system"] = ["s", "redis"]
        a["cache_hit"] = ["b", rng.chance(60)]
    if rng.chance(40):
        a["retries"] = ["i", rng.below(6)]
    if rng.chance(35):
        if rng.chance(30):
            a["ratio"] = ["f", float(rng.below(4))]  # integral floats
        else:
            a["ratio"] = ["f", rng.below(1000) / 400.0]
    if rng.chance(30):
        a["bytes"] = ["i", rng.below(40000)]
    if rng.chance(20):
        # Same key with different types across spans.
        if rng.chance(50):
            a["score"] = ["i", rng.below(10)]
        else:
            a["score"] = ["f", rng.below(100) / 10.0]
    if rng.chance(15):
        a["env"] = ["s", "span-" + rng.pick(ENVS)]
    if rng.chance(10):
        a["name"] = ["s", "attr-name"]
    if rng.chance(10):
        a["user id"] = ["s", "u-%d" % rng.below(50)]
    if rng.chance(10):
        a["foo-bar"] = ["i", rng.below(3)]
    if rng.chance(10):
        a["sampled"] = ["b", rng.chance(50)]
    if rng.chance(5):
        a["nil"] = ["s", "nil"]
    if rng.chance(15):
        a["tags"] = ["a", [["s", rng.pick(["red", "green", "blue"])] for _ in range(rng.below(4))]]
    if rng.chance(12):
        codes = [["i", rng.below(10)] for _ in range(1 + rng.below(3))]
        if rng.chance(30):
            codes.append(["f", 2.0])
        a["codes"] = ["a", codes]
    return a


def make_trace(rng, index):
    trace_id = hexid(rng, 16)
    if index % 7 == 0:
        trace_id = "00" + trace_id[2:]
    if index % 31 == 0:
        trace_id = "0000" + trace_id[4:]
    nspans = 1 + rng.below(12)
    if index % 50 == 0:
        nspans = 1
    resources = []
    res_of_service = {}
    spans = []
    start = BASE + index * 3 * SEC + rng.below(1000) * MS
    root_service = rng.pick(SERVICE_NAMES)
    for k in range(nspans):
        if k == 0:
            service = root_service
            parent = None
        else:
            parent = rng.below(k)  # index of an earlier span
            service = spans[parent]["service"] if rng.chance(50) else rng.pick(SERVICE_NAMES)
        if service not in res_of_service:
            res_of_service[service] = len(resources)
            resources.append(make_resource(rng, service))
        name = rng.pick(SERVICES[service])
        kind = rng.below(6)
        if k == 0:
            kind = 2  # server root
        r = rng.below(10)
        status = 2 if r < 2 else (1 if r < 4 else 0)
        msg = ""
        if status == 2 and rng.chance(70):
            msg = rng.pick(MESSAGES)
        if k == 0:
            s_start = start
            dur = (50 + rng.below(3000)) * MS
            if rng.chance(10):
                dur = (1000 + rng.below(5000)) * MS
        else:
            p = spans[parent]
            s_start = p["start"] + rng.below(20) * MS
            dur = rng.below(max(1, p["duration"] // MS)) * MS + rng.below(1000) * 1000
        span = {
            "id": hexid(rng, 8),
            "parent": parent,
            "service": service,
            "resource": res_of_service[service],
            "name": name,
            "kind": kind,
            "status": status,
            "status_message": msg,
            "start": s_start,
            "duration": dur,
            "attrs": make_span_attrs(rng, name, kind),
            "events": [],
            "links": [],
            "scope": None,
        }
        if rng.chance(15):
            span["events"].append({"name": "exception", "time": rng.below(10) * MS,
                                   "attrs": {"exception.type": ["s", rng.pick(["IOError", "Timeout"])]}})
        if rng.chance(10):
            span["events"].append({"name": "retry", "time": rng.below(10) * MS,
                                   "attrs": {"attempt": ["i", 1 + rng.below(3)]}})
        if rng.chance(8):
            span["links"].append({"trace_id": hexid(rng, 16), "span_id": hexid(rng, 8),
                                  "attrs": {"link.kind": ["s", rng.pick(["follows", "child_of"])]}})
        if rng.chance(70):
            lib = rng.pick(["http", "grpc", "db"])
            span["scope"] = {"name": "io.lib." + lib, "version": rng.pick(["1.0.0", "2.1.0"]),
                             "attrs": {"lib.lang": ["s", rng.pick(["go", "java"])]}}
        spans.append(span)
    # Some traces lack their root span (not yet received).
    if index % 23 == 5 and nspans > 1:
        spans[0]["missing"] = True
    out_spans = []
    for s in spans:
        if s.get("missing"):
            continue
        o = dict(s)
        o["parent_id"] = spans[s["parent"]]["id"] if s["parent"] is not None else (
            "" if not s.get("missing") else "")
        o.pop("parent")
        o.pop("service")
        out_spans.append(o)
    return {"trace_id": trace_id, "resources": resources, "spans": out_spans}


def make_dataset():
    rng = Rng(0x5EED1234ABCD)
    return {"traces": [make_trace(rng, i) for i in range(300)]}


# ---------------------------------------------------------------------------
# Python model of a trace for the predicates.
class S:
    """One span with navigation helpers."""


class T:
    pass


def load_model(dataset):
    traces = []
    for td in dataset["traces"]:
        t = T()
        t.id = td["trace_id"]
        t.id_trimmed = t.id.lstrip("0")
        t.spans = []
        by_id = {}
        for i, sd in enumerate(td["spans"]):
            s = S()
            s.i = i
            s.t = t
            s.id = sd["id"]
            s.parent_id = sd["parent_id"]
            s.name = sd["name"]
            s.kind = ["unspecified", "internal", "server", "client", "producer", "consumer"][sd["kind"]]
            s.status = ["unset", "ok", "error"][sd["status"]]
            s.msg = sd["status_message"]
            s.start = sd["start"]
            s.dur = sd["duration"]
            s.attrs = {k: (v[0], v[1]) for k, v in sd["attrs"].items()}
            s.res = {k: tuple(v) for k, v in td["resources"][sd["resource"]]["attrs"].items()}
            s.events = [(e["name"], e["time"], {k: tuple(v) for k, v in e["attrs"].items()})
                        for e in sd["events"]]
            s.links = [(l["trace_id"], l["span_id"], {k: tuple(v) for k, v in l["attrs"].items()})
                       for l in sd["links"]]
            s.scope = sd["scope"]
            t.spans.append(s)
            by_id.setdefault(s.id, i)
        for s in t.spans:
            s.parent = by_id.get(s.parent_id) if s.parent_id else None
        for s in t.spans:
            s.children = [c.i for c in t.spans if c.parent == s.i]
        roots = [s for s in t.spans if not s.parent_id]
        t.root = roots[0] if roots else None
        t.start = min(s.start for s in t.spans)
        t.end = max(s.start + s.dur for s in t.spans)
        t.dur = t.end - t.start
        t.root_name = t.root.name if t.root else None
        t.root_service = t.root.res["service.name"][1] if t.root else None
        traces.append(t)
    return traces


# Typed accessors: each returns (type, value) or None.
def span_a(s, k):
    return s.attrs.get(k)


def res_a(s, k):
    return s.res.get(k)


def any_a(s, k):
    v = s.attrs.get(k)
    return v if v is not None else s.res.get(k)


def num(v):
    """The numeric value of an int/float attribute, else None."""
    return v[1] if v is not None and v[0] in ("i", "f") else None


def elements(v):
    """The (type, value) elements of an array attribute, else None."""
    return [tuple(e) for e in v[1]] if v is not None and v[0] == "a" else None


def string(v):
    return v[1] if v is not None and v[0] == "s" else None


def boolean(v):
    return v[1] if v is not None and v[0] == "b" else None


def intval(v):
    return v[1] if v is not None and v[0] == "i" else None


def ancestors(s):
    t = s.t
    out = []
    p = s.parent
    while p is not None and len(out) <= len(t.spans):
        out.append(p)
        p = t.spans[p].parent
    return out


def full_match(pattern_fn, value):
    return value is not None and pattern_fn(value)


# ---------------------------------------------------------------------------
# Spanset combinators (operate on lists of spansets = lists of span indices).
def filt(pred):
    def run(t, sets):
        out = []
        for ss in sets:
            kept = [i for i in ss if pred(t.spans[i])]
            if kept:
                out.append(kept)
        return out
    return run


def everything(t, sets):
    return [list(ss) for ss in sets if ss]


def spanset_and(f, g):
    def run(t, sets):
        out = []
        for ss in sets:
            l, r = f(t, [ss]), g(t, [ss])
            if l and r:
                out.append(sorted(set(i for x in l + r for i in x)))
        return out
    return run


def spanset_or(f, g):
    def run(t, sets):
        out = []
        for ss in sets:
            l, r = f(t, [ss]), g(t, [ss])
            if l or r:
                out.append(sorted(set(i for x in l + r for i in x)))
        return out
    return run


def rel_child(t, a, b):      # b's parent is a
    return t.spans[b].parent == a


def rel_parent(t, a, b):     # b is a's parent
    return t.spans[a].parent == b


def rel_desc(t, a, b):       # a is an ancestor of b
    return a in ancestors(t.spans[b])


def rel_anc(t, a, b):        # b is an ancestor of a
    return b in ancestors(t.spans[a])


def rel_sibling(t, a, b):
    pa, pb = t.spans[a].parent, t.spans[b].parent
    return a != b and pa is not None and pa == pb


def structural(rel, f, g, mode="plain"):
    """mode: plain (B related to some A), not (B related to no A), union."""
    def run(t, sets):
        out = []
        for ss in sets:
            l, r = f(t, [ss]), g(t, [ss])
            if not r or (not l and mode != "not"):
                continue
            A = l[0] if l else []
            B = r[0]
            kept = [b for b in B if any(rel(t, a, b) for a in A) != (mode == "not")]
            result = set(kept)
            if mode == "union":
                result |= {a for a in A if any(rel(t, a, b) for b in kept)}
            if result:
                out.append(sorted(result))
        return out
    return run


def scalar(agg, op, threshold):
    """agg(t, spans) -> number or None (spanset dropped)."""
    def run(t, sets):
        out = []
        for ss in sets:
            v = agg(t, ss)
            if v is not None and op(v, threshold):
                out.append(ss)
        return out
    return run


def count(t, ss):
    return len(ss)


def avg_of(value_fn):
    def agg(t, ss):
        vals = [value_fn(t.spans[i]) for i in ss]
        vals = [v for v in vals if v is not None]
        return sum(vals) / len(vals) if vals else None
    return agg


def sum_of(value_fn):
    def agg(t, ss):
        vals = [value_fn(t.spans[i]) for i in ss]
        vals = [v for v in vals if v is not None]
        return sum(vals) if vals else None
    return agg


def min_of(value_fn):
    def agg(t, ss):
        vals = [v for v in (value_fn(t.spans[i]) for i in ss) if v is not None]
        return min(vals) if vals else None
    return agg


def max_of(value_fn):
    def agg(t, ss):
        vals = [v for v in (value_fn(t.spans[i]) for i in ss) if v is not None]
        return max(vals) if vals else None
    return agg


def by(key_fn):
    def run(t, sets):
        out = []
        for ss in sets:
            groups = {}
            for i in ss:
                groups.setdefault(key_fn(t.spans[i]), []).append(i)
            out.extend(groups.values())
        return out
    return run


def coalesce(t, sets):
    merged = sorted(set(i for ss in sets for i in ss))
    return [merged] if merged else []


def pipe(*stages):
    def run(t, sets):
        for st in stages:
            sets = st(t, sets)
            if not sets:
                return []
        return sets
    return run


def candidates(pred):
    """Tempo's storage pre-filter (reference §3.5): the pipeline starts from
    the spans satisfying the query's conditions."""
    return filt(pred)


gt = lambda a, b: a > b
ge = lambda a, b: a >= b
lt = lambda a, b: a < b
eq = lambda a, b: a == b
ne = lambda a, b: a != b


def sum_typed(key):
    """sum() keeps the type of the first non-nil value, skipping others."""
    def agg(t, ss):
        first = None
        total = 0
        for i in ss:
            v = span_a(t.spans[i], key)
            if v is None or v[0] not in ("i", "f"):
                continue
            if first is None:
                first = v[0]
            if v[0] != first:
                continue
            total += v[1]
        return total if first is not None else None
    return agg


# ---------------------------------------------------------------------------
# Queries: (TraceQL, evaluator over one trace).
def Q():
    q = []
    add = lambda text, fn: q.append((text, fn))
    F = lambda pred: filt(pred)

    # --- Tier 1: intrinsics ---
    add('{ name = "charge" }', F(lambda s: s.name == "charge"))
    add('{ name != "charge" }', F(lambda s: s.name != "charge"))
    add('{ span:name = "render" }', F(lambda s: s.name == "render"))
    add('{ status = error }', F(lambda s: s.status == "error"))
    add('{ status = ok }', F(lambda s: s.status == "ok"))
    add('{ status = unset }', F(lambda s: s.status == "unset"))
    add('{ status != error }', F(lambda s: s.status != "error"))
    add('{ span:status = error }', F(lambda s: s.status == "error"))
    add('{ kind = server }', F(lambda s: s.kind == "server"))
    add('{ kind = client }', F(lambda s: s.kind == "client"))
    add('{ kind = producer }', F(lambda s: s.kind == "producer"))
    add('{ kind = consumer }', F(lambda s: s.kind == "consumer"))
    add('{ kind = unspecified }', F(lambda s: s.kind == "unspecified"))
    add('{ span:kind != internal }', F(lambda s: s.kind != "internal"))
    add('{ duration > 1s }', F(lambda s: s.dur > SEC))
    add('{ duration >= 500ms }', F(lambda s: s.dur >= 500 * MS))
    add('{ duration < 1ms }', F(lambda s: s.dur < MS))
    add('{ duration <= 2ms }', F(lambda s: s.dur <= 2 * MS))
    add('{ span:duration > 1.5s }', F(lambda s: s.dur > 1.5 * SEC))
    add('{ duration > 100 }', F(lambda s: s.dur > 100))  # plain number = ns
    add('{ duration > 1000000000.5 }', F(lambda s: s.dur > 1000000000.5))
    add('{ duration > 10ms * 3 }', F(lambda s: s.dur > 30 * MS))
    add('{ statusMessage = "timeout" }', F(lambda s: s.msg == "timeout"))
    add('{ statusMessage != "" }', F(lambda s: s.msg != ""))
    add('{ span:statusMessage =~ "line1.*" }', F(lambda s: s.msg.startswith("line1")))
    add('{ rootName = "render" }', F(lambda s: s.t.root_name == "render"))
    add('{ rootServiceName = "batch" }', F(lambda s: s.t.root_service == "batch"))
    add('{ trace:rootService = "auth" }', F(lambda s: s.t.root_service == "auth"))
    add('{ trace:rootName =~ "GET.*" }',
        F(lambda s: s.t.root_name is not None and s.t.root_name.startswith("GET")))
    add('{ traceDuration > 2s }', F(lambda s: s.t.dur > 2 * SEC))
    add('{ trace:duration < 100ms }', F(lambda s: s.t.dur < 100 * MS))
    add('{ traceDuration >= 1s && duration < 10ms }',
        F(lambda s: s.t.dur >= SEC and s.dur < 10 * MS))
    add('{ span:childCount = 0 }', F(lambda s: len(s.children) == 0))
    add('{ span:childCount >= 3 }', F(lambda s: len(s.children) >= 3))
    add('{ event:name = "exception" }', F(lambda s: any(e[0] == "exception" for e in s.events)))
    add('{ event.exception.type = "Timeout" }',
        F(lambda s: any(e[2].get("exception.type") == ("s", "Timeout") for e in s.events)))
    add('{ event.attempt > 1 }',
        F(lambda s: any(num(e[2].get("attempt")) is not None and e[2]["attempt"][1] > 1
                        for e in s.events)))
    add('{ event:timeSinceStart >= 5ms }', F(lambda s: any(e[1] >= 5 * MS for e in s.events)))
    add('{ link.link.kind = "follows" }',
        F(lambda s: any(l[2].get("link.kind") == ("s", "follows") for l in s.links)))
    add('{ instrumentation:name = "io.lib.grpc" }',
        F(lambda s: s.scope is not None and s.scope["name"] == "io.lib.grpc"))
    add('{ instrumentation:version = "2.1.0" && kind = server }',
        F(lambda s: s.scope is not None and s.scope["version"] == "2.1.0" and s.kind == "server"))
    add('{ instrumentation.lib.lang = "java" }',
        F(lambda s: s.scope is not None and s.scope["attrs"]["lib.lang"] == ["s", "java"]))

    # trace:id, span:id, parentID (first trace with a leading zero, and one span)
    add('{ trace:id = "%s" }' % TRACE_WITH_ZERO, F(lambda s: s.t.id == TRACE_WITH_ZERO))
    add('{ trace:id = "%s" }' % TRACE_WITH_ZERO.lstrip("0"),
        F(lambda s: s.t.id == TRACE_WITH_ZERO))
    add('{ span:id = "%s" }' % SOME_SPAN_ID, F(lambda s: s.id == SOME_SPAN_ID))
    add('{ span:parentID = "%s" }' % SOME_SPAN_ID, F(lambda s: s.parent_id == SOME_SPAN_ID))

    # --- Tier 1: attributes, scopes, types ---
    add('{ resource.service.name = "frontend" }',
        F(lambda s: res_a(s, "service.name") == ("s", "frontend")))
    add('{ resource.service.name =~ "payments|batch" }',
        F(lambda s: res_a(s, "service.name")[1] in ("payments", "batch")))
    add('{ resource.service.name != "frontend" && kind = server }',
        F(lambda s: res_a(s, "service.name")[1] != "frontend" and s.kind == "server"))
    add('{ span.http.method = "GET" }', F(lambda s: span_a(s, "http.method") == ("s", "GET")))
    add('{ .http.method = "POST" }', F(lambda s: any_a(s, "http.method") == ("s", "POST")))
    add('{ span.http.method != "GET" }', F(lambda s: string(span_a(s, "http.method")) not in (None, "GET")))
    add('{ span.http.status_code = 200 }', F(lambda s: intval(span_a(s, "http.status_code")) == 200))
    add('{ span.http.status_code = "200" }', F(lambda s: string(span_a(s, "http.status_code")) == "200"))
    add('{ span.http.status_code != 200 }',
        F(lambda s: intval(span_a(s, "http.status_code")) not in (None, 200)))
    add('{ span.http.status_code >= 500 }',
        F(lambda s: (intval(span_a(s, "http.status_code")) or 0) >= 500))
    add('{ span.http.status_code >= "500" }',
        F(lambda s: string(span_a(s, "http.status_code")) is not None and
          string(span_a(s, "http.status_code")) >= "500"))
    add('{ span.http.status_code > 200 && span.http.status_code < 500 }',
        F(lambda s: intval(span_a(s, "http.status_code")) is not None and
          200 < span_a(s, "http.status_code")[1] < 500))
    add('{ resource.deployment.environment = "prod" }',
        F(lambda s: res_a(s, "deployment.environment") == ("s", "prod")))
    add('{ resource.k8s.pod.restarts > 1 }', F(lambda s: (intval(res_a(s, "k8s.pod.restarts")) or 0) > 1))
    add('{ resource.cloud.region = "eu-west-1" && span.db.system = "redis" }',
        F(lambda s: res_a(s, "cloud.region") == ("s", "eu-west-1") and span_a(s, "db.system") == ("s", "redis")))
    # unscoped: span value wins over resource value
    add('{ .env = "res-prod" }', F(lambda s: any_a(s, "env") == ("s", "res-prod")))
    add('{ .env = "span-dev" }', F(lambda s: any_a(s, "env") == ("s", "span-dev")))
    add('{ resource.env = "res-prod" }', F(lambda s: res_a(s, "env") == ("s", "res-prod")))
    add('{ .retries = 7 }', F(lambda s: num(any_a(s, "retries")) == 7))
    add('{ span.retries = 7 }', F(lambda s: num(span_a(s, "retries")) == 7))
    add('{ .name = "attr-name" }', F(lambda s: any_a(s, "name") == ("s", "attr-name")))
    add('{ span."user id" = "u-7" }', F(lambda s: span_a(s, "user id") == ("s", "u-7")))
    add('{ span.foo-bar = 2 }', F(lambda s: num(span_a(s, "foo-bar")) == 2))
    add('{ span.cache_hit = true }', F(lambda s: boolean(span_a(s, "cache_hit")) is True))
    add('{ span.cache_hit = false }', F(lambda s: boolean(span_a(s, "cache_hit")) is False))
    add('{ span.cache_hit }', F(lambda s: boolean(span_a(s, "cache_hit")) is True))
    add('{ span.cache_hit != true }', F(lambda s: boolean(span_a(s, "cache_hit")) is False))
    add('{ span.sampled = true || span.cache_hit = true }',
        F(lambda s: boolean(span_a(s, "sampled")) is True or boolean(span_a(s, "cache_hit")) is True))

    # --- arrays: any element for = < =~ ...; every element for != and !~ ---
    add('{ span.tags = "red" }', F(lambda s: ("s", "red") in (elements(span_a(s, "tags")) or [])))
    add('{ span.tags != "red" }',
        F(lambda s: elements(span_a(s, "tags")) is not None and
          all(e[0] == "s" and e[1] != "red" for e in elements(span_a(s, "tags")))))
    add('{ span.tags =~ "gr.*" }',
        F(lambda s: any(e[1].startswith("gr") for e in elements(span_a(s, "tags")) or [])))
    add('{ span.tags !~ "r.*" }',
        F(lambda s: elements(span_a(s, "tags")) is not None and
          all(e[0] == "s" and not e[1].startswith("r") for e in elements(span_a(s, "tags")))))
    add('{ span.tags != nil && kind = server }',
        F(lambda s: span_a(s, "tags") is not None and s.kind == "server"))
    add('{ span.codes > 7 }', F(lambda s: any(e[1] > 7 for e in elements(span_a(s, "codes")) or [])))
    add('{ span.codes = 2 }', F(lambda s: any(e[1] == 2 for e in elements(span_a(s, "codes")) or [])))
    add('{ span.codes != 2 }',
        F(lambda s: elements(span_a(s, "codes")) is not None and
          all(e[1] != 2 for e in elements(span_a(s, "codes")))))
    add('{ span.codes = 2.0 && span.codes < 1 }',
        F(lambda s: any(e[1] == 2 for e in elements(span_a(s, "codes")) or []) and
          any(e[1] < 1 for e in elements(span_a(s, "codes")) or [])))

    # --- int/float coercion ---
    add('{ span.ratio = 2 }', F(lambda s: num(span_a(s, "ratio")) == 2))
    add('{ span.ratio > 1 }', F(lambda s: (num(span_a(s, "ratio")) or 0) > 1))
    add('{ span.retries = 2.0 }', F(lambda s: num(span_a(s, "retries")) == 2))
    add('{ span.retries < 2.5 }', F(lambda s: num(span_a(s, "retries")) is not None and span_a(s, "retries")[1] < 2.5))
    add('{ span.score >= 5 }', F(lambda s: num(span_a(s, "score")) is not None and span_a(s, "score")[1] >= 5))
    add('{ span.score = 3 }', F(lambda s: num(span_a(s, "score")) == 3))
    add('{ span.ratio <= 0.5 }', F(lambda s: num(span_a(s, "ratio")) is not None and span_a(s, "ratio")[1] <= 0.5))

    # --- arithmetic ---
    add('{ span.bytes / 1000 > 30 }',
        F(lambda s: intval(span_a(s, "bytes")) is not None and span_a(s, "bytes")[1] // 1000 > 30))
    add('{ span.bytes / 1000 = 30 }',
        F(lambda s: intval(span_a(s, "bytes")) is not None and span_a(s, "bytes")[1] // 1000 == 30))
    add('{ span.bytes % 7 = 3 }',
        F(lambda s: intval(span_a(s, "bytes")) is not None and span_a(s, "bytes")[1] % 7 == 3))
    add('{ span.retries * 2 + 1 = 7 }', F(lambda s: num(span_a(s, "retries")) == 3))
    add('{ span.retries - 5 < 0 }', F(lambda s: num(span_a(s, "retries")) is not None and span_a(s, "retries")[1] < 5))
    add('{ -span.retries < -3 }', F(lambda s: num(span_a(s, "retries")) is not None and span_a(s, "retries")[1] > 3))
    add('{ span.ratio * 100 > 150 }', F(lambda s: num(span_a(s, "ratio")) is not None and span_a(s, "ratio")[1] * 100 > 150))
    add('{ span.retries ^ 2 >= 16 }', F(lambda s: num(span_a(s, "retries")) is not None and span_a(s, "retries")[1] ** 2 >= 16))
    add('{ duration / 2 > 500ms }', F(lambda s: s.dur / 2 > 500 * MS))
    add('{ duration * 2 < 4ms }', F(lambda s: s.dur * 2 < 4 * MS))
    add('{ span.bytes + span.retries > 30000 }',
        F(lambda s: num(span_a(s, "bytes")) is not None and num(span_a(s, "retries")) is not None
          and span_a(s, "bytes")[1] + span_a(s, "retries")[1] > 30000))
    add('{ 2m * 2 = 4m && kind = producer }', F(lambda s: s.kind == "producer"))

    # --- nil semantics ---
    add('{ span.retries != nil }', F(lambda s: span_a(s, "retries") is not None))
    add('{ span.retries = nil && kind = client }',
        F(lambda s: span_a(s, "retries") is None and s.kind == "client"))
    add('{ .retries = nil }', F(lambda s: any_a(s, "retries") is None))
    add('{ .env != nil }', F(lambda s: any_a(s, "env") is not None))
    add('{ resource.cloud.region = nil }', F(lambda s: res_a(s, "cloud.region") is None))
    add('{ span.nil = "nil" }', F(lambda s: span_a(s, "nil") == ("s", "nil")))
    add('{ span.retries != 3 }', F(lambda s: num(span_a(s, "retries")) not in (None, 3)))
    add('{ span.db.system !~ "post.*" }',
        F(lambda s: string(span_a(s, "db.system")) is not None and not span_a(s, "db.system")[1].startswith("post")))
    add('{ span.retries < 100 || span.bytes < 0 }', F(lambda s: num(span_a(s, "retries")) is not None))
    # AND mode: `!` makes retries a presence condition, so spans without it
    # are not candidates (reference §3.5), although `!(nil > 2)` is true.
    add('{ !(span.retries > 2) && kind = server }',
        pipe(candidates(lambda s: span_a(s, "retries") is not None and s.kind == "server"),
             F(lambda s: not (num(span_a(s, "retries")) > 2) and s.kind == "server")))
    add('{ !(span.cache_hit = true) }',
        pipe(candidates(lambda s: span_a(s, "cache_hit") is not None),
             F(lambda s: not boolean(span_a(s, "cache_hit")) is True)))
    # OR mode (unscoped attribute): no presence requirement from `!`.
    add('{ !(.retries > 2) }',
        F(lambda s: not (num(any_a(s, "retries")) is not None and any_a(s, "retries")[1] > 2)))
    add('{ !(span.retries > 2) && span.retries != nil && kind = server }',
        F(lambda s: num(span_a(s, "retries")) is not None and not span_a(s, "retries")[1] > 2
          and s.kind == "server"))

    # --- regex anchoring ---
    add('{ name =~ "GET" }', F(lambda s: s.name == "GET"))
    add('{ name =~ "GET.*" }', F(lambda s: s.name.startswith("GET")))
    add('{ name =~ ".*items" }', F(lambda s: s.name.endswith("items")))
    add('{ name =~ "redis (GET|SET)" }', F(lambda s: s.name in ("redis GET", "redis SET")))
    add('{ name =~ "charge|refund" }', F(lambda s: s.name in ("charge", "refund")))
    add('{ name !~ ".*/api/.*" }', F(lambda s: "/api/" not in s.name))
    add('{ name =~ "(?i)get /API/users" }', F(lambda s: s.name.lower() == "get /api/users"))
    add('{ span.http.url =~ "https://example\\\\.com/api/.*" }',
        F(lambda s: string(span_a(s, "http.url")) is not None and
          span_a(s, "http.url")[1].startswith("https://example.com/api/")))
    add('{ statusMessage =~ "line1.line2" }', F(lambda s: s.msg == "line1\nline2"))
    add('{ resource.host.name =~ `host-[0-2]` }',
        F(lambda s: res_a(s, "host.name")[1] in ("host-0", "host-1", "host-2")))

    # --- && / || precedence inside a filter ---
    add('{ kind = client || kind = server && status = error }',
        F(lambda s: (s.kind in ("client", "server")) and s.status == "error"))
    add('{ status = error && kind = client || kind = server }',
        F(lambda s: (s.status == "error" and s.kind == "client") or s.kind == "server"))
    add('{ kind = client || (kind = server && status = error) }',
        F(lambda s: s.kind == "client" or (s.kind == "server" and s.status == "error")))
    add('{ !(status = error) && resource.service.name = "payments" }',
        F(lambda s: s.status != "error" and res_a(s, "service.name")[1] == "payments"))
    add('{ resource.deployment.environment = "prod" && resource.deployment.environment = "dev" }',
        F(lambda s: False))

    # --- spanset && / || ---
    add('{ resource.service.name = "frontend" } && { status = error }',
        spanset_and(F(lambda s: res_a(s, "service.name")[1] == "frontend"), F(lambda s: s.status == "error")))
    add('{ resource.service.name = "email" } || { name = "charge" }',
        spanset_or(F(lambda s: res_a(s, "service.name")[1] == "email"), F(lambda s: s.name == "charge")))
    add('{ name = "charge" } || { name = "refund" } && { status = error }',
        spanset_and(spanset_or(F(lambda s: s.name == "charge"), F(lambda s: s.name == "refund")),
                    F(lambda s: s.status == "error")))
    add('{ name = "charge" } && ({ name = "refund" } || { status = error })',
        spanset_and(F(lambda s: s.name == "charge"),
                    spanset_or(F(lambda s: s.name == "refund"), F(lambda s: s.status == "error"))))

    # --- structural operators ---
    srv = lambda s: s.kind == "server"
    cli = lambda s: s.kind == "client"
    err = lambda s: s.status == "error"
    front = lambda s: res_a(s, "service.name")[1] == "frontend"
    db = lambda s: span_a(s, "db.system") is not None
    add('{ kind = server } > { kind = client }', structural(rel_child, F(srv), F(cli)))
    add('{ kind = server } < { kind = client }', structural(rel_parent, F(srv), F(cli)))
    add('{ resource.service.name = "frontend" } >> { status = error }', structural(rel_desc, F(front), F(err)))
    add('{ status = error } << { }', structural(rel_anc, F(err), everything))
    add('{ span.db.system != nil } ~ { }', structural(rel_sibling, F(db), everything))
    add('{ } ~ { kind = client }', structural(rel_sibling, everything, F(cli)))
    add('{ kind = server } !> { kind = client }', structural(rel_child, F(srv), F(cli), "not"))
    add('{ status = error } !< { }', structural(rel_parent, F(err), everything, "not"))
    add('{ resource.service.name = "frontend" } !>> { }', structural(rel_desc, F(front), everything, "not"))
    add('{ status = error } !<< { kind = server }', structural(rel_anc, F(err), F(srv), "not"))
    add('{ span.db.system != nil } !~ { }', structural(rel_sibling, F(db), everything, "not"))
    add('{ kind = server } &> { kind = client }', structural(rel_child, F(srv), F(cli), "union"))
    add('{ kind = server } &< { kind = client }', structural(rel_parent, F(srv), F(cli), "union"))
    add('{ resource.service.name = "frontend" } &>> { status = error }',
        structural(rel_desc, F(front), F(err), "union"))
    add('{ status = error } &<< { kind = server }', structural(rel_anc, F(err), F(srv), "union"))
    add('{ span.db.system != nil } &~ { }', structural(rel_sibling, F(db), everything, "union"))
    add('{ kind = server } >> { kind = client } > { status = error }',
        structural(rel_child, structural(rel_desc, F(srv), F(cli)), F(err)))
    add('{ status = error } && { kind = server } >> { kind = client }',
        spanset_and(F(err), structural(rel_desc, F(srv), F(cli))))

    # --- pipelines, aggregates, scalar filters ---
    add('{ } | count() > 10', scalar(count, gt, 10))
    add('{ status = error } | count() > 1', pipe(F(err), scalar(count, gt, 1)))
    add('{ status = error } | count() = 1', pipe(F(err), scalar(count, eq, 1)))
    add('{ duration > 1s } | count() > 2', pipe(F(lambda s: s.dur > SEC), scalar(count, gt, 2)))
    add('{ kind = server } | avg(duration) > 1s',
        pipe(F(srv), scalar(avg_of(lambda s: s.dur), gt, SEC)))
    add('{ } | max(duration) < 200ms', scalar(max_of(lambda s: s.dur), lt, 200 * MS))
    add('{ } | min(duration) >= 1ms', scalar(min_of(lambda s: s.dur), ge, MS))
    add('{ span.bytes != nil } | sum(span.bytes) > 60000',
        pipe(F(lambda s: span_a(s, "bytes") is not None), scalar(sum_typed("bytes"), gt, 60000)))
    add('{ } | avg(span.retries) >= 3',
        scalar(avg_of(lambda s: num(span_a(s, "retries"))), ge, 3))
    add('{ } | max(span.ratio) > 2',
        scalar(max_of(lambda s: num(span_a(s, "ratio"))), gt, 2))
    add('{ } | sum(span.score) > 8', scalar(sum_typed("score"), gt, 8))
    add('{ } | min(span.score) < 1', scalar(min_of(lambda s: num(span_a(s, "score"))), lt, 1))
    add('{ } | count() > 3 | { kind = server }', pipe(scalar(count, gt, 3), F(srv)))
    add('{ } | count() > 1 | { status = error }', pipe(scalar(count, gt, 1), F(err)))
    # Candidate spans (§3.5): the aggregate sees only spans satisfying a
    # condition of the query, here `status = error` and `duration` present.
    add('max(duration) > 1s | { status = error }', pipe(scalar(max_of(lambda s: s.dur), gt, SEC), F(err)))
    add('count() > 1 | { status = error }', pipe(candidates(err), scalar(count, gt, 1), F(err)))
    add('{ } | by(resource.service.name) | count() > 2',
        pipe(by(lambda s: res_a(s, "service.name")[1]), scalar(count, gt, 2)))
    add('{ status = error } | by(kind)', pipe(F(err), by(lambda s: s.kind)))
    # OR mode (aggregate) with a match-all `{ }`: every span is a candidate,
    # spans without retries form a nil group.
    add('{ } | by(span.retries) | count() > 3 | coalesce()',
        pipe(by(lambda s: span_a(s, "retries")), scalar(count, gt, 3), coalesce))
    # AND mode: by()'s attribute must be present on candidates (no nil group).
    add('{ kind = client } | by(span.retries)',
        pipe(candidates(lambda s: cli(s) and span_a(s, "retries") is not None),
             by(lambda s: span_a(s, "retries"))))
    add('{ } | by(span.retries)',
        pipe(candidates(lambda s: span_a(s, "retries") is not None),
             by(lambda s: span_a(s, "retries"))))
    add('{ kind = client } | by(.env) | coalesce()',
        pipe(F(cli), by(lambda s: any_a(s, "env")), coalesce))
    add('{ } | by(span.retries * 2 - 1) | count() > 2',
        pipe(by(lambda s: span_a(s, "retries")), scalar(count, gt, 2)))
    add('{ status = error } | select(span.http.url, resource.host.name)', F(err))
    add('({ } | count() > 5) && ({ status = error })',
        spanset_and(scalar(count, gt, 5), F(err)))
    add('({ kind = server } | count() > 2) || { name = "charge" }',
        spanset_or(pipe(F(srv), scalar(count, gt, 2)), F(lambda s: s.name == "charge")))
    add('{ status = error } | avg(duration) > 100ms | { kind = server }',
        pipe(F(err), scalar(avg_of(lambda s: s.dur), gt, 100 * MS), F(srv)))
    # A pipeline's leading filter: a storage layer may rule out the spans,
    # pages and blocks its `&&`-joined comparisons reject (OR mode).
    add('{ span.http.status_code >= 500 && kind = server } | count() > 1',
        pipe(F(lambda s: (intval(span_a(s, "http.status_code")) or 0) >= 500 and srv(s)),
             scalar(count, gt, 1)))
    add('{ span.bytes > 20000 && duration > 10ms } | count() > 1',
        pipe(F(lambda s: (intval(span_a(s, "bytes")) or 0) > 20000 and s.dur > 10 * MS),
             scalar(count, gt, 1)))
    add('{ span.retries = 3 || status = error } | count() > 1',
        pipe(F(lambda s: intval(span_a(s, "retries")) == 3 or err(s)), scalar(count, gt, 1)))
    add('{ name =~ "GET.*" && duration > 50ms } | by(resource.service.name) | count() > 1',
        pipe(F(lambda s: s.name.startswith("GET") and s.dur > 50 * MS),
             by(lambda s: res_a(s, "service.name")[1]), scalar(count, gt, 1)))
    add('{ status != ok && kind = client } | avg(duration) > 20ms',
        pipe(F(lambda s: s.status != "ok" and cli(s)),
             scalar(avg_of(lambda s: s.dur), gt, 20 * MS)))
    add('{ } with(most_recent=true)', everything)
    add('{ } | count() > 11 - 2 * 3', scalar(count, gt, 5))
    return q


TRACE_WITH_ZERO = None
SOME_SPAN_ID = None


def spanset_key(t, sets):
    """Spansets as sorted lists of span indices (positions in the trace's
    "spans" array of dataset.json), sorted."""
    return sorted(sorted(ss) for ss in sets)


def main():
    global TRACE_WITH_ZERO, SOME_SPAN_ID
    dataset = make_dataset()
    traces = load_model(dataset)
    TRACE_WITH_ZERO = next(t.id for t in traces if t.id.startswith("0000"))
    parent_candidates = [s for t in traces for s in t.spans if len(s.children) >= 2]
    SOME_SPAN_ID = parent_candidates[len(parent_candidates) // 2].id
    queries = []
    for text, fn in Q():
        result = {}
        for t in traces:
            sets = fn(t, [list(range(len(t.spans)))])
            sets = [ss for ss in sets if ss]
            if sets:
                result[t.id] = spanset_key(t, sets)
        queries.append({"query": text, "traces": result})
    files = {
        "dataset.json": json.dumps(dataset, indent=None, sort_keys=True, separators=(",", ":")) + "\n",
        "expected.json": "{\"queries\":[\n" + ",\n".join(
            json.dumps(q, sort_keys=True, separators=(",", ":")) for q in queries) + "\n]}\n",
    }
    check = "--check" in sys.argv
    stale = []
    for name, text in files.items():
        path = os.path.join(HERE, name)
        if check:
            with open(path) as f:
                if f.read() != text:
                    stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("stale golden files (run generate.py):", ", ".join(stale))
        return 1
    if not check:
        matched = sum(1 for q in queries if q["traces"])
        print("%d traces, %d spans, %d queries (%d with matches)" % (
            len(traces), sum(len(t.spans) for t in traces), len(queries), matched))
    return 0


if __name__ == "__main__":
    sys.exit(main())
