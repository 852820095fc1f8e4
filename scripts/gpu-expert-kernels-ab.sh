#!/bin/bash
# Issue 17's open questions about the expert products, in one device call (at most ~480 s: the steps' time limits),
# each answer on a line of $OUT/c1.txt (or /tmp/expert-kernels-ab/c1.txt):
#   1. moe_check with the wide wgmma's variants (6-deep ring; 192-row tiles with 128 and 256 features): correctness
#      and per-layer time of both expert products at every timing shape, decode at batch 1,024 first;
#   2. Nsight Compute on the production wide kernel at that decode step (scripts/profile-moe-gemm.sh);
#   3. per-section GPU time of prefill and of decode at batch 1,024 (GPTOSS_PROFILE=1, graphs off);
#   4. if the 192-row wide kernel won in 1, it against the production one through the engine (GPTOSS_CUDA_MOE_WIDE=m192
#      against the default, 1,024 x 256 -> 64, alternating).
# usage (project root on the GPU machine, after ../shared/device/pack.sh executor-runtime && scripts/stage-gpu.sh):
#   OUT=$OUT bash scripts/gpu-expert-kernels-ab.sh
set -uo pipefail
OUT=${OUT:-/tmp/expert-kernels-ab}; mkdir -p "$OUT"
S=$OUT/c1.txt; : > $S
note() { echo "$*" | tee -a $S; }
JV=(.gpu/jre/bin/java -Xmx48g -XX:+UseParallelGC -cp ".gpu/lib/*")
export GPTOSS_KERNEL_CACHE=/tmp/gptoss-kernels
note "card: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)  date: $(date -u +%FT%TZ)  main: $(cat .gpu/COMMIT 2>/dev/null || git rev-parse --short HEAD 2>/dev/null)"
t0=$SECONDS
OUT=/tmp/kc MOE_CHECK_KERNELS=gemm,gemm_wgmma,gemm_wgmma_n256,gemm_wgmma_n256_ls6,gemm_wgmma_m192,gemm_wgmma_n256_m192 timeout 150 bash scripts/kernel-checks.sh moe_check > /tmp/kc.log 2>&1; note "KC rc=$? $((SECONDS-t0))s"
for f in /tmp/kc/*.log; do note "$(basename $f) PASS=$(grep -c 'PASS' $f) FAIL=$(grep -c 'FAIL' $f)"; done
grep -h "FAIL\|WGSHAPE" /tmp/kc/*.log | cut -c1-220 | head -12 | tee -a $S
grep -h "^TIMING.*both products fast" /tmp/kc/*.log | cut -c1-300 | tee -a $S
tar czf $OUT/logs1.tgz -C /tmp kc kc.log 2>/dev/null
D=$(grep -h "^TIMING decode-1024 *both products fast" /tmp/kc/*.log | head -1)
N256=$(grep -o 'gemm_wgmma_n256 [0-9.]*' <<< "$D" | awk '{print $2}'); M192=$(grep -o 'gemm_wgmma_n256_m192 [0-9.]*' <<< "$D" | awk '{print $2}')
note "decode-1024: n256 ${N256:-?} n256_m192 ${M192:-?}"
[ $SECONDS -lt 180 ] && { t0=$SECONDS; OUT=/tmp/prof timeout 70 bash scripts/profile-moe-gemm.sh gemm_wgmma_n256 > /tmp/prof.log 2>&1; note "PROF rc=$? $((SECONDS-t0))s"; cut -c1-900 /tmp/prof.log | tee -a $S; }
bench() { local label=$1 lim=$2; shift 2; local t0=$SECONDS
  env "$@" timeout $lim "${JV[@]}" ai.gptoss.cli.GptossCli bench --model synthetic:gpt-oss-20b --device cuda $BARGS > /tmp/b-$label.json 2> /tmp/b-$label.err
  note "BENCH $label ($* $BARGS) rc=$? $((SECONDS-t0))s: $(grep -o '"\(output_tokens_per_s\|ttft_mean_ms\|decode_step_median_ms\|seconds\|prefill_tokens_per_s\)":[0-9.]*' /tmp/b-$label.json | tr '\n' ' ')"; }
BARGS="--prompts 1024 --input-len 512 --output-len 16"
[ $SECONDS -lt 250 ] && { bench sections 130 GPTOSS_PROFILE=1; grep "^PROFILE" /tmp/b-sections.err | tee -a $S; }
BARGS="--prompts 1024 --input-len 256 --output-len 64"
if [ $SECONDS -lt 360 ] && [ -n "$N256" ] && [ -n "$M192" ] && awk "BEGIN{exit !($M192 < $N256)}"; then
  bench n256 30 GPTOSS_CUDA_MOE_WIDE=auto; bench m192 30 GPTOSS_CUDA_MOE_WIDE=m192
  bench n256-2 30 GPTOSS_CUDA_MOE_WIDE=auto; bench m192-2 30 GPTOSS_CUDA_MOE_WIDE=m192
fi
tar czf $OUT/logs2.tgz -C /tmp $(cd /tmp && ls -d prof b-*.json b-*.err 2>/dev/null)
note "done $(date -u +%FT%TZ) $SECONDS s"
