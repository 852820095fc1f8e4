"""The card's ceilings, measured with PyTorch: device-to-device copy of 2 GiB (bytes read + written per
second) and an 8192^3 bf16 matrix product. Prints one line that scripts/gpu-check.sh and
scripts/gpu-throughput.sh read: CEILING copy_GBps <GB/s> bf16_TFLOPs <TFLOP/s>
(the limits of bench --ceiling-gbps / --ceiling-tflops come from it, cli/ThroughputLimit.java)."""
import time

import torch

x = torch.empty(2 * 2**30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
for _ in range(3): y.copy_(x)
torch.cuda.synchronize(); t = time.time(); n = 20
for _ in range(n): y.copy_(x)
torch.cuda.synchronize(); bw = 2 * x.numel() * n / (time.time() - t)
a = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda"); b = torch.randn_like(a)
for _ in range(3): a @ b
torch.cuda.synchronize(); t = time.time(); n = 20
for _ in range(n): a @ b
torch.cuda.synchronize(); fl = 2 * 8192**3 * n / (time.time() - t)
print(f"CEILING copy_GBps {bw/1e9:.0f} bf16_TFLOPs {fl/1e12:.0f}")
