#!/usr/bin/env python3
"""Strict proto3 JSON check, as Grafana's jsonpb decoder does it.

Usage: strict_json_check.py PROTOC PROTO_ROOT MESSAGE=FILE...

Compiles PROTO_ROOT/tempopb/tempo.proto (and its imports) with
`protoc --python_out` into a temporary directory, then parses every FILE
with google.protobuf.json_format.Parse into tempopb.MESSAGE, refusing
unknown fields. Exits 1 naming the first file that does not parse.
"""
import importlib
import subprocess
import sys
import tempfile


def main():
    protoc, root = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as out:
        protos = ["tempopb/tempo.proto",
                  "andante/otlp/common/v1/common.proto",
                  "andante/otlp/resource/v1/resource.proto",
                  "andante/otlp/trace/v1/trace.proto"]
        subprocess.run([protoc, f"--proto_path={root}", f"--python_out={out}"] + protos,
                       check=True)
        sys.path.insert(0, out)
        from google.protobuf import json_format
        tempo = importlib.import_module("tempopb.tempo_pb2")
        checked = 0
        for arg in sys.argv[3:]:
            name, path = arg.split("=", 1)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            msg = getattr(tempo, name)()
            try:
                json_format.Parse(text, msg, ignore_unknown_fields=False)
            except json_format.ParseError as e:
                print(f"{path}: not a strict tempopb.{name}: {e}\n{text[:2000]}")
                return 1
            checked += 1
        print(f"strict_json_check: {checked} responses parse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
