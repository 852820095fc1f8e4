#!/bin/bash
# Why the decode expert GEMM runs at a fifth of the tensor cores' rate (issue 17): Nsight Compute on the
# fused expert kernels at one shape of moe_check.cu (default decode-1024: a decode step at batch 1,024 of
# gpt-oss-20b, 4,096 rows over 32 experts), one launch each after warm-up: speed of light, occupancy,
# scheduler and warp-state statistics, and every stall reason per issued instruction.
# usage (project root on the GPU machine; needs nvcc and ncu, no JVM):
#   bash scripts/profile-moe-gemm.sh [KERNEL...]     KERNEL: moe_check's names (default: gemm gemm_wgmma_n256)
# Knobs: SHAPE (moe_check timing shape: single-stream, T=8 ... T=4096, decode-1024, prefill-9216), OUT (/tmp/profile-moe-out),
# SOURCE=1: also sample warp stalls per SASS instruction (SourceCounters) and print the 30 instructions with the
# most samples, each with its stall reasons (the whole table: $OUT/sass-KERNEL.csv.gz).
# Prints one NCU line per kernel (duration, SM and memory throughput, issue slots, eligible warps, the five largest
# stall reasons); the whole reports are under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/profile-moe-out}
SHAPE=${SHAPE:-decode-1024}
KERNELS=("$@"); [ ${#KERNELS[@]} -eq 0 ] && KERNELS=(gemm gemm_wgmma_n256)
mkdir -p "$OUT"
nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a -O3 -lineinfo -o /tmp/moe_check_prof native/src/test/cuda/moe_check.cu -lcublas \
  > "$OUT/build.log" 2>&1 || { echo "PROFILE moe_check does not compile (see $OUT/build.log)"; exit 1; }
for k in "${KERNELS[@]}"; do
  # moe_check launches each kernel twice to warm up, then times it (gate_up first): the third launch is a timed gate_up.
  MOE_CHECK_TIMING=$SHAPE MOE_CHECK_KERNELS=$k timeout 240 ncu --kernel-name "regex:mxfp4w_moe_gemm|^gemm_" --launch-skip 2 --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section SchedulerStats --section WarpStateStats \
    --section MemoryWorkloadAnalysis --metrics "regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio" \
    /tmp/moe_check_prof > "$OUT/ncu-$k.txt" 2>&1
  rc=$?
  if [ "${SOURCE:-0}" = 1 ]; then
    MOE_CHECK_TIMING=$SHAPE MOE_CHECK_KERNELS=$k timeout 240 ncu --kernel-name "regex:mxfp4w_moe_gemm|^gemm_" --launch-skip 2 --launch-count 1 \
      --section SourceCounters --section WarpStateStats --import-source yes -f -o "$OUT/src-$k" /tmp/moe_check_prof > "$OUT/src-$k.log" 2>&1
    ncu -i "$OUT/src-$k.ncu-rep" --page source --csv --print-source sass > "$OUT/sass-$k.csv" 2>> "$OUT/src-$k.log"
    python3 "$(dirname "$0")/ncu-top-stalls.py" "$OUT/sass-$k.csv" 30 | sed "s/^/SASS $k /"
    gzip -f "$OUT/sass-$k.csv"; rm -f "$OUT/src-$k.ncu-rep"
  fi
  stalls=$(grep -E 'smsp__average_warps_issue_stalled_' "$OUT/ncu-$k.txt" | awk '{print $NF, $1}' | sort -gr | head -5 \
    | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//' | tr '\n' ';')
  echo "NCU $k ($SHAPE, rc=$rc): $(grep -E '^ *(Duration|Compute \(SM\) Throughput|Memory Throughput|Issue Slots Busy|Eligible Warps Per Scheduler|Registers Per Thread|Achieved Occupancy|L2 Hit Rate) ' "$OUT/ncu-$k.txt" | tr -s ' ' | tr '\n' ';') stalls per issue: $stalls"
done
