#!/bin/bash
# The standalone kernel checks (native/src/test/cuda/README.md) in one go on the GPU machine:
# each .cu check compiled with nvcc and run, then the CUDA-graph check through the JVM.
# usage (project root, after ../shared/device/pack.sh executor-runtime && scripts/stage-gpu.sh):
#   bash scripts/kernel-checks.sh [NAME...]     NAME: a .cu check (moe_check, attention_check) or graphs
# Exits 1 when any check fails, does not build, exits non-zero or reports no PASS at all.
set -uo pipefail
G=${G:-.gpu}
OUT=${OUT:-/tmp/kernel-checks-out}
mkdir -p "$OUT"
export GPTOSS_KERNEL_CACHE=${GPTOSS_KERNEL_CACHE:-/tmp/gptoss-kernels}
NAMES=("$@")
failed=()
[ ${#NAMES[@]} -eq 0 ] && NAMES=($(cd native/src/test/cuda && ls *.cu | sed 's/\.cu$//') graphs)
for n in "${NAMES[@]}"; do
  if [ "$n" = graphs ]; then
    timeout 300 "$G/jre/bin/java" -Xmx48g -cp "$G/lib/*" ai.gptoss.backend.cuda.GraphCheck "$G/golden" 2>&1 | tee "$OUT/graphs.log" \
      | grep -E "KERNELCHECK|GRAPHS|Exception"
    [ "${PIPESTATUS[0]}" -eq 0 ] && grep -q "^KERNELCHECK graphs PASS" "$OUT/graphs.log" || failed+=(graphs)
    continue
  fi
  if ! nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a -O3 -o "/tmp/$n" "native/src/test/cuda/$n.cu" -lcublas > "$OUT/$n.build.log" 2>&1; then
    echo "KERNELCHECK $n FAIL (does not compile)"; tail -5 "$OUT/$n.build.log"; failed+=("$n"); continue
  fi
  timeout 300 "/tmp/$n" > "$OUT/$n.log" 2>&1
  rc=$?
  grep -E "KERNELCHECK.*FAIL|both products|SWAP-vs-GEMM|^TIMING gemv |^SPLITSHAPE|^WGSHAPE|error" "$OUT/$n.log"
  pass=$(grep -c "KERNELCHECK.*PASS" "$OUT/$n.log"); fail=$(grep -c "KERNELCHECK.*FAIL" "$OUT/$n.log")
  echo "KERNELCHECK $n: $pass PASS, $fail FAIL$([ $rc -ne 0 ] && echo ", exit status $rc")"
  [ $rc -eq 0 ] && [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ] || failed+=("$n")
done
if [ ${#failed[@]} -gt 0 ]; then echo "KERNELCHECKS FAILED: ${failed[*]}"; exit 1; fi
echo "KERNELCHECKS PASSED: ${NAMES[*]}"
