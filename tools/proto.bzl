"""Code generation from proto/ with Debian's protoc and gRPC plugins (offline)."""

def _base(src):
    # "proto/dlkit/v1/foo.proto" -> "dlkit/v1/foo"
    return src[len("proto/"):-len(".proto")] if src.startswith("proto/") else src[:-len(".proto")]

def dlkit_cc_proto_library(name, srcs, deps = [], visibility = None):
    """C++ messages and gRPC stubs for srcs (paths relative to the repo root)."""
    bases = [_base(s) for s in srcs]
    outs = []
    for b in bases:
        outs += [b + ".pb.h", b + ".pb.cc", b + ".grpc.pb.h", b + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = outs,
        cmd = ("/usr/bin/protoc -Iproto --cpp_out=$(RULEDIR) --grpc_out=$(RULEDIR) " +
               "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin $(SRCS)"),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["//third_party/system:grpc"],
        visibility = visibility,
    )

def dlkit_py_proto_library(name, srcs, visibility = None):
    """Python messages and gRPC stubs for srcs, importable as dlkit.v1.foo_pb2."""
    bases = [_base(s) for s in srcs]
    outs = []
    for b in bases:
        outs += [b + "_pb2.py", b + "_pb2_grpc.py"]
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = outs,
        cmd = ("/usr/bin/protoc -Iproto --python_out=$(RULEDIR) --grpc_python_out=$(RULEDIR) " +
               "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin $(SRCS)"),
    )
    native.py_library(
        name = name,
        srcs = outs,
        imports = ["."],
        visibility = visibility,
    )
