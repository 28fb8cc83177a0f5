"""One C++ library per .h/.cc pair, named like its files."""

def cc_unit(name, deps = [], header_only = False, **kwargs):
    """A cc_library of NAME.h (and NAME.cc unless header_only), as most of dlkit's are."""
    native.cc_library(
        name = name,
        srcs = [] if header_only else [name + ".cc"],
        hdrs = [name + ".h"],
        deps = deps,
        **kwargs
    )
