#!/usr/bin/env python3
"""Mutation campaign over moesim's inputs (issue 17): every key of the bundled scenarios and
model configs deleted, retyped, set to 0, negative, 5e-324, 1e308, 2^31, 2^53; special files
(FIFO, /dev/zero, /dev/urandom, a symlink loop) as each file input; --set values (invalid
UTF-8 included); `comm` flags at 0 and huge. Each input runs the built binary, results going
to a throw-away database; an input may take --timeout seconds of CPU (user + system, so that a
loaded machine does not make a fast input look slow) and is killed after --wall-limit seconds.
Prints totals by exit status, the runs past the limit and every input that exited 1 (an
internal error), went past the limit or died of a signal.

    scripts/mutation_campaign.py --moesim build/cli/moesim            # the whole campaign
    scripts/mutation_campaign.py --moesim build/cli/moesim --sample 300  # every k-th input

Exit status: 0 when no input exited 1, timed out or crashed; 1 otherwise. Python 3 stdlib only.
"""
import argparse
import concurrent.futures
import copy
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VALUES = [("0", 0), ("negative", -1), ("5e-324", 5e-324), ("1e308", 1e308), ("2^31", 2**31), ("2^53", 2**53)]
# The two large serving scenarios offer 1800 and 930 requests/s for 600 s (~10^6 requests,
# 10-30 s a run); their mutations run for 10 s of traffic instead, the same code paths.
SHORTEN = {"deepseek-v3-serve.json", "deepseek-v3-serve-feb2025.json"}
DURATION = "/inference/traffic/duration_s"
# Hosts for the mutated model configs: one training and one serving scenario.
MODEL_HOSTS = ["deepseek-v3-pretrain.json", "deepseek-v2-serve-8xh800.json"]


def leaves(doc, path=""):
    """JSON pointers of every key (objects and values alike) below `doc`."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = path + "/" + k.replace("~", "~0").replace("/", "~1")
            yield p
            yield from leaves(v, p)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            p = "%s/%d" % (path, i)
            yield p
            yield from leaves(v, p)


def tokens(pointer):
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def mutate(doc, pointer, how):
    """A copy of `doc` with the key at `pointer` deleted, retyped or set to a value."""
    out = copy.deepcopy(doc)
    node = out
    ts = tokens(pointer)
    for t in ts[:-1]:
        node = node[int(t)] if isinstance(node, list) else node[t]
    last = int(ts[-1]) if isinstance(node, list) else ts[-1]
    if how == "delete":
        del node[last]
    elif how == "retype":
        old = node[last]
        node[last] = 123 if isinstance(old, str) else "x"
    else:
        node[last] = dict(VALUES)[how]
    return out


class Campaign:
    def __init__(self, moesim, work):
        self.moesim = moesim
        self.work = work
        self.inputs = []  # (label, argv)
        self.count = 0

    def file(self, name, doc):
        self.count += 1
        path = os.path.join(self.work, "%05d-%s" % (self.count, name))
        with open(path, "w") as f:
            json.dump(doc, f, allow_nan=False) if not isinstance(doc, str) else f.write(doc)
        return path

    def run(self, label, scenario, *extra):
        self.inputs.append((label, [self.moesim, "run", scenario, *extra]))

    def build(self):
        scen_dir = os.path.join(ROOT, "scenarios")
        scenarios = sorted(f for f in os.listdir(scen_dir) if f.endswith(".json"))
        docs = {s: json.load(open(os.path.join(scen_dir, s))) for s in scenarios}
        hows = ["delete", "retype"] + [v[0] for v in VALUES]
        for s in scenarios:
            training = docs[s].get("mode") == "training"
            for p in leaves(docs[s]):
                for how in hows:
                    try:
                        path = self.file(s, mutate(docs[s], p, how))
                    except ValueError:  # 1e308 etc. always serialise; guard anyway
                        continue
                    extra = []
                    if s in SHORTEN and not DURATION.startswith(p):
                        extra = ["--set", DURATION + "=10"]
                    self.run("%s %s %s%s" % (s, p, how, " (10 s of traffic)" if extra else ""), path, *extra)
                    if training:
                        self.run("%s %s %s --fidelity full" % (s, p, how), path, "--fidelity", "full")
        model_dir = os.path.join(scen_dir, "models")
        for m in sorted(f for f in os.listdir(model_dir) if f.endswith(".json")):
            doc = json.load(open(os.path.join(model_dir, m)))
            for p in leaves(doc):
                for how in hows:
                    path = self.file(m, mutate(doc, p, how))
                    for host in MODEL_HOSTS:
                        self.run("model %s %s %s in %s" % (m, p, how, host), os.path.join(scen_dir, host),
                                 "--set", "/model=" + path)
        self.special_files(scen_dir)
        self.set_values(scen_dir)
        self.comm_flags()

    def special_files(self, scen_dir):
        fifo = os.path.join(self.work, "fifo.json")
        os.mkfifo(fifo)
        loop = os.path.join(self.work, "loop.json")
        os.symlink(loop, loop)
        specials = [("FIFO", fifo), ("/dev/zero", "/dev/zero"), ("/dev/urandom", "/dev/urandom"),
                    ("symlink loop", loop), ("directory", self.work)]
        train = os.path.join(scen_dir, "deepseek-v3-pretrain.json")
        serve = os.path.join(scen_dir, "deepseek-v2-serve-8xh800.json")
        big = {"prices": [{"product": "p%d" % i, "model": "m", "usd_per_million_tokens": {"output": 1.0},
                           "source": "campaign", "as_of": "2025-01-01"} for i in range(100000)]}
        for name, path in specials + [("100K-entry prices file", self.file("prices.json", big))]:
            self.inputs.append(("special %s as a prices file" % name,
                                [self.moesim, "report", "prices", "--add", path]))
        for name, path in specials:
            self.run("special %s as the scenario" % name, path)
            self.run("special %s as /model" % name, serve, "--set", "/model=" + path)
            self.run("special %s as /cluster/gpu" % name, serve, "--set", "/cluster/gpu=" + path)
            self.run("special %s as /cluster/calibration" % name, serve, "--set", "/cluster/calibration=" + path)
            self.run("special %s as the expert trace" % name, train, "--set",
                     '/training/moe/expert_load={"kind": "trace", "file": "%s"}' % path)
            self.run("special %s as the request trace" % name, serve, "--set",
                     '/inference/traffic={"arrival": "trace", "trace_file": "%s"}' % path)

    def set_values(self, scen_dir):
        serve = os.path.join(scen_dir, "deepseek-v2-serve-8xh800.json")
        train = os.path.join(scen_dir, "deepseek-v3-pretrain.json")
        bad = [b"\xff\xfe", b"\xc3\x28", b"abc\x80", b"\xed\xa0\x80"]
        for key in ["/name", "/cluster/gpu", "/model", "/inference/traffic/requests_per_s"]:
            for b in bad:
                self.inputs.append(("--set %s=<invalid UTF-8 %r>" % (key, b),
                                    [self.moesim, "run", serve, "--set", os.fsencode(key + "=") + b]))
        texts = ["1e999", "-1e999", "NaN", "[]", "{}", "null", "true", '"8"', "-0", "1e-400", "18446744073709551616",
                 "9223372036854775808", "0.5", "1e6"]
        targets = [(serve, k) for k in ["/inference/traffic/requests_per_s", "/inference/traffic/duration_s",
                                       "/inference/decode/micro_batches", "/inference/prefill/max_batch_tokens",
                                       "/inference/traffic/input_tokens/sigma", "/cluster/nodes", "/seed"]]
        targets += [(train, k) for k in ["/training/global_batch_size", "/parallelism/pp", "/training/steps",
                                         "/cluster/gpu_overrides/bf16_dense_TFLOPS", "/cluster/network/nic_Gbps"]]
        for scen, key in targets:
            for t in texts:
                self.run("--set %s=%s in %s" % (key, t, os.path.basename(scen)), scen, "--set", key + "=" + t)
        self.run("--set /inference/traffic/requests_per_s=1e6 for 600 s", serve, "--set",
                 "/inference/traffic/requests_per_s=1e6", "--set", "/inference/traffic/duration_s=600")
        self.run("--set /inference/decode/micro_batches=2^31-1", serve, "--set",
                 "/inference/decode/micro_batches=2147483647")

    def comm_flags(self):
        flags = ["--nodes", "--gpus-per-node", "--group", "--nic-gbps", "--nics-per-node", "--oversubscription",
                 "--stepfactor"]
        deepep = ["--ep", "--tokens", "--hidden", "--top-k", "--max-nodes-per-token", "--num-experts"]
        values = ["0", "-1", "1e8", "100000000", "2147483647", "1e308", "5e-324"]
        for model in ["closed-form", "flows"]:
            for flag in flags:
                for v in values:
                    self.inputs.append(("comm all_reduce %s %s --model %s" % (flag, v, model),
                                        [self.moesim, "comm", "all_reduce", flag, v, "--model", model]))
            for flag in deepep:
                for v in values:
                    base = [] if flag == "--ep" else ["--ep", "64"]
                    self.inputs.append(("comm dispatch %s %s --model %s" % (flag, v, model),
                                        [self.moesim, "comm", "dispatch", *base, flag, v, "--model", model]))
            for op in ["all_reduce", "all_to_all", "all_gather", "p2p"]:
                for g in ["65536", "4096", "1024"]:
                    self.inputs.append(("comm %s --group %s --model %s" % (op, g, model),
                                        [self.moesim, "comm", op, "--group", g, "--model", model]))
            for ep in ["65536", "4096", "1024"]:
                self.inputs.append(("comm dispatch --ep %s --model %s" % (ep, model),
                                    [self.moesim, "comm", "dispatch", "--ep", ep, "--model", model]))
        for size in ["1e308", "1e16", "1e15", "0", "-1", "nan", "1..1e308"]:
            self.inputs.append(("comm all_reduce --size %s" % size,
                                [self.moesim, "comm", "all_reduce", "--size", size]))


def run_one(item, timeout, wall_limit, db):
    """(label, exit status or "timeout"/"killed"/"not run", last stderr line, wall s, CPU s).
    "timeout": past `timeout` seconds of CPU (user + system), so a loaded machine does not
    turn a fast input into a slow one; "killed": still running after `wall_limit` seconds."""
    label, argv = item
    if argv[1] in ("run", "report"):
        argv = argv + ["--db", db]
    start = time.monotonic()
    with tempfile.TemporaryFile() as err_file:
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_file)
        except OSError as e:  # the binary missing or being relinked
            return label, "not run", str(e), 0.0, 0.0
        while True:
            pid, raw, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > wall_limit:
                p.kill()
                pid, raw, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        p.returncode = 0  # reaped here; keeps Popen from waiting again
        wall = time.monotonic() - start
        cpu = usage.ru_utime + usage.ru_stime
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace").strip().splitlines()
    if wall > wall_limit:
        status = "killed"
    elif cpu > timeout:
        status = "timeout"
    else:
        status = os.waitstatus_to_exitcode(raw)
    return label, status, (err[-1] if err else ""), wall, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moesim", default=os.path.join(ROOT, "build", "cli", "moesim"))
    ap.add_argument("--timeout", type=float, default=20, help="CPU seconds an input may take")
    ap.add_argument("--wall-limit", type=float, default=0,
                    help="wall seconds after which an input is killed (default 5 x --timeout)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sample", type=int, default=0, help="run about N inputs, every k-th (deterministic)")
    args = ap.parse_args()
    moesim = os.path.abspath(args.moesim)
    with tempfile.TemporaryDirectory(prefix="moesim-campaign-") as work:
        c = Campaign(moesim, work)
        c.build()
        inputs = c.inputs
        if args.sample and args.sample < len(inputs):
            step = len(inputs) / args.sample
            inputs = [inputs[int(i * step)] for i in range(args.sample)]
        print("%d inputs (of %d), timeout %g s, %d jobs" % (len(inputs), len(c.inputs), args.timeout, args.jobs),
              flush=True)
        start = time.monotonic()
        results = []
        # Each bad input is printed as it comes; Ctrl-C cancels the inputs not started and prints
        # the totals of what ran (the pool then waits only for the --jobs inputs running).
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(run_one, item, args.timeout, args.wall_limit or 5 * args.timeout,
                                   os.path.join(work, "db-%d.sqlite" % (i % args.jobs)))
                       for i, item in enumerate(inputs)]
            try:
                for f in futures:
                    r = f.result()
                    results.append(r)
                    if r[1] not in (0, 2):
                        print("BAD exit %s (%.1f s CPU, %.1f s wall): %s\n    %s" % (r[1], r[4], r[3], r[0], r[2]),
                              flush=True)
            except KeyboardInterrupt:
                for f in futures:
                    f.cancel()
                print("interrupted after %d inputs" % len(results))
    totals = {}
    for r in results:
        totals[r[1]] = totals.get(r[1], 0) + 1
    bad = [r for r in results if r[1] not in (0, 2)]
    slowest = sorted(results, key=lambda r: -r[4])[:5]
    print("%d inputs run; totals by exit status: " % len(results) +
          ", ".join("%s: %d" % (k, v) for k, v in sorted(totals.items(), key=str)))
    print("runs past %g s of CPU: %d; killed after %g s wall: %d" %
          (args.timeout, totals.get("timeout", 0), args.wall_limit or 5 * args.timeout, totals.get("killed", 0)))
    print("slowest (CPU): " + "; ".join("%.1f s (%.1f s wall) %s" % (r[4], r[3], r[0]) for r in slowest))
    print("wall time: %.0f s, CPU time of the runs: %.0f s" % (time.monotonic() - start, sum(r[4] for r in results)))
    print("exit 1 / timeout / crash inputs: %d" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
