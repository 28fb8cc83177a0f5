#!/bin/sh
# Coverage is not collected under offline Bazel (see docs/building.md).
exit 0
