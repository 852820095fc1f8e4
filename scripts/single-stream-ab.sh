#!/bin/bash
# Single-stream decode step time (bench, 1 x 1,024 -> OUTPUT_LEN, synthetic gpt-oss-20b) under each
# switch of the small-step launch path, on one card in one call, ROUNDS rounds interleaved; VARIANTS
# (environment settings, several joined by '+', or "default") replaces the usual list, e.g.
#   VARIANTS="default GPTOSS_CUDA_MOE_SPLIT=on GPTOSS_CUDA_GEMV=tc GPTOSS_CUDA_MOE_SPLIT=on+GPTOSS_CUDA_GEMV=tc";
# the usual list:
#   default (programmatic launch, bf16_gemv auto), GPTOSS_CUDA_PDL=0, GPTOSS_CUDA_GEMV=off, GPTOSS_CUDA_GEMV=all.
# PROMPTS (default 1) runs the same A/B at a batch, e.g. PROMPTS=128 VARIANTS="default GPTOSS_CUDA_MOE_SWAP=mid"
# for the expert kernels of 65-511-token decode steps; INPUT_LEN (default 1,024) shortens the prompts.
# usage (project root on the GPU machine, after ../shared/device/pack.sh executor-runtime && scripts/stage-gpu.sh):
#   bash scripts/single-stream-ab.sh
set -uo pipefail
G=${G:-.gpu}
export GPTOSS_KERNEL_CACHE=${GPTOSS_KERNEL_CACHE:-/tmp/gptoss-kernels} GPTOSS_PRECISION=${GPTOSS_PRECISION:-fast}
JAVA=("$G/jre/bin/java" -Xmx16g -cp "$G/lib/*")
BENCH=(ai.gptoss.cli.GptossCli bench --model synthetic:gpt-oss-20b --device cuda --prompts "${PROMPTS:-1}" --input-len "${INPUT_LEN:-1024}"
  --output-len "${OUTPUT_LEN:-256}")
for round in $(seq 1 "${ROUNDS:-1}"); do
  for v in ${VARIANTS:-default GPTOSS_CUDA_PDL=0 GPTOSS_CUDA_GEMV=off GPTOSS_CUDA_GEMV=all}; do
    envs=()
    [ "$v" != default ] && IFS='+' read -ra envs <<< "$v"
    out=$(env "${envs[@]}" timeout 150 "${JAVA[@]}" "${BENCH[@]}" 2>/dev/null)
    ms=$(grep -o '"decode_step_median_ms":[0-9.]*' <<< "$out" | cut -d: -f2)
    tps=$(grep -o '"output_tokens_per_s":[0-9.]*' <<< "$out" | cut -d: -f2)
    echo "AB round $round $v: ${ms:-failed} ms per decode step, ${tps:-?} output tok/s (${PROMPTS:-1} prompts)"
  done
done
