#!/usr/bin/env bash
# Makes a CUDA 13 nvcc available for the kernel compile checks (KernelsCompileTest), and NVRTC
# ($CUDA_HOME/lib/libnvrtc.so.13, for KernelNvrtcTest: the compiler the runtime uses), for .ci/run.
# Source it: it exports CUDA_HOME. Uses, in order: $CUDA_HOME/bin/nvcc, nvcc on the PATH, and
# otherwise installs NVIDIA's nvcc from PyPI (pinned below) into build/cuda-nvcc, a virtual
# environment of this checkout. Fails when none of that gives a CUDA 13 nvcc.
# The versions are one consistent CUDA 13.1 set: nvidia-cuda-nvcc alone pulls the newest nvvm and
# crt, whose PTX the 13.1 ptxas then rejects ("Unsupported .version").
NVCC_PINS=("nvidia-cuda-nvcc==13.1.115" "nvidia-nvvm==13.1.115" "nvidia-cuda-crt==13.1.115" "nvidia-cuda-runtime==13.1.80"
  "nvidia-cuda-nvrtc==13.1.115")

_gptoss_nvcc_is_13() { "$1" --version 2>/dev/null | grep -q "release 13\."; }

_gptoss_ensure_nvcc() {
  local root venv home
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -n "${CUDA_HOME:-}" ] && _gptoss_nvcc_is_13 "$CUDA_HOME/bin/nvcc"; then
    echo "ensure-nvcc: using $CUDA_HOME/bin/nvcc"; return 0
  fi
  if command -v nvcc >/dev/null && _gptoss_nvcc_is_13 "$(command -v nvcc)"; then
    CUDA_HOME="$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)"; export CUDA_HOME
    echo "ensure-nvcc: using $(command -v nvcc)"; return 0
  fi
  venv="$root/build/cuda-nvcc"
  home="$venv/lib/python3*/site-packages/nvidia/cu13"
  # shellcheck disable=SC2086
  if ! ls $home/bin/nvcc $home/lib/libnvrtc.so.13 >/dev/null 2>&1; then
    echo "ensure-nvcc: no CUDA 13 nvcc here; installing ${NVCC_PINS[*]} from PyPI into build/cuda-nvcc"
    python3 -m venv "$venv" || { echo "ensure-nvcc: python3 -m venv failed" >&2; return 1; }
    "$venv/bin/pip" install -q --disable-pip-version-check "${NVCC_PINS[@]}" \
      || { echo "ensure-nvcc: pip install of nvcc failed" >&2; return 1; }
  fi
  # shellcheck disable=SC2086
  CUDA_HOME="$(cd $home && pwd)"; export CUDA_HOME
  _gptoss_nvcc_is_13 "$CUDA_HOME/bin/nvcc" || { echo "ensure-nvcc: $CUDA_HOME/bin/nvcc is not a CUDA 13 nvcc" >&2; return 1; }
  echo "ensure-nvcc: using $CUDA_HOME/bin/nvcc ($("$CUDA_HOME/bin/nvcc" --version | grep release))"
}
_gptoss_ensure_nvcc
