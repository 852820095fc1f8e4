#!/usr/bin/env bash
# GPU discovery script for Spark (spark.executor.resource.gpu.discoveryScript,
# spark.driver.resource.gpu.discoveryScript, spark.worker.resource.gpu.discoveryScript): prints
#   {"name":"gpu","addresses":["0","1",...]}
# with one address per CUDA device this process can use, numbered as CUDA numbers them (the
# gptoss connector runs on cuda:<address>). When CUDA_VISIBLE_DEVICES is set (YARN and Kubernetes
# may set it to the GPUs they isolated for the container) CUDA renumbers those devices 0..n-1, and so
# does this script; otherwise it lists nvidia-smi's GPU indices. Exits non-zero, saying why on
# stderr, when nvidia-smi is missing or fails, so that Spark reports the executor's discovery error.
set -euo pipefail

if ! command -v nvidia-smi > /dev/null 2>&1; then
  echo "gpu-discovery.sh: nvidia-smi not found on PATH (no NVIDIA driver on ${HOSTNAME:-this host})" >&2
  exit 1
fi
if ! indices=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1); then
  echo "gpu-discovery.sh: nvidia-smi failed on ${HOSTNAME:-this host}: $indices" >&2
  exit 1
fi
count=$(printf '%s\n' "$indices" | grep -c '^[[:space:]]*[0-9][0-9]*[[:space:]]*$' || true)

addresses=()
if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then
  # CUDA's rules: the list ends at the first invalid entry; "", "-1" or "NoDevFiles" hide every GPU.
  visible=0
  IFS=',' read -r -a entries <<< "${CUDA_VISIBLE_DEVICES}"
  for e in "${entries[@]}"; do
    e="${e//[[:space:]]/}"
    if [[ "$e" =~ ^[0-9]+$ ]]; then
      [ "$e" -lt "$count" ] || break
    elif [[ ! "$e" =~ ^(GPU|MIG)- ]]; then
      break
    fi
    visible=$((visible + 1))
  done
  for ((i = 0; i < visible; i++)); do addresses+=("$i"); done
else
  while read -r i; do
    i="${i//[[:space:]]/}"
    [[ "$i" =~ ^[0-9]+$ ]] && addresses+=("$i")
  done <<< "$indices"
fi

json=""
for a in "${addresses[@]+"${addresses[@]}"}"; do json+="${json:+,}\"$a\""; done
printf '{"name":"gpu","addresses":[%s]}\n' "$json"
