#!/bin/bash
# gptoss() through Spark on the GPU machine (issue 14), from the project root there, after
# scripts/stage-spark-gpu.sh here and the parts of .gpu-rt/rt unpacked there (/tmp/parts/root/rt).
# usage: bash scripts/gpu-spark-check.sh STEP...   (run in this order, on one warm machine)
#   local     1. bin/gptoss tiny-qa-eval in local mode: accuracy, and the device the engine ran on
#   cluster   3. a standalone master + one worker with one GPU (the shipped discovery script), one
#                executor with spark.executor.resource.gpu.amount=1: tiny-qa-eval again
#   conformance  GpuConformance (exact precision, the reference) on the golden fixtures: the CUDA backend
#                against transformers and the pure-Java backend, on this build
#   ckpt      writes a real-layout gpt-oss-20b-shaped checkpoint (random MXFP4 weights) to disk
#   bench     2. bench --driver engine and spark-bench (gptoss() in local mode) on that checkpoint,
#                the same prompts (BENCH_PROMPTS x BENCH_IN -> BENCH_OUT), precision and K/V type
#   tp2       issue 21 through Spark on one GPU: tiny-qa-eval with tensor_parallel_size=2 and both ranks on
#                GPU 0 (device=cuda:0,0; host-staged sums): accuracy, the engine started on cuda:0,0, and its
#                memory plan of one rank's weights per rank (two on GPU 0)
# Every step appends to $OUT/summary.txt, printed last; the logs come back as $OUT/logs.tgz.
set -uo pipefail
RT=${RT:-/tmp/parts/root/rt}
OUT=${OUT:-/tmp/gpu-spark-out}
W=/tmp/gpu-spark
CK=${CK:-/tmp/gpu-spark-ckpt/gpt-oss-20b-shaped}
DISCOVERY=${DISCOVERY:-$PWD/scripts/gpu-discovery.sh}
L=$W/logs
mkdir -p "$OUT" "$W" "$L"
SUMMARY=$OUT/summary.txt
note() { echo "$*" | tee -a "$SUMMARY"; }
[ -x "$RT/jre/bin/java" ] || { echo "no runtime at $RT: send the parts first"; exit 2; }
export JAVA_HOME=$RT/jre PATH=$RT/jre/bin:$PATH GPTOSS_KERNEL_CACHE=$W/kernels SPARK_LOCAL_IP=127.0.0.1
rm -rf build/lib bin && mkdir -p build/lib bin
ln -s "$RT"/lib/*.jar build/lib/ && cp .gpu/spark/lib/*.jar build/lib/ && cp scripts/gptoss bin/gptoss && chmod +x bin/gptoss
note "card: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)  date: $(date -u +%FT%TZ)  jars built at: $(cat .gpu/spark/COMMIT 2>/dev/null || echo '?')"
fail=0

tinyqa() {  # TAG [tiny-qa-eval arguments...]
  local tag=$1; shift
  local t0=$SECONDS
  timeout 300 bin/gptoss tiny-qa-eval --output "$W/tqa-$tag" "$@" > "$L/tqa-$tag.out" 2> "$L/tqa-$tag.err"
  local rc=$?
  local acc; acc=$(grep '^accuracy' "$L/tqa-$tag.out")
  local dev; dev=$(grep -o 'started engine[^)]*)\|started [^ ]* #[0-9]* ([^,]*' "$L/tqa-$tag.err" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  note "  TINYQA $tag rc=$rc wall=$((SECONDS - t0))s | $acc | engines: ${dev:-none logged}"
  grep -E "WARN|ERROR|Exception" "$L/tqa-$tag.err" | grep -v "incubator" | head -5 | sed 's/^/    /' | tee -a "$SUMMARY"
  [ $rc -eq 0 ] && echo "$acc" | grep -qE 'accuracy: (9[5-9]|100)\.' || fail=1
}

for step in "$@"; do
  case $step in
    local)
      tinyqa local --min-accuracy 0.95 ;;
    cluster)
      [ -x "$DISCOVERY" ] || { note "  CLUSTER FAIL: $DISCOVERY missing"; fail=1; continue; }
      note "  discovery script prints: $("$DISCOVERY")"
      mkdir -p "$W/spark-home" && ln -sfn "$PWD/build/lib" "$W/spark-home/jars"
      export SPARK_HOME=$W/spark-home SPARK_SCALA_VERSION=2.13
      CP="$PWD/build/lib/*"
      setsid java -cp "$CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 --webui-port 18080 \
        > "$L/master.log" 2>&1 < /dev/null &
      sleep 4
      setsid java -cp "$CP" -Dspark.worker.resource.gpu.amount=1 -Dspark.worker.resource.gpu.discoveryScript="$DISCOVERY" \
        org.apache.spark.deploy.worker.Worker spark://127.0.0.1:7077 --host 127.0.0.1 --cores 8 --memory 32g --webui-port 18081 \
        --work-dir "$W/work" > "$L/worker.log" 2>&1 < /dev/null &
      for i in $(seq 30); do grep -q "Successfully registered with master" "$L/worker.log" && break; sleep 1; done
      grep -E "Successfully registered|resource|gpu" "$L/worker.log" | head -3 | sed 's/^/    worker: /' | tee -a "$SUMMARY"
      GPTOSS_JAVA_OPTS="-Dspark.executor.resource.gpu.amount=1 -Dspark.task.resource.gpu.amount=0.125 -Dspark.executor.cores=8 \
-Dspark.executor.memory=24g -Dspark.executor.resource.gpu.discoveryScript=$DISCOVERY \
-Dspark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector ${EXTRA_JAVA_OPTS:-}" tinyqa cluster --master spark://127.0.0.1:7077 --min-accuracy 0.95
      for f in "$W"/work/app-*/*/stderr; do
        [ -f "$f" ] || continue
        cp "$f" "$L/executor-stderr.log"
        note "    executor: $(grep -o 'started engine[^)]*)\|started [^ ]* #[0-9]* ([^,]*' "$f" | sort | uniq -c | tr -s ' ' | tr '\n' ';') $(grep -c 'gpu' "$f") gpu lines"
        grep -iE "resources|gpu" "$f" | head -3 | sed 's/^/      /' | tee -a "$SUMMARY"
      done
      pkill -f org.apache.spark.deploy.worker.Worker; pkill -f org.apache.spark.deploy.master.Master ;;
    conformance)
      GD=executor-runtime/src/test/resources/golden
      GPTOSS_PRECISION=exact timeout 300 java -Xmx32g --add-modules jdk.incubator.vector -cp "build/lib/*" ai.gptoss.backend.cuda.GpuConformance "$GD" \
        "tiny-b=$GD/tiny-b:$GD/tiny-b.golden.json" > "$L/conformance.log" 2>&1
      rc=$?
      sed '/^---- GPU conformance ----/q' "$L/conformance.log" | grep "^CHECK" | cut -c1-160 | sed 's/^/  [exact] /' | tee -a "$SUMMARY"
      note "  CONFORMANCE exact rc=$rc"
      [ $rc -eq 0 ] || fail=1 ;;
    ckpt)
      t0=$SECONDS
      rm -rf "$CK"; mkdir -p "$(dirname "$CK")"
      timeout 300 java -Xmx8g -cp "build/lib/*" ai.gptoss.backend.cuda.LoadSpeedCheck write "$CK" > "$L/ckpt.log" 2>&1
      note "  CKPT rc=$? wall=$((SECONDS - t0))s $(du -sh "$CK" | cut -f1) at $CK ($(df -hT "$CK" | tail -1 | tr -s ' ' | cut -d' ' -f2))" ;;
    bench)
      P=${BENCH_PROMPTS:-1024}; I=${BENCH_IN:-1024}; O=${BENCH_OUT:-1024}; PREC=${BENCH_PRECISION:-fast}
      export GPTOSS_KV_CACHE_DTYPE=${BENCH_KV:-fp8}
      t0=$SECONDS
      timeout 330 bin/gptoss bench --model "$CK" --device cuda --precision "$PREC" --driver engine --prompts $P --input-len $I \
        --output-len $O > "$L/bench-engine.json" 2> "$L/bench-engine.err"
      note "  BENCH engine rc=$? wall=$((SECONDS - t0))s $(cat "$L/bench-engine.json")"
      t0=$SECONDS
      timeout 400 bin/gptoss spark-bench --model "$CK" --prompts $P --input-len $I --output-len $O --option precision=$PREC \
        > "$L/bench-spark.json" 2> "$L/bench-spark.err"
      note "  BENCH spark rc=$? wall=$((SECONDS - t0))s $(cat "$L/bench-spark.json")"
      grep -E "started|memory plan|WARN" "$L/bench-spark.err" | grep -v incubator | head -5 | sed 's/^/    /' | tee -a "$SUMMARY"
      python3 - "$L" <<'PY' | tee -a "$SUMMARY"
import json, sys
o = sys.argv[1]
try:
    e = json.load(open(f"{o}/bench-engine.json")); s = json.load(open(f"{o}/bench-spark.json"))
    r = s["output_tokens_per_s"] / e["output_tokens_per_s"]
    print(f"  | {e['prompts']} x {e['input_len']} -> {e['output_len']} | engine {e['output_tokens_per_s']:.0f} tok/s (load {e['load_seconds']} s)"
          f" | spark gptoss() {s['output_tokens_per_s']:.0f} tok/s on {s['device']} (load {s['load_seconds']} s) | ratio {r:.3f} | target >= 0.95 |")
except Exception as ex:
    print(f"  | bench comparison not available: {ex} |")
PY
      unset GPTOSS_KV_CACHE_DTYPE ;;
    tp2)
      jopts=${GPTOSS_JAVA_OPTS:-}
      export GPTOSS_JAVA_OPTS="$jopts -Dspark.gptoss.tensor_parallel_size=2"
      tinyqa tp2 --device cuda:0,0 --min-accuracy 0.95
      export GPTOSS_JAVA_OPTS="$jopts"
      grep -E "memory plan" "$L/tqa-tp2.err" | head -2 | sed 's/^/    /' | tee -a "$SUMMARY"
      grep -q "started engine #[0-9]* (cuda:0,0,.*tensor_parallel_size 2" "$L/tqa-tp2.err" \
        || { note "  TP2 FAIL: no engine with tensor_parallel_size 2 started on cuda:0,0"; fail=1; } ;;
    *) note "unknown step $step"; fail=1 ;;
  esac
done
for f in hs_err_*.log "$W"/hs_err_*.log; do [ -f "$f" ] && note "  JVM CRASH $f"; done
tar czf "$OUT/logs.tgz" -C "$W" logs
echo
echo "================ gpu-spark-check summary ================"
cat "$SUMMARY"
exit $fail
