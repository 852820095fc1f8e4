#!/bin/bash
# Issue 17's next questions about the expert products, in one device call (~450-550 s on an H100),
# each answer on a line of $OUT/c1.txt (or /tmp/expert-kernels-ab/c1.txt):
#   1. exact GpuConformance on the staged jars (main still exact);
#   2. moe_check: the production wide kernel (loads 2 steps ahead), its earlier form (_rd3), the experiment with the
#      unpack in the consumer warpgroups (gemm_wgmma_coop, native/src/main/cuda/moe_gemm_wgmma_coop.cu) and 192-row tiles of
#      128 features loading 2 ahead (gemm_wgmma_m192_rd2): correctness and per-layer time at every timing shape;
#   3. Nsight Compute with stall sampling per SASS instruction (scripts/profile-moe-gemm.sh, SOURCE=1) on the production
#      kernel and the coop experiment at decode-1024;
#   4. if the coop experiment passed every moe_check and beat the production kernel at decode-1024: it against the
#      default through the engine (GPTOSS_CUDA_MOE_WIDE=coop, 1,024 x 256 -> 64, alternating, twice each);
#   5. per-section GPU time of decode at batch 1,024 (1,024 x 128 -> 128: short prompts, so that nearly every step is a
#      decode step of all 1,024 requests; GPTOSS_PROFILE=1, graphs off).
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
GPTOSS_PRECISION=exact timeout 90 "${JV[@]}" --add-modules jdk.incubator.vector ai.gptoss.backend.cuda.GpuConformance .gpu/golden \
  > /tmp/conf-exact.log 2>&1; note "CONF exact rc=$? $((SECONDS-t0))s"
sed '/^---- GPU conformance ----/q' /tmp/conf-exact.log | grep -E "^CHECK|Exception|error:" | cut -c1-170 | tee -a $S
t0=$SECONDS
OUT=/tmp/kc MOE_CHECK_KERNELS=gemm,gemm_wgmma_n256,gemm_wgmma_n256_rd3,gemm_wgmma_coop,gemm_wgmma_m192_rd2 timeout 170 \
  bash scripts/kernel-checks.sh moe_check > /tmp/kc.log 2>&1; note "KC rc=$? $((SECONDS-t0))s"
for f in /tmp/kc/*.log; do note "$(basename $f) PASS=$(grep -c 'PASS' $f) FAIL=$(grep -c 'FAIL' $f)"; done
grep -h "FAIL\|WGSHAPE\|hang" /tmp/kc/*.log | cut -c1-220 | head -12 | tee -a $S
grep -h "^TIMING.*both products fast" /tmp/kc/*.log | cut -c1-300 | tee -a $S
tar czf $OUT/logs1.tgz -C /tmp kc kc.log conf-exact.log 2>/dev/null
D=$(grep -h "^TIMING decode-1024 *both products fast" /tmp/kc/*.log | head -1)
N256=$(grep -o 'gemm_wgmma_n256 [0-9.]*' <<< "$D" | awk '{print $2}'); COOP=$(grep -o 'gemm_wgmma_coop [0-9.]*' <<< "$D" | awk '{print $2}')
note "decode-1024: n256 ${N256:-?} coop ${COOP:-?}"
bench() { local label=$1; shift; local t0=$SECONDS
  env "$@" timeout 40 "${JV[@]}" ai.gptoss.cli.GptossCli bench --model synthetic:gpt-oss-20b --device cuda --prompts 1024 \
    --input-len 256 --output-len 64 > /tmp/b-$label.json 2> /tmp/b-$label.err
  note "BENCH $label ($*) rc=$? $((SECONDS-t0))s: $(grep -o '"\(output_tokens_per_s\|decode_step_median_ms\|seconds\)":[0-9.]*' /tmp/b-$label.json | tr '\n' ' ')"; }
if ! grep -q "FAIL" /tmp/kc/moe_check.log 2>/dev/null && [ -n "$N256" ] && [ -n "$COOP" ] && awk "BEGIN{exit !($COOP < $N256)}"; then
  bench auto GPTOSS_CUDA_MOE_WIDE=auto; bench coop GPTOSS_CUDA_MOE_WIDE=coop
  bench auto-2 GPTOSS_CUDA_MOE_WIDE=auto; bench coop-2 GPTOSS_CUDA_MOE_WIDE=coop
fi
# each remaining step only while the call stays under ~580 s
left() { local l=$((580 - SECONDS)); [ $l -gt $1 ] && l=$1; echo $l; }
t0=$SECONDS
[ $(left 150) -gt 60 ] && { SOURCE=1 OUT=/tmp/prof timeout $(left 150) bash scripts/profile-moe-gemm.sh gemm_wgmma_n256 gemm_wgmma_coop > /tmp/prof.log 2>&1
  note "PROF rc=$? $((SECONDS-t0))s"; cut -c1-240 /tmp/prof.log | grep -v "^SASS.* 0\.[0-3]% " | tee -a $S; }
t0=$SECONDS
[ $(left 90) -gt 40 ] && GPTOSS_PROFILE=1 timeout $(left 90) "${JV[@]}" ai.gptoss.cli.GptossCli bench --model synthetic:gpt-oss-20b --device cuda --prompts 1024 \
  --input-len 128 --output-len 128 > /tmp/b-sections.json 2> /tmp/b-sections.err
note "BENCH sections rc=$? $((SECONDS-t0))s: $(grep -o '"\(engine_mean_batch\|decode_step_median_ms\|seconds\)":[0-9.]*' /tmp/b-sections.json | tr '\n' ' ')"
grep "^PROFILE decode" /tmp/b-sections.err | tee -a $S
rm -f /tmp/prof/*.ncu-rep; tar czf $OUT/logs2.tgz -C /tmp $(cd /tmp && ls -d prof b-*.json b-*.err 2>/dev/null)
note "done $(date -u +%FT%TZ) $SECONDS s"
