#!/bin/bash
# How far each precision's logits are from float32 transformers, on several real-dimension fixtures
# (issue 17: "the claimed logit tolerances are what was measured"). On the GPU machine, from the project
# root with .gpu/ staged (scripts/stage-gpu.sh: jre, lib, golden, ref/reference_fixture.py):
#   bash scripts/gpu-tolerance.sh
# For each fixture of TOLERANCE_FIXTURES (NAME:SEED:JSON-overrides of the published gpt-oss-20b config,
# random weights, made by transformers in float32 on the spot), GpuConformance runs every precision of
# TOLERANCE_MODES on it; the summary lists top-1 agreement and the worst last-position logits relative
# L2 per fixture and mode, then the worst per mode over all fixtures. Exits 1 when a fixture cannot be
# made or the exact precision fails its check (the others are measured, not judged).
set -uo pipefail
G=${G:-.gpu}
OUT=${OUT:-/tmp/gpu-tolerance-out}
W=/tmp/gpu-tolerance
mkdir -p "$OUT" "$W/fx"
JAVA=("$G/jre/bin/java" -Xmx48g -XX:+UseParallelGC -cp "$G/lib/*")
# The pure-Java side of the checks runs its SIMD kernels where the runtime has the Vector API module.
"$G/jre/bin/java" --list-modules 2>/dev/null | grep -q '^jdk.incubator.vector' && JAVA=("${JAVA[0]}" --add-modules jdk.incubator.vector "${JAVA[@]:1}")
SUMMARY=$OUT/tolerance.txt
: > "$SUMMARY"
: > "$W/rel.txt"   # this call's figures only (W outlives a call on a warm machine)
note() { echo "$*" | tee -a "$SUMMARY"; }
export GPTOSS_KERNEL_CACHE=$W/kernels
DEFAULT_FIXTURES=(
  'real-s7:7:{"num_hidden_layers": 2, "_lengths": [5, 150, 300]}'
  'real-s21:21:{"num_hidden_layers": 2, "_lengths": [1, 64, 257]}'
  'deep4-s3:3:{"num_hidden_layers": 4, "_lengths": [17, 200]}'
  'long-s5:5:{"num_hidden_layers": 2, "_lengths": [700]}'
)
if [ -n "${TOLERANCE_FIXTURES:-}" ]; then IFS=$'\n' read -r -d '' -a FIXTURES <<< "$TOLERANCE_FIXTURES"; else FIXTURES=("${DEFAULT_FIXTURES[@]}"); fi
MODES=(${TOLERANCE_MODES:-exact balanced fast fp8})
note "card: $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)   date: $(date -u +%FT%TZ)"
fail=0
for spec in "${FIXTURES[@]}"; do
  name=${spec%%:*}; rest=${spec#*:}; seed=${rest%%:*}; over=${rest#*:}
  t0=$SECONDS
  if ! python3 "$G/ref/reference_fixture.py" "$W/fx" "$name" "$seed" "$over" > "$W/fixture-$name.log" 2>&1 \
      || [ ! -f "$W/fx/$name.golden.json" ]; then
    note "  FIXTURE $name FAIL (made by reference_fixture.py; log: $(tail -2 "$W/fixture-$name.log" | tr '\n' ' '))"
    fail=1; continue
  fi
  note "  FIXTURE $name seed $seed $over made in $((SECONDS - t0)) s"
  for m in "${MODES[@]}"; do
    env=()
    case $m in
      exact|balanced|fast) env=(GPTOSS_PRECISION=$m GPTOSS_KV_CACHE_DTYPE=auto) ;;
      fp8) env=(GPTOSS_PRECISION=fast GPTOSS_KV_CACHE_DTYPE=fp8) ;;
      *) note "  unknown mode $m"; fail=1; continue ;;
    esac
    env "${env[@]}" timeout 300 "${JAVA[@]}" ai.gptoss.backend.cuda.GpuConformance "$G/golden" --extra-only \
      "$name=$W/fx/$name:$W/fx/$name.golden.json" > "$W/conf-$name-$m.log" 2>&1
    rc=$?
    line=$(sed '/^---- GPU conformance ----/q' "$W/conf-$name-$m.log" | grep "^CHECK $name golden" | head -1)
    top1=$(grep -o 'top1 [0-9]*/[0-9]* ([0-9.]*)' <<< "$line")
    rel=$(grep -o 'relL2 [0-9.e+-]*' <<< "$line" | cut -d' ' -f2)
    note "  TOL $name $m rc=$rc ${top1:-top1 ?} relL2 ${rel:-?}"
    [ -n "$rel" ] && echo "$m $rel" >> "$W/rel.txt"
    if [ "$m" = exact ] && ! grep -q " PASS " <<< "$line"; then fail=1; fi
  done
  rm -rf "${W:?}/fx/$name"
done
note "worst last-position logits relative L2 over ${#FIXTURES[@]} fixtures:"
for m in "${MODES[@]}"; do
  note "  | $m | $(awk -v m="$m" '$1 == m { if ($2 + 0 > w) w = $2 + 0; n++ } END { if (n) printf "%.3e", w; else printf "none measured" }' "$W/rel.txt") |"
done
exit $fail
