#!/bin/bash
# Where a single-stream decode step goes (issue 7's 300 tok/s target), in one GPU call:
#   1. the step's wall time with CUDA graphs (bench) and without (GPTOSS_CUDA_GRAPHS=0),
#   2. per-section GPU time (GPTOSS_PROFILE=1: CUDA events, graphs off),
#   3. Nsight Compute on the one-token expert products (moe_check single-stream timing): DRAM
#      throughput, occupancy, stall reasons of the CUDA-core and the tensor-core gemv,
#   4. Nsight Systems over a graphed run, when nsys is installed: kernel time per step against wall time
#      (the host's share between steps).
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
  for k in gemv gemv_tc; do
    MOE_CHECK_TIMING=single-stream MOE_CHECK_KERNELS=$k timeout 180 ncu --kernel-name "regex:moe_gemv" --launch-skip 4 --launch-count 2 \
      --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats \
      --section SchedulerStats --section WarpStateStats /tmp/moe_check > "$OUT/ncu-$k.txt" 2>&1
    echo "NCU $k: $(grep -E 'DRAM Throughput|Achieved Occupancy|Eligible Warps Per|Duration' "$OUT/ncu-$k.txt" | tr -s ' ' | tr '\n' ';')"
  done
fi
if command -v nsys > /dev/null; then
  timeout 200 nsys profile -o "$OUT/single" --force-overwrite true --trace cuda "${JAVA[@]}" "${BENCH[@]}" > /dev/null 2>&1
  nsys stats --report cuda_gpu_kern_sum --format csv "$OUT/single.nsys-rep" 2> /dev/null | head -25 > "$OUT/kernels.csv"
  echo "NSYS kernel time by name: $OUT/kernels.csv"; head -12 "$OUT/kernels.csv"
else
  echo "NSYS not installed"
fi
