#!/usr/bin/env python3
"""Cut a small test fixture out of a PyTorch-profiler (Kineto / Chrome trace format) trace.

usage: scripts/trace_fixture.py TRACE.json OUT.json [--layers N]

Keeps the GPU events (kernel, gpu_memcpy, gpu_memset) of the first N layers of each chunk of a
DualPipe forward/backward pair — every stream — plus a few CPU events in that window (which the
reader must ignore), the first deviceProperties entry and distributedInfo. The window starts at
the first GPU event and ends where layer N+1 begins: the (N+1)-th forward attention kernel
(FlashAttention "compute_attn") less the time from the trace's start to the first one.
Arguments of a kernel are cut to its stream, device and launch shape. The output is the same
format, one event per line, so it reads like the original and diffs well.

Written for tests/calibrate/fixtures/deepseek-v3-pair-1layer.json, cut from DeepSeek's released
training profile (github deepseek-ai/profile-data, train.json, commit 4496024; PUBLISHED.md H).
"""
import argparse
import json
import re
import sys

GPU = {"kernel", "gpu_memcpy", "gpu_memset"}
FORWARD_ATTENTION = re.compile(r"flash::compute_attn|flash_fwd_kernel|FlashAttnFwd")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--cpu-events", type=int, default=6, help="CPU events kept in the window (default 6)")
    a = ap.parse_args()
    with open(a.trace) as f:
        doc = json.load(f)
    events = doc["traceEvents"]
    gpu = sorted((e for e in events if e.get("ph") == "X" and str(e.get("cat", "")).lower() in GPU),
                 key=lambda e: (e["ts"], e.get("tid", 0)))
    if not gpu:
        sys.exit(f"{a.trace}: no GPU events")
    t0 = gpu[0]["ts"]
    attention = [e["ts"] for e in gpu if FORWARD_ATTENTION.search(e["name"])]
    if len(attention) <= a.layers:
        sys.exit(f"{a.trace}: {len(attention)} forward attention kernels, cannot cut {a.layers} layer(s)")
    end = attention[a.layers] - (attention[0] - t0)
    kept = []
    for e in gpu:
        if e["ts"] >= end:
            continue
        e = dict(e)
        args = e.get("args", {})
        e["args"] = {k: args[k] for k in ("device", "stream", "grid", "block") if k in args}
        kept.append(e)
    cpu = [e for e in events if e.get("cat") == "cpu_op" and t0 <= e.get("ts", 0) < end][: a.cpu_events]
    out = {
        "schemaVersion": doc.get("schemaVersion", 1),
        "deviceProperties": doc.get("deviceProperties", [])[:1],
        "distributedInfo": doc.get("distributedInfo", {}),
        "traceName": doc.get("traceName", ""),
        "traceEvents": cpu + kept,
    }
    with open(a.out, "w") as f:
        f.write("{\n")
        for key in ("schemaVersion", "deviceProperties", "distributedInfo", "traceName"):
            f.write(f'  "{key}": {json.dumps(out[key])},\n')
        f.write('  "traceEvents": [\n')
        f.write(",\n".join("    " + json.dumps(e) for e in out["traceEvents"]))
        f.write("\n  ]\n}\n")
    print(f"{a.out}: {len(kept)} GPU events, {len(cpu)} CPU events, window {(end - t0) / 1000:.3f} ms")


if __name__ == "__main__":
    main()
