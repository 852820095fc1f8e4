#!/bin/bash
# One run on the GPU machine: GPU conformance, reference fixtures made with transformers on the
# spot, the benchmark, the transformers baseline, and a short table printed last.
# usage (project root on the GPU machine, after pack): bash scripts/gpu-check.sh [quick|full]
# Exits 1 when a golden file is missing, a check or benchmark fails, or a JVM crashes.
#   G (default .gpu) holds jre/, lib/ (runtime + test classes), golden/ (tiny-a, tiny-qa.eval.json)
#   and ref/ (reference_fixture.py, hf_baseline.py). Files worth keeping go to $OUT.
set -uo pipefail
MODE=${1:-quick}
G=${G:-.gpu}
OUT=${OUT:-/tmp/gpu-check-out}
W=/tmp/gpu-check
mkdir -p "$OUT" "$W"
JAVA=("$G/jre/bin/java" -Xmx48g -XX:+UseParallelGC -XX:ErrorFile=$W/hs_err_%p.log -cp "$G/lib/*")
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }
for f in tiny-a/config.json tiny-a.golden.json tiny-qa.eval.json; do
  [ -f "$G/golden/$f" ] || { note "  CHECK golden FAIL $G/golden/$f is missing (scripts/stage-gpu.sh stages it)"; exit 1; }
done
export GPTOSS_KERNEL_CACHE=$W/kernels

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader | tee "$W/gpu.txt"
CARD=$(head -1 "$W/gpu.txt" | cut -d, -f1)
note "card: $CARD   date: $(date -u +%FT%TZ)   mode: $MODE"

# 1. Ceilings measured on this card: device copy bandwidth and bf16 matrix rate.
python3 "$(dirname "$0")/gpu-ceilings.py" 2>&1 | tee "$W/ceilings.txt"
grep CEILING "$W/ceilings.txt" >> "$SUMMARY"
read -r GBPS TFLOPS < <(awk '/CEILING/{print $3, $5}' "$W/ceilings.txt")
CEIL=()
[ -n "${GBPS:-}" ] && [ -n "${TFLOPS:-}" ] && CEIL=(--ceiling-gbps "$GBPS" --ceiling-tflops "$TFLOPS")

# 1b. The standalone kernel checks (native/src/test/cuda): attention, routing, CUDA graphs
#     (moe_check takes ~2 minutes: KERNEL_CHECKS="moe_check ..." adds it).
if [ "$MODE" = full ] && [ "${SKIP_KERNEL_CHECKS:-0}" != 1 ]; then
  OUT=$W/kernel-checks bash scripts/kernel-checks.sh ${KERNEL_CHECKS:-attention_check route_check graphs} 2>&1 \
    | grep -E "^KERNELCHECK [a-z_]+(: | PASS| FAIL)|^GRAPHS" | sed 's/^/  /' | tee -a "$SUMMARY"
  [ "${PIPESTATUS[0]}" -eq 0 ] || note "  KERNELCHECKS FAILED (see $W/kernel-checks)"
fi

# 2. Reference fixtures (background, GPU): the real-dimension one and a small one unlike tiny-a.
(python3 "$G/ref/reference_fixture.py" "$W/fx" real 7 \
   '{"num_hidden_layers": 2, "_lengths": [5, 150, 300]}' > "$W/fixture-real.log" 2>&1; echo "exit $?" >> "$W/fixture-real.log") &
FX_REAL=$!
if [ ! -f "$G/golden/tiny-b.golden.json" ]; then
  python3 "$G/ref/reference_fixture.py" "$W/fx" tiny-b 11 \
    '{"vocab_size": 512, "hidden_size": 128, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 32, "num_local_experts": 16, "num_experts_per_tok": 2, "sliding_window": 4}' \
    > "$W/fixture-tiny-b.log" 2>&1 && mkdir -p "$OUT/tiny-b" && cp "$W/fx/tiny-b/config.json" "$W/fx/tiny-b/model.safetensors" "$OUT/tiny-b/" \
    && cp "$W/fx/tiny-b.golden.json" "$OUT/"
  tail -2 "$W/fixture-tiny-b.log"; cp "$W/fixture-tiny-b.log" "$OUT/fixtures.log"
fi

# 3-4. The GPU conformance suite, once per entry of CONFORMANCE (default: all five): balanced, fast,
#      exact (the reference held to transformers; the product's default is fast), dense (exact with the dense expert path forced on every step:
#      steps of >= 4,096 tokens, which no fixture reaches, take it in the benchmarks) and fp8 (fast with
#      GPTOSS_KV_CACHE_DTYPE=fp8; the pure-Java side of the CPU-vs-GPU checks rounds K/V the same way).
#      The first entry runs on the small fixtures while the real-dimension one is being made.
EXTRA=""
[ -f "$W/fx/tiny-b.golden.json" ] && EXTRA="tiny-b=$W/fx/tiny-b:$W/fx/tiny-b.golden.json"
[ -f "$G/golden/tiny-b.golden.json" ] && EXTRA="tiny-b=$G/golden/tiny-b:$G/golden/tiny-b.golden.json"
REAL="real-dim=$W/fx/real:$W/fx/real.golden.json"
conformance() {  # MODE [GpuConformance arguments...]
  local mode=$1; shift
  local env=() label="[$mode] "
  case $mode in
    balanced) env=(GPTOSS_PRECISION=balanced); label="[balanced] " ;;
    fast) env=(GPTOSS_PRECISION=fast) ;;
    exact) env=(GPTOSS_PRECISION=exact) ;;
    dense) env=(GPTOSS_PRECISION=exact GPTOSS_CUDA_MOE=dense); label="[exact, dense experts] " ;;
    fp8) env=(GPTOSS_PRECISION=fast GPTOSS_KV_CACHE_DTYPE=fp8); label="[fast, fp8 KV] " ;;
  esac
  env "${env[@]}" timeout ${CONF_TIMEOUT:-300} "${JAVA[@]}" ai.gptoss.backend.cuda.GpuConformance "$G/golden" "$@" > "$W/conf.log" 2>&1
  local rc=$?
  sed "s/^CHECK /CHECK $label/" "$W/conf.log" | tee -a "$OUT/conformance.log" | grep -E "^CHECK|Exception|error" | head -20
  [ $rc -eq 0 ] || note "  CHECK ${label}GpuConformance FAILED exit status $rc"
}
MODES=(${CONFORMANCE:-balanced fast exact dense fp8})
conformance "${MODES[0]}" $EXTRA
[ "$MODE" = quick ] && GPTOSS_PRECISION=exact timeout 120 "${JAVA[@]}" ai.gptoss.backend.cuda.GpuDiagnosis "$G/golden/tiny-a" 2>&1 | grep DIAG | tee -a "$SUMMARY"

bench() {
  local tag=$1; shift
  local limit=$1; shift
  timeout $limit "${JAVA[@]}" ai.gptoss.cli.GptossCli bench --model synthetic:gpt-oss-20b --device cuda "${CEIL[@]}" "$@" > "$W/bench-$tag.json" 2> "$W/bench-$tag.err"
  local rc=$?
  cat "$W/bench-$tag.err" >> "$OUT/bench.log"
  grep PROFILE "$W/bench-$tag.err" | sed "s/^/  $tag /" >> "$SUMMARY"
  if [ $rc -eq 0 ]; then note "  BENCH $tag $(cat "$W/bench-$tag.json")"; else note "  BENCH $tag FAILED rc=$rc $(tail -3 "$W/bench-$tag.err" | tr '\n' ' ')"; fi
}
[ "$MODE" = quick ] && [ "${SKIP_BENCH:-0}" != 1 ] && bench small 120 --prompts 64 --input-len 128 --output-len 64

wait $FX_REAL
tail -3 "$W/fixture-real.log"; cat "$W/fixture-real.log" >> "$OUT/fixtures.log"
if [ -f "$W/fx/real.golden.json" ]; then
  conformance "${MODES[0]}" --extra-only "$REAL"
  for m in "${MODES[@]:1}"; do conformance "$m" $EXTRA "$REAL"; done
else
  note "  CHECK real-dim golden FAIL fixture not made (see fixture-real.log)"
  for m in "${MODES[@]:1}"; do conformance "$m" $EXTRA; done
fi
grep "^CHECK" "$OUT/conformance.log" | awk '!s[$0]++' | sed 's/^/  /' >> "$SUMMARY"
rm -rf "$W/fx/real"

# 5. Benchmarks (synthetic gpt-oss-20b shapes, random MXFP4 weights made on the GPU).
if [ "${SKIP_BENCH:-0}" = 1 ]; then
  note "  (benchmarks skipped: SKIP_BENCH=1)"
elif [ "$MODE" = quick ]; then
  export GPTOSS_PROFILE=1 GPTOSS_PRECISION=fast
  bench single-fast 90 --prompts 1 --input-len 1024 --output-len 128
  bench mid-fast 150 --prompts 256 --input-len 1024 --output-len 128
  unset GPTOSS_PRECISION
else
  # Reported figures: no profiler (its events would cost time and turn CUDA graphs off).
  export GPTOSS_PRECISION=${BENCH_PRECISION:-fast}
  [ -n "${BENCH_KV:-}" ] && export GPTOSS_KV_CACHE_DTYPE=$BENCH_KV   # e.g. BENCH_KV=fp8
  # Every run goes through the product's engine (bench's one driver; generate and Spark run it).
  # 32,768-token steps for the 1,024^3 prefill: half the dense expert path's per-step unpacks of 16,384
  # (the engine's step budget on >= 70 GiB); 15,379 against 15,011 tok/s on one H100 (2026-11-27, FP8 K/V,
  # through the bench's former loop)
  [ "${SKIP_FULL:-0}" = 1 ] || bench full ${FULL_LIMIT:-330} --prompts ${FULL_PROMPTS:-1024} --input-len 1024 --output-len ${FULL_OUT:-1024} \
    --max-batch-tokens ${FULL_MAX_BATCH_TOKENS:-32768}
  bench single 90 --prompts 1 --input-len 1024 --output-len 1024
  bench hf-shape 90 --prompts 64 --input-len 256 --output-len 128
  # The 1,024^3 run again at the engine's own step budget on this card, what generate and Spark get by
  # default (vLLM's offline defaults: 16,384 tokens, 1,024 sequences on >= 70 GiB).
  [ "${SKIP_FULL:-0}" = 1 ] || [ "${SKIP_FULL_DEFAULT:-0}" = 1 ] || bench full-default ${FULL_LIMIT:-330} --prompts ${FULL_PROMPTS:-1024} \
    --input-len 1024 --output-len ${FULL_OUT:-1024}
  unset GPTOSS_PRECISION GPTOSS_KV_CACHE_DTYPE
  timeout ${HF_LIMIT:-200} python3 "$G/ref/hf_baseline.py" static 64 256 128 > "$W/hf.log" 2>&1; tail -5 "$W/hf.log" >> "$OUT/bench.log"
  note "  HF $(grep RESULT "$W/hf.log" | tail -1)"
  # The targets of issue 7, from this run's own figures.
  python3 - "$W" <<'PY' | tee -a "$SUMMARY"
import json, os, sys
w = sys.argv[1]
def bench(tag):
    try: return json.load(open(f"{w}/bench-{tag}.json"))
    except Exception: return None
hf = None
for line in open(f"{w}/hf.log") if os.path.exists(f"{w}/hf.log") else []:
    if line.startswith("RESULT"): hf = json.loads(line[len("RESULT"):])
print("  TARGETS (issue 7)")
for tag, target, what in [("full", 15000, "1024 x 1024 -> 1024"), ("single", 300, "1 x 1024 -> 1024"), ("hf-shape", None, "64 x 256 -> 128"),
                          ("full-default", None, "1024 x 1024 -> 1024 at the engine's own step budget")]:
    b = bench(tag)
    if not b: print(f"  | {what} | not run |"); continue
    frac = b.get("fraction_of_limit"); lim = b.get("limit_output_tokens_per_s")
    goal = f">= {target}" if target else ("(generate's and Spark's default)" if tag == "full-default" else "(transformers' shape)")
    print(f"  | {what} | {b['output_tokens_per_s']:.0f} output tok/s | {goal} | limit {lim} | fraction {frac} |")
if hf:
    print(f"  | transformers static 64 x 256 -> 128 | {hf['out_tok_s']:.1f} output tok/s | peak {hf['peak_mem_gib']:.1f} GiB |")
    for tag in ("full", "hf-shape"):
        b = bench(tag)
        if b: print(f"  | ratio {tag} / transformers | {b['output_tokens_per_s'] / hf['out_tok_s']:.1f}x | target >= 50x |")
PY
fi

# 6. Loading a real-layout gpt-oss-20b checkpoint from local disk vs the disk's sequential read speed,
#    both from a cold page cache (POSIX_FADV_DONTNEED on every file first).
if [ "$MODE" = full ] && [ "${SKIP_LOAD:-0}" != 1 ]; then
  CK=${CK_DIR:-$PWD/.load-check}   # the project's disk, not /tmp (which may be in memory)
  evict() { python3 -c 'import os, sys
for f in sys.argv[1:]:
    fd = os.open(f, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$CK"/*; }
  timeout 300 "${JAVA[@]}" ai.gptoss.backend.cuda.LoadSpeedCheck write "$CK" 2>&1 | tail -2 | tee -a "$SUMMARY"
  note "  LOADSPEED filesystem: $(df -hT "$CK" | tail -1 | tr -s ' ')"
  sync; evict
  T0=$(date +%s.%N); cat "$CK"/*.safetensors > /dev/null; T1=$(date +%s.%N)
  BYTES=$(du -cb "$CK"/*.safetensors | tail -1 | cut -f1)
  DISK=$(python3 -c "print(f'{$BYTES/($T1-$T0)/1e9:.3f}')")
  evict
  T0=$(date +%s.%N); for f in "$CK"/*.safetensors; do dd if="$f" of=/dev/null bs=64M iflag=direct status=none; done; T1=$(date +%s.%N)
  DIRECT=$(python3 -c "print(f'{$BYTES/($T1-$T0)/1e9:.3f}')")
  evict
  LOAD=$(timeout 300 "${JAVA[@]}" ai.gptoss.backend.cuda.LoadSpeedCheck load "$CK" 2>&1 | grep '^LOAD')
  GB=$(echo "$LOAD" | sed -n 's/.*GBps=\([0-9.]*\).*/\1/p')
  BEST=$(python3 -c "print(max($DISK, $DIRECT))")
  note "  LOADSPEED disk sequential read (cold, buffered) ${DISK} GB/s, (O_DIRECT) ${DIRECT} GB/s; $LOAD; ratio to the faster read $(python3 -c "print(f'{${GB:-0}/$BEST:.2f}')")"
  rm -rf "$CK"
fi

for f in "$W"/hs_err_*.log; do [ -f "$f" ] && { note "  JVM CRASH $f"; grep -A12 "^Java frames" "$f" | head -14 | tee -a "$SUMMARY"; }; done
echo
echo "================ gpu-check summary ================"
cat "$SUMMARY"
# "N PASS, 0 FAIL" is a pass; any other FAIL, FAILED or CRASH is not, except in the conformance modes
# that are not held to transformers' top-1 (balanced, fast, fp8: near-tie flips are expected and
# documented in BENCHMARKS.md), whose FAIL lines are reported and counted apart.
INFORMATIONAL='^ *CHECK \[(balanced|fast|fast, fp8 KV)\] '
BAD=$(grep -E "FAIL|CRASH" "$SUMMARY" | grep -vE "(^|[^0-9])0 FAIL\b" | grep -vE "$INFORMATIONAL")
INFO=$(grep -E "$INFORMATIONAL" "$SUMMARY" | grep -c "FAIL")
[ "$INFO" -gt 0 ] && echo "gpu-check: $INFO FAIL line(s) in the balanced/fast/fp8 modes (near-tie flips, not held to top-1)"
if [ -n "$BAD" ]; then echo "gpu-check: FAILED:"; echo "$BAD" | cut -c1-200; exit 1; fi
echo "gpu-check: every check held to exactness passed"
