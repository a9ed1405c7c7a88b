#!/usr/bin/env bash
# Rehearse the device run here: tools/gpu-check/run.sh --rehearsal on this machine's software
# adapter (Mesa llvmpipe through Dawn's OpenGL ES backend), with no Node on PATH, so that only
# the pack's own node can run anything. Usage: bash tools/gpu-check/rehearse.sh [OUT_DIR] [run.sh args]
# (OUT_DIR defaults to .gpu-check-out/, emptied first).
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTDIR=${1:-$ROOT/.gpu-check-out}
[ $# -gt 0 ] && shift
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
# a PATH of /usr/bin and /bin without node, npm, npx and corepack
BIN=$(mktemp -d /tmp/gpu-check-path.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
for dir in /usr/bin /bin; do
  for f in "$dir"/*; do
    n=$(basename "$f")
    case $n in node | nodejs | npm | npx | corepack) continue ;; esac
    [ -e "$BIN/$n" ] || ln -s "$f" "$BIN/$n"
  done
done
env -i PATH="$BIN" HOME="${HOME:-/root}" ${TUNELAB_TORCH_PYTHON:+TUNELAB_TORCH_PYTHON=$TUNELAB_TORCH_PYTHON} \
  bash "$ROOT/tools/gpu-check/run.sh" --rehearsal --out "$OUTDIR" "$@"
