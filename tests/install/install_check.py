#!/usr/bin/env python3
"""Install-and-consume checks for libandante (run by meson test).

Usage: install_check.py MODE SRC_ROOT BUILD_ROOT WORK_DIR MESON CXX

MODE
  pkgconfig   `meson install --destdir` into WORK_DIR/pkgconfig/stage, build
              examples/consumer against it through andante.pc
              (PKG_CONFIG_PATH, PKG_CONFIG_SYSROOT_DIR), run it, check its
              output; check what was installed (headers, static and shared
              library, andante.pc) and that the consumer uses the shared one.
  headers     stage the same way, then compile each installed
              include/andante/*.h alone (twice in one file: include guards);
              fail if it includes a file under SRC_ROOT/lib/, or a generated
              protobuf header or google/protobuf unless it is a dedicated OTLP
              header (its name ends in otlp.h), or if its code (comments
              aside) names a namespace `internal`, or, outside the OTLP
              headers, an `otlp::` class (even only declared).
  subproject  build examples/consumer with Andante as its meson subproject
              (subprojects/andante -> SRC_ROOT, --force-fallback-for=andante),
              run it, check its output.

Work directories persist in WORK_DIR so that reruns are incremental.
"""
import concurrent.futures
import glob
import os
import random
import re
import shutil
import string
import subprocess
import sys


def run(cmd, env=None, cwd=None, stderr=subprocess.STDOUT):
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=stderr, text=True)
    if proc.returncode != 0:
        print(proc.stdout)
        raise SystemExit(f"FAIL: exit {proc.returncode}: {' '.join(cmd)}")
    return proc.stdout


def clean_env():
    # meson test exports MESON_* variables describing the outer build.
    return {k: v for k, v in os.environ.items() if not k.startswith("MESON")}


def stage(build, meson, dest):
    shutil.rmtree(dest, ignore_errors=True)
    run([meson, "install", "-C", build, "--no-rebuild", "--quiet",
         "--destdir", dest], env=clean_env())
    pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "andante.pc"),
                    recursive=True)
    if len(pcs) != 1:
        raise SystemExit(f"FAIL: expected one andante.pc under {dest}: {pcs}")
    pcdir = os.path.dirname(pcs[0])
    libdir = os.path.dirname(pcdir)
    env = clean_env()
    env["PKG_CONFIG_PATH"] = pcdir
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    return pcdir, libdir, env


def copy_consumer(src, dest):
    os.makedirs(dest, exist_ok=True)
    for name in ("meson.build", "consumer.cc"):
        a, b = os.path.join(src, "examples", "consumer", name), os.path.join(dest, name)
        with open(a, "rb") as f:
            new = f.read()
        old = open(b, "rb").read() if os.path.exists(b) else None
        if new != old:  # keep mtimes (and the build) when unchanged
            with open(b, "wb") as f:
                f.write(new)


def check_consumer(binary, env):
    n = random.randint(3, 12)
    prefix = "".join(random.choice(string.ascii_lowercase) for _ in range(5)) + "-"
    # Only stdout: the library logs to stderr.
    out = run([binary, str(n), prefix], env=env, stderr=None)
    names = sorted(f"{prefix}{i}" for i in range(n))
    want = [f"live: {n} {','.join(names)}", f"block: {n} same", "json: 1"]
    got = out.strip().splitlines()
    if got != want:
        raise SystemExit(f"FAIL: consumer printed\n{out}\nexpected\n" + "\n".join(want))
    print(out)


def build_consumer(meson, source, build, env, setup_args):
    if not os.path.exists(os.path.join(build, "build.ninja")):
        run([meson, "setup", build, source] + setup_args, env=env)
    run([meson, "compile", "-C", build, "-j", "2", "consumer"], env=env)
    return os.path.join(build, "consumer")


def mode_pkgconfig(src, build, work, meson, cxx):
    dest = os.path.join(work, "pkgconfig", "stage")
    pcdir, libdir, env = stage(build, meson, dest)
    prefix_inc = glob.glob(os.path.join(dest, "**", "include", "andante"),
                           recursive=True)
    if len(prefix_inc) != 1:
        raise SystemExit(f"FAIL: include/andante not installed once: {prefix_inc}")
    inc = prefix_inc[0]
    for header in ("store.h", "otlp.h", "ids.h", "backend.h",
                   "otlp/trace/v1/trace.pb.h",
                   "otlp/collector/trace/v1/trace_service.pb.h"):
        if not os.path.isfile(os.path.join(inc, header)):
            raise SystemExit(f"FAIL: {header} not installed")
    for path in glob.glob(os.path.join(inc, "**", "*"), recursive=True):
        rel = os.path.relpath(path, inc)
        if os.path.isfile(path) and not (rel.endswith(".h")):
            raise SystemExit(f"FAIL: unexpected installed file {rel}")
    static = os.path.join(libdir, "libandante.a")
    shared = glob.glob(os.path.join(libdir, "libandante.so*"))
    if not os.path.isfile(static) or not shared:
        raise SystemExit(f"FAIL: libandante.a / libandante.so missing in {libdir}")
    symbols = run(["nm", "-C", "--defined-only", static])
    for symbol in ("andante::Store::Open", "andante::SpanBatch::FromProto",
                   "andante::TracesDataOf"):
        if symbol not in symbols:
            raise SystemExit(f"FAIL: {symbol} not defined in libandante.a")
    pc = open(os.path.join(pcdir, "andante.pc")).read()
    if "-landante" not in pc:
        raise SystemExit(f"FAIL: andante.pc does not link -landante:\n{pc}")

    consumer_src = os.path.join(work, "pkgconfig", "consumer")
    copy_consumer(src, consumer_src)
    binary = build_consumer(meson, consumer_src,
                            os.path.join(work, "pkgconfig", "build"), env,
                            ["--wrap-mode=nofallback"])
    env["LD_LIBRARY_PATH"] = libdir
    ldd = run(["ldd", binary], env=env)
    line = [l for l in ldd.splitlines() if "libandante.so" in l]
    if not line or os.path.realpath(dest) not in line[0]:
        raise SystemExit(f"FAIL: consumer does not load the staged libandante.so:\n{ldd}")
    check_consumer(binary, env)


def code_of(text):
    """C++ source without its comments and string literals."""
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.S)
    return pattern.sub(" ", text)


# A namespace named `internal` used or opened: andante::internal::X,
# internal::X, namespace internal, namespace andante::internal.
INTERNAL_NAMESPACE = re.compile(r'\binternal\s*::|\bnamespace\s+(?:\w+::)*internal\b')

# A generated OTLP class named (declared or used): otlp::X, or the namespace
# opened. Only the dedicated OTLP headers (names ending in otlp.h) may.
OTLP_NAMESPACE = re.compile(r'\botlp\s*::|\bnamespace\s+(?:\w+::)*otlp\b')


def mode_headers(src, build, work, meson, cxx):
    dest = os.path.join(work, "headers", "stage")
    _, _, env = stage(build, meson, dest)
    cflags = run(["pkg-config", "--cflags", "andante"], env=env).split()
    inc = glob.glob(os.path.join(dest, "**", "include", "andante"), recursive=True)[0]
    tu_dir = os.path.join(work, "headers", "tu")
    os.makedirs(tu_dir, exist_ok=True)
    lib_dir = os.path.realpath(os.path.join(src, "lib")) + os.sep
    headers = sorted(glob.glob(os.path.join(inc, "*.h")))
    if len(headers) < 5:
        raise SystemExit(f"FAIL: only {headers} installed")
    failures = []

    def check(header):
        name = os.path.basename(header)
        tu = os.path.join(tu_dir, name.replace(".h", "_alone.cc"))
        with open(tu, "w") as f:
            f.write(f'#include "andante/{name}"\n#include "andante/{name}"\n')
        proc = subprocess.run(cxx.split() + ["-std=c++20", "-fsyntax-only", "-H",
                                             "-Wall", "-Wextra", "-Werror", tu] + cflags,
                              env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            return [f"{name}: does not compile alone:\n{proc.stderr[-3000:]}"]
        included = [l.lstrip(". ").strip() for l in proc.stderr.splitlines()
                    if l.startswith(".")]
        problems = []
        with open(header) as f:
            for line in code_of(f.read()).splitlines():
                if INTERNAL_NAMESPACE.search(line):
                    problems.append(f"{name}: names an internal namespace: {line.strip()}")
                if not name.endswith("otlp.h") and OTLP_NAMESPACE.search(line):
                    problems.append(f"{name}: names a generated OTLP class: {line.strip()}")
        for path in included:
            if os.path.realpath(path).startswith(lib_dir):
                problems.append(f"{name}: includes {path} (under lib/)")
            if not name.endswith("otlp.h") and (
                    path.endswith(".pb.h") or "/google/protobuf/" in path):
                problems.append(f"{name}: includes generated protobuf code {path}")
        print(f"{'ok' if not problems else 'BAD'} {name} ({len(included)} files)")
        return problems

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for problems in pool.map(check, headers):
            failures += problems
    if failures:
        raise SystemExit("FAIL:\n" + "\n".join(failures))


def mode_subproject(src, build, work, meson, cxx):
    root = os.path.join(work, "subproject")
    consumer_src = os.path.join(root, "consumer")
    copy_consumer(src, consumer_src)
    link = os.path.join(consumer_src, "subprojects", "andante")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(os.path.realpath(src), link)
    env = clean_env()
    env.pop("PKG_CONFIG_PATH", None)
    binary = build_consumer(meson, consumer_src, os.path.join(root, "build"), env,
                            ["--force-fallback-for=andante",
                             # -O0: this checks the subproject wiring, and
                             # the first run compiles all of libandante.
                             "--buildtype=plain",
                             "-Dandante:tests=disabled",
                             "-Dandante:benchmarks=disabled"])
    ldd = run(["ldd", binary], env=env)
    if "libandante" in ldd:
        raise SystemExit(f"FAIL: subproject consumer should link libandante statically:\n{ldd}")
    check_consumer(binary, env)


def main():
    mode, src, build, work, meson, cxx = sys.argv[1:7]
    modes = {"pkgconfig": mode_pkgconfig, "headers": mode_headers,
             "subproject": mode_subproject}
    modes[mode](src, build, work, meson, cxx)
    print(f"PASS {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
