#!/usr/bin/env bash
# `npm run setup:nats`: installs nats-server (the version docs/benchmarks.md's results were taken with)
# for `npm run bench`, built from source with `go install` into .weir/bin (ignored by git), where the
# benchmark looks first. Set WEIR_BIN_DIR to install elsewhere (CI puts it in a cache dir on PATH).
set -euo pipefail
version=v2.15.3
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${WEIR_BIN_DIR:-$root/.weir/bin}"

if [ -x "$bin/nats-server" ] && "$bin/nats-server" --version 2>/dev/null | grep -q "$version"; then
  echo "nats-server $version is already in $bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go was not found: install Go (1.26 or newer: nats-server 2.15 needs it) and run this again, or put a nats-server 2.11 or newer on PATH yourself (a release binary or your package manager's)" >&2
  exit 1
fi
mkdir -p "$bin"
echo "building nats-server $version with go install into $bin (a minute or two the first time)"
GOBIN="$bin" GOFLAGS="${GOFLAGS:--trimpath}" go install "github.com/nats-io/nats-server/v2@$version"
"$bin/nats-server" --version
