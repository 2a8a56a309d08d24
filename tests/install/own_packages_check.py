#!/usr/bin/env python3
"""Every message and enum libandante compiles lives in an `andante.` package.

A program that links libandante next to other generated code (the
OpenTelemetry C++ SDK, Jaeger's or Prometheus' protos, Tempo's) must not meet
two definitions of one message: the linker or protobuf's generated pool
would refuse it. Packages never reach the protobuf wire, so each schema here
is declared under Andante's own package; only a gRPC service, whose path
carries its package, may keep the upstream one, and such a file declares no
message or enum of its own.

Usage: own_packages_check.py PROTO_ROOT
"""
import pathlib
import re
import sys


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    protos = sorted(root.rglob("*.proto"))
    if not protos:
        print(f"no .proto files under {root}")
        return 1
    bad = []
    for path in protos:
        text = re.sub(r"//[^\n]*", "", path.read_text())
        package = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M)
        declares = re.search(r"^\s*(message|enum)\s+\w+", text, re.M)
        name = package.group(1) if package else "(none)"
        if declares and not name.startswith("andante."):
            bad.append(f"{path.relative_to(root)}: declares messages or enums "
                       f"in package {name}, not andante.*")
        else:
            print(f"ok: {path.relative_to(root)} ({name})")
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
