#!/usr/bin/env python3
"""Writes one protoc-generated C++ header to a given path, for installation.

Usage: protoc_header.py PROTOC PROTO_ROOT PROTO OUTPUT

Runs `protoc --cpp_out` on PROTO_ROOT/PROTO in a temporary directory and
copies PROTO's .pb.h to OUTPUT. Meson cannot install a generator()'s
outputs, and a custom_target's outputs live in one flat directory, so each
installed header is one such target placed in its include subdirectory.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    protoc, root, proto, output = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([protoc, f"--proto_path={root}", f"--cpp_out={out}",
                        os.path.join(root, proto)], check=True)
        shutil.copyfile(os.path.join(out, proto[:-len(".proto")] + ".pb.h"),
                        output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
