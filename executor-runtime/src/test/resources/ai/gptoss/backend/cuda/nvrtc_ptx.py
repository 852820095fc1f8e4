"""NVRTC without a GPU, for KernelNvrtcTest: compiles kernel sources to PTX with libnvrtc through ctypes.

usage: python3 nvrtc_ptx.py LIBNVRTC HEADER_FILE... < jobs
Each line of jobs is tab-separated: SOURCE_FILE, OUT_PTX, then the NVRTC options. The headers are given
to every program under their file names (as KernelCompiler does with its HEADERS). Prints "OK <out>" or "FAIL <out>" and
the compiler log per job; exits 1 if any job failed.
"""
import ctypes
import os
import sys

lib = ctypes.CDLL(sys.argv[1])
header_files = sys.argv[2:]
headers = [open(h, "rb").read() for h in header_files]
header_names = [os.path.basename(h).encode() for h in header_files]
n = len(headers)
failed = 0
for line in sys.stdin.read().splitlines():
    if not line.strip():
        continue
    source, out, *options = line.split("\t")
    prog = ctypes.c_void_p()
    rc = lib.nvrtcCreateProgram(ctypes.byref(prog), open(source, "rb").read(), os.path.basename(source).encode(), n,
                                (ctypes.c_char_p * n)(*headers), (ctypes.c_char_p * n)(*header_names))
    if rc != 0:
        print("FAIL", out, "nvrtcCreateProgram", rc)
        failed += 1
        continue
    opts = [o.encode() for o in options]
    rc = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    if rc == 0:
        lib.nvrtcGetPTXSize(prog, ctypes.byref(size))
        ptx = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetPTX(prog, ptx)
        with open(out, "wb") as f:
            f.write(ptx.value)
        print("OK", out)
    else:
        print("FAIL", out, "nvrtcCompileProgram", rc)
        failed += 1
    text = log.value.decode(errors="replace").strip()
    if text:
        print(text)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
sys.exit(1 if failed else 0)
