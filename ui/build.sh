#!/usr/bin/env bash
# Builds the dashboard into ui/dist: installs the npm packages pinned in package-lock.json,
# generates the TypeScript clients from proto/ (protoc-gen-es), type-checks, bundles (Vite).
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "ui/build.sh: node (20+) is needed to build the dashboard" >&2; exit 1; }
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund >&2
fi
mkdir -p src/gen
npm run --silent build >&2
