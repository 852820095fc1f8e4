#!/bin/bash
# Issue 17's next questions about the wide expert kernel, in one device call (~450-550 s on an H100), each answer on a
# line of $OUT/c1.txt (or /tmp/expert-kernels-ab/c1.txt):
#   1. exact GpuConformance on the staged jars (main still exact);
#   2. moe_check: the production wide kernel (gemm_wgmma_n256) and its form with the epilogue's biases staged in shared
#      memory (gemm_wgmma_n256_sb, GPTOSS_CUDA_MOE_WIDE=sb): correctness and per-layer time at every timing shape. On
#      2026-12-08 the epilogue held 22-23% of the production kernel's stall samples at decode-1024, nearly all on the
#      add after each column's global bias load;
#      route_check beside it: moe_group's one list as before (its tail fields, added 2026-12-08, off there);
#   2b. the tails experiment (moe_check gemm_wgmma_n256_tails, its own process): each expert's last tile of at most 32
#      rows on the tensor-core gemv instead of a whole wide tile (at decode-1024 a third of the wide kernel's tiles
#      carry 2.6% of its rows), its lists cut by moe_group (tails on) on the device and checked against the host's cut;
#   2c. if the tails won: fast GpuConformance with GPTOSS_CUDA_MOE_TAILS=on (the engine's wiring of it);
#   3. each of the two that passed every check and beat the production kernel at decode-1024, together, against the
#      default through the engine on the issue's workload (1,024 x 1,024 -> 1,024, scripts/gpu-throughput.sh:
#      GPTOSS_CUDA_MOE_WIDE=sb and / or GPTOSS_CUDA_MOE_TAILS=on, then the default, then one alone while time remains);
#   4. else (or with time left): Nsight Compute stall sampling per SASS instruction of both at decode-1024.
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
GPTOSS_PRECISION=exact timeout 100 "${JV[@]}" --add-modules jdk.incubator.vector ai.gptoss.backend.cuda.GpuConformance .gpu/golden \
  > /tmp/conf-exact.log 2>&1; note "CONF exact rc=$? $((SECONDS-t0))s"
sed '/^---- GPU conformance ----/q' /tmp/conf-exact.log | grep -E "^CHECK|Exception|error:" | cut -c1-170 | tee -a $S
t0=$SECONDS
OUT=/tmp/kc MOE_CHECK_KERNELS=gemm_wgmma_n256,gemm_wgmma_n256_sb timeout 170 bash scripts/kernel-checks.sh moe_check route_check > /tmp/kc.log 2>&1
note "KC rc=$? $((SECONDS-t0))s"
for f in /tmp/kc/moe_check*.log /tmp/kc/route_check.log; do note "$(basename $f) PASS=$(grep -c 'PASS' $f) FAIL=$(grep -c 'FAIL' $f)"; done
grep -h "FAIL\|hang" /tmp/kc/moe_check*.log /tmp/kc/route_check.log | cut -c1-220 | head -12 | tee -a $S
grep -h "^TIMING.*both products fast" /tmp/kc/moe_check.log | cut -c1-300 | tee -a $S
# the tails experiment in its own process (a fault there loses nothing above): the wide kernel on whole tiles and the
# tensor-core gemv on each expert's last tile of at most 32 rows (moe_check's gemm_wgmma_n256_tails; the lists of
# moe_group with tails on, as GPTOSS_CUDA_MOE_TAILS=on launches it in the engine)
t0=$SECONDS
[ -x /tmp/moe_check ] && MOE_CHECK_KERNELS=gemm_wgmma_n256,gemm_wgmma_n256_tails timeout 120 /tmp/moe_check > /tmp/kc/tails.log 2>&1
note "TAILS rc=$? $((SECONDS-t0))s PASS=$(grep -c 'KERNELCHECK.*PASS' /tmp/kc/tails.log) FAIL=$(grep -c 'KERNELCHECK.*FAIL' /tmp/kc/tails.log)"
grep -h "KERNELCHECK.*FAIL" /tmp/kc/tails.log | cut -c1-220 | head -6 | tee -a $S
grep -h "^TIMING.*both products fast" /tmp/kc/tails.log | cut -c1-300 | tee -a $S
tar czf $OUT/logs1.tgz -C /tmp kc kc.log conf-exact.log 2>/dev/null
D=$(grep -h "^TIMING decode-1024 *both products fast" /tmp/kc/moe_check.log | head -1)
N256=$(grep -o 'gemm_wgmma_n256 [0-9.]*' <<< "$D" | awk '{print $2}'); SB=$(grep -o 'gemm_wgmma_n256_sb [0-9.]*' <<< "$D" | awk '{print $2}')
DT=$(grep -h "^TIMING decode-1024 *both products fast" /tmp/kc/tails.log 2>/dev/null | head -1)
N256T=$(grep -o 'gemm_wgmma_n256 [0-9.]*' <<< "$DT" | awk '{print $2}'); TAILS=$(grep -o 'gemm_wgmma_n256_tails [0-9.]*' <<< "$DT" | awk '{print $2}')
note "decode-1024: n256 ${N256:-?} sb ${SB:-?} | n256 ${N256T:-?} tails ${TAILS:-?}"
wins() { [ -n "$1" ] && [ -n "$2" ] && awk "BEGIN{exit !($2 < $1)}"; }
SBW=0; TW=0
grep -q "KERNELCHECK gemm_wgmma_n256_sb.*PASS" /tmp/kc/moe_check.log 2>/dev/null \
  && ! grep -q "KERNELCHECK gemm_wgmma_n256.*FAIL" /tmp/kc/moe_check.log && wins "$N256" "$SB" && SBW=1
grep -q "moe_group_tails PASS" /tmp/kc/tails.log 2>/dev/null && ! grep -q "KERNELCHECK.*FAIL" /tmp/kc/tails.log \
  && wins "$N256T" "$TAILS" && TW=1
note "staged bias wins: $SBW, tails win: $TW"
# the engine's tails wiring (moe_group's tail list, the gemv launches' buffers) against fast mode's known conformance figures
# (tiny-a 154/160 at 1.050e-2, mixed batches 278/284 and 226/226): tiny-a's steps of >= 128 tokens take the wide kernel
if [ $TW = 1 ]; then
  t0=$SECONDS
  GPTOSS_PRECISION=fast GPTOSS_CUDA_MOE_TAILS=on timeout 100 "${JV[@]}" --add-modules jdk.incubator.vector \
    ai.gptoss.backend.cuda.GpuConformance .gpu/golden > /tmp/conf-fast-tails.log 2>&1; note "CONF fast tails rc=$? $((SECONDS-t0))s"
  sed '/^---- GPU conformance ----/q' /tmp/conf-fast-tails.log | grep -E "^CHECK|Exception|error:" | cut -c1-170 | tee -a $S
fi
# one gpu-throughput run of the default workload; the first measures the ceilings, the later ones reuse them
tp() { local label=$1 lim=$2; shift 2; local t0=$SECONDS
  env "$@" ${G_:+CEILING_GBPS=$G_ CEILING_TFLOPS=$T_} THROUGHPUT_RUNS=default RUN_LIMIT=$lim OUT=/tmp/tp-$label \
    bash scripts/gpu-throughput.sh > /tmp/tp-$label.log 2>&1
  note "TP $label ($*) rc=$? $((SECONDS-t0))s"; grep "^| default \|^CEILING" /tmp/tp-$label/summary.txt | cut -c1-300 | tee -a $S
  if [ -z "${G_:-}" ]; then
    G_=$(awk '/^CEILING/{print $3}' /tmp/tp-$label/summary.txt | head -1); T_=$(awk '/^CEILING/{print $5}' /tmp/tp-$label/summary.txt | head -1)
  fi; }
left() { echo $((580 - SECONDS)); }
G_=; T_=
# the winners together against the default through the engine (1,024^3), then each alone while the call has time
CAND=(); [ $SBW = 1 ] && CAND+=(GPTOSS_CUDA_MOE_WIDE=sb); [ $TW = 1 ] && CAND+=(GPTOSS_CUDA_MOE_TAILS=on)
if [ ${#CAND[@]} -gt 0 ]; then
  tp candidate 120 "${CAND[@]}"
  tp default 120
  if [ ${#CAND[@]} -eq 2 ] && [ $(left) -gt 230 ]; then tp sb-alone 120 GPTOSS_CUDA_MOE_WIDE=sb; fi
  if [ ${#CAND[@]} -eq 1 ] && [ $(left) -gt 230 ]; then tp candidate-2 120 "${CAND[@]}"; fi
fi
if [ $(left) -gt 100 ]; then
  SOURCE=1 OUT=/tmp/prof timeout $(( $(left) > 160 ? 160 : $(left) )) bash scripts/profile-moe-gemm.sh gemm_wgmma_n256 gemm_wgmma_n256_sb > /tmp/prof.log 2>&1
  note "PROF rc=$?"; cut -c1-240 /tmp/prof.log | grep -v "^SASS.* 0\.[0-3]% " | tee -a $S
  rm -f /tmp/prof/*.ncu-rep
fi
tar czf $OUT/logs2.tgz -C /tmp $(cd /tmp && ls -d tp-* prof prof.log conf-fast-tails.log 2>/dev/null)
note "done $(date -u +%FT%TZ) $SECONDS s"
