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

def cc_unit_tests(names, deps = [], size = "small"):
    """NAME_test.cc for each name, testing the cc_unit NAME with Catch2."""
    for name in names:
        native.cc_test(
            name = name + "_test",
            size = size,
            srcs = [name + "_test.cc"],
            deps = [":" + name, "//third_party/system:catch2_main"] + deps,
        )
