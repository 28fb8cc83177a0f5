#!/usr/bin/env bash
# Builds the dashboard into ui/dist: installs the npm packages pinned in package-lock.json
# (`npm install`, not `npm ci`: npm 11's ci rejects this lock over a Windows-only optional
# dependency of Vite that it leaves out of the file),
# generates the TypeScript clients from proto/ (protoc-gen-es), type-checks, bundles (Vite).
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "ui/build.sh: node (20+) is needed to build the dashboard" >&2; exit 1; }
npm install --no-audit --no-fund --prefer-offline >&2
mkdir -p src/gen
npm run --silent build >&2
