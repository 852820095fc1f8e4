#!/bin/bash
# Where a single-stream decode step goes (issue 7's 300 tok/s target), in one GPU call:
#   1. the step's wall time with CUDA graphs (bench) and without (GPTOSS_CUDA_GRAPHS=0),
#   2. per-section GPU time (GPTOSS_PROFILE=1: CUDA events, graphs off),
#   3. Nsight Compute on the one-token expert products (moe_check single-stream timing): DRAM
#      throughput, occupancy, stall reasons of the CUDA-core and the tensor-core gemv,
#   4. Nsight Compute over a stretch of decode kernels (graphs off): each kernel's own GPU time, by name
#      (nsys is not installed on the GPU machines).
# usage (project root on the GPU machine, after ../shared/device/pack.sh executor-runtime && scripts/stage-gpu.sh):
#   bash scripts/profile-single-stream.sh        files under $OUT (or /tmp/profile-out)
set -uo pipefail
G=${G:-.gpu}
OUT=${OUT:-/tmp/profile-out}
mkdir -p "$OUT"
export GPTOSS_KERNEL_CACHE=${GPTOSS_KERNEL_CACHE:-/tmp/gptoss-kernels} GPTOSS_PRECISION=${GPTOSS_PRECISION:-fast}
JAVA=("$G/jre/bin/java" -Xmx16g -cp "$G/lib/*")
BENCH=(ai.gptoss.cli.GptossCli bench --model synthetic:gpt-oss-20b --device cuda --prompts 1 --input-len 1024 --output-len 256)
step() { grep -o '"decode_step_median_ms":[0-9.]*' "$1" | cut -d: -f2; }
timeout 120 "${JAVA[@]}" "${BENCH[@]}" > "$OUT/graphs.json" 2>/dev/null
GPTOSS_CUDA_GRAPHS=0 timeout 120 "${JAVA[@]}" "${BENCH[@]}" > "$OUT/eager.json" 2>/dev/null
echo "STEP graphs $(step "$OUT/graphs.json") ms, eager $(step "$OUT/eager.json") ms (median wall time per decode step)"
GPTOSS_PROFILE=1 timeout 120 "${JAVA[@]}" "${BENCH[@]}" > /dev/null 2> "$OUT/profile.err"
grep "PROFILE decode" "$OUT/profile.err"
if nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a -O3 -o /tmp/moe_check native/src/test/cuda/moe_check.cu > "$OUT/moe_check.build.log" 2>&1; then
  for k in gemv gemv_tc gemv_token; do
    MOE_CHECK_TIMING=single-stream MOE_CHECK_KERNELS=$k timeout 180 ncu --kernel-name "regex:moe_gemv" --launch-skip 4 --launch-count 2 \
      --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats \
      --section SchedulerStats --section WarpStateStats /tmp/moe_check > "$OUT/ncu-$k.txt" 2>&1
    echo "NCU $k: $(grep -E 'DRAM Throughput|Achieved Occupancy|Eligible Warps Per|Duration' "$OUT/ncu-$k.txt" | tr -s ' ' | tr '\n' ';')"
  done
fi
# 4. Each kernel of a decode step alone (Nsight Compute, graphs off, one metric: its GPU duration), summed
#    by name: the kernels' own time per step against the step's wall time above is the launch/host share.
SKIP=${NCU_SKIP:-4000} COUNT=${NCU_COUNT:-600}
GPTOSS_CUDA_GRAPHS=0 timeout 300 ncu --clock-control none --metrics gpu__time_duration.sum --launch-skip "$SKIP" \
  --launch-count "$COUNT" --csv "${JAVA[@]}" "${BENCH[@]}" > "$OUT/ncu-step.csv" 2> "$OUT/ncu-step.err"
python3 - "$OUT/ncu-step.csv" <<'PY'
import csv, sys, collections
rows = list(csv.reader(open(sys.argv[1])))  # the bench's own JSON line is on stdout too
start = next((i for i, r in enumerate(rows) if r[:1] == ["ID"]), None)
if start is None: print("NCUSTEP no rows"); sys.exit()
rows = [r for r in rows[start:] if len(r) == len(rows[start])]
h = rows[0]; ki = h.index("Kernel Name"); vi = h.index("Metric Value"); ui = h.index("Metric Unit")
t = collections.defaultdict(float); n = collections.Counter()
for r in rows[1:]:
    v = float(r[vi].replace(",", "")); v *= {"ns": 1e-3, "nsecond": 1e-3, "ms": 1e3, "msecond": 1e3}.get(r[ui], 1.0)  # to microseconds
    name = r[ki].split("(")[0][:60]; t[name] += v; n[name] += 1
steps = n.get("sample_rows", 0)  # one per step
print(f"NCUSTEP {sum(n.values())} kernels over {steps} sample_rows (steps), total {sum(t.values()):.0f} us"
      + (f", {sum(t.values()) / steps:.0f} us of kernel time per step" if steps else ""))
for name, v in sorted(t.items(), key=lambda x: -x[1]): print(f"NCUSTEP {name:60s} n={n[name]:4d} total={v:9.1f} us mean={v / n[name]:7.2f} us")
PY
