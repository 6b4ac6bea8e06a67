#!/usr/bin/env python3
"""Training throughput of the PyTorch reference models (eager mode, CPU or CUDA): the
counterpart of `crates/oddity-bench/src/bin/train_throughput.rs`, same shapes, same loss,
same optimizer.

    .libtorch/venv/bin/python bench/python/train_torch.py [--models mlp,part-small,part-full]
        [--threads 2] [--warmup 3] [--repeats 3] [--secs 4] [--steps N] [--batch MODEL=B]
        [--device cpu|cuda|cuda:N] [--adam default|foreach|fused] [--keep-grads] [--json OUT]

On CUDA, as on the Rust side: inputs drawn on the CPU and moved once, a timed run ends by
reading the last loss (a synchronisation), no per-phase times.

One step = zero_grad + forward + loss + backward + Adam step. Per model: inputs are generated
once (a pool of --pool batches, cycled; seed 7, the draws of the Rust side, so the inputs are
identical: input_checksum in the JSON), --warmup untimed steps, then --repeats timed runs of
N steps (N from --steps, or chosen from the fastest warm-up step so that one run lasts about
--secs seconds). Reports the median run as events/s and ms/step, and the time of each phase
(zero_grad, forward + loss, backward, optimizer step) summed over that run.

Models (the architectures of tools/reference/nn_reference.py, imported from there):
- mlp: DeepSVDD-like 72 -> 16 -> 8 -> 8, bias-free, BatchNorm without affine; loss = mean
  squared distance to a fixed centre; Adam lr 1e-3; batch 1024.
- part-small / part-full: ParT with pairs (C = 3) and aux (2), P = 20 tokens, real-token
  counts uniform in 3..20 (real tokens first); BCE-with-logits against random labels; Adam
  lr 1e-4; dropout as in the presets (train mode); batch 512 (small) and 256 (full).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
from nn_reference import SMALL, Mlp, ParT  # noqa: E402

P = 20
DEFAULT_BATCH = {"mlp": 1024, "part-small": 512, "part-full": 256}


def make_model(name):
    if name == "mlp":
        return Mlp(input_dim=72, hidden=(16, 8), out_dim=8, bias=False, batchnorm=True, affine=False), 1e-3
    if name == "part-small":
        return ParT(**SMALL), 1e-4
    if name == "part-full":
        return ParT(), 1e-4
    raise SystemExit(f"unknown model '{name}' (mlp, part-small, part-full)")


def make_batches(name, b, pool):
    """`pool` input batches (tuples of tensors) for `name`, plus the loss target."""
    out = []
    for _ in range(pool):
        if name == "mlp":
            out.append((torch.randn(b, 72),))
        else:
            counts = torch.randint(3, P + 1, (b,))
            mask = (torch.arange(P).unsqueeze(0) < counts.unsqueeze(1)).float()
            x = torch.randn(b, P, 12) * mask.unsqueeze(-1)
            pairs = torch.randn(b, 3, P, P)
            pairs = (pairs + pairs.transpose(2, 3)) / 2 * (mask.unsqueeze(2) * mask.unsqueeze(1)).unsqueeze(1)
            aux = torch.randn(b, 2)
            labels = torch.randint(0, 2, (b, 1)).float()
            out.append((x, mask, pairs, aux, labels))
    return out


def bench(name, b, args):
    device = torch.device(args.device)
    torch.manual_seed(2026)
    model, lr = make_model(name)
    model.to(device)
    model.train()
    params = sum(p.numel() for p in model.parameters())
    kw = {"foreach": dict(foreach=True), "fused": dict(fused=True)}.get(args.adam, {})
    opt = torch.optim.Adam(model.parameters(), lr=lr, **kw)
    torch.manual_seed(7)  # the inputs equal those of train_throughput.rs (same generator, same draws)
    batches = make_batches(name, b, args.pool)
    centre = torch.randn(8).to(device)
    checksum = sum(float(bt[0].double().sum()) for bt in batches)
    if name == "mlp":
        tokens = (None, None)
    else:
        counts = torch.cat([bt[1].sum(1) for bt in batches])
        tokens = (float(counts.mean()), int(counts.max()))
    batches = [tuple(t.to(device) for t in bt) for bt in batches]

    def forward_loss(batch):
        if name == "mlp":
            (x,) = batch
            return (model(x) - centre).square().sum(1).mean()
        x, mask, pairs, aux, labels = batch
        return F.binary_cross_entropy_with_logits(model(x, mask, pairs, aux), labels)

    phases = [0.0, 0.0, 0.0, 0.0]  # zero_grad, forward + loss, backward, step
    clock = time.perf_counter

    def step(k):
        t0 = clock()
        opt.zero_grad(set_to_none=not args.keep_grads)
        t1 = clock()
        loss = forward_loss(batches[k % len(batches)])
        t2 = clock()
        loss.backward()
        t3 = clock()
        opt.step()
        t4 = clock()
        phases[0] += t1 - t0
        phases[1] += t2 - t1
        phases[2] += t3 - t2
        phases[3] += t4 - t3
        return loss

    last = float("inf")  # fastest warm-up step
    for k in range(args.warmup):
        t = clock()
        float(step(k).detach())  # waits for the device
        last = min(last, clock() - t)
    steps = args.steps or max(args.min_steps, min(args.max_steps, int(args.secs / max(last, 1e-9)) if args.warmup else args.min_steps))
    runs = []
    for _ in range(args.repeats):
        phases[:] = [0.0] * 4
        t = clock()
        for k in range(steps):
            loss = step(k)
        final = float(loss.detach())  # waits for the device
        runs.append((clock() - t, list(phases), final))
    times = [r[0] for r in runs]
    med = statistics.median(times)
    med_run = min(runs, key=lambda r: abs(r[0] - med))
    on_cpu = device.type == "cpu"
    res = {
        "model": name,
        "device": str(device),
        "batch": b,
        "params": params,
        "steps": steps,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "times_s": times,
        "median_s": med,
        "events_per_s": b * steps / med,
        "ms_per_step": 1e3 * med / steps,
        # Asynchronous launches on CUDA: phase times only on the CPU.
        "phases_ms_per_step": dict(zip(["zero_grad", "forward", "backward", "step"], (1e3 * x / steps for x in med_run[1])))
        if on_cpu else None,
        "final_loss": med_run[2],
        "mean_tokens": tokens[0],
        "max_tokens": tokens[1],
        "input_checksum": checksum,
    }
    ph = res["phases_ms_per_step"]
    profile = (f"; zero_grad {ph['zero_grad']:.3f} forward {ph['forward']:.3f} backward {ph['backward']:.3f} "
               f"step {ph['step']:.3f} ms") if ph else ""
    print(f"  {name:10} batch {b:5}  {res['events_per_s']:12.0f} events/s  {res['ms_per_step']:9.3f} ms/step  "
          f"({steps} steps x {args.repeats}, params {params}{profile})", flush=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="mlp,part-small,part-full")
    ap.add_argument("--batch", action="append", default=[], help="MODEL=B (default mlp=1024, part-small=512, part-full=256)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--secs", type=float, default=4.0, help="target seconds per timed run")
    ap.add_argument("--steps", type=int, default=0, help="fixed steps per run (overrides --secs)")
    ap.add_argument("--min-steps", type=int, default=5)
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--pool", type=int, default=8, help="distinct input batches, cycled")
    ap.add_argument("--adam", choices=["default", "foreach", "fused"], default="default",
                    help="torch.optim.Adam implementation (default: single-tensor on CPU; for profiling)")
    ap.add_argument("--keep-grads", action="store_true",
                    help="zero_grad(set_to_none=False), as Oddity's Adam::zero_grad does (for profiling)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as e:  # only possible before any inter-op work
        print(f"set_num_interop_threads: {e}", file=sys.stderr)
    batch = dict(DEFAULT_BATCH)
    for kv in args.batch:
        k, v = kv.split("=")
        batch[k] = int(v)
    print(f"torch {torch.__version__} (eager, {args.device}), {torch.get_num_threads()} threads, "
          f"{torch.get_num_interop_threads()} interop threads, Adam {args.adam}"
          f"{' (single-tensor on CPU)' if args.adam == 'default' else ''}", flush=True)
    results = [bench(m, batch[m], args) for m in args.models.split(",") if m]
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tool": "pytorch", "device": args.device, "torch_version": torch.__version__, "python": platform.python_version(), "adam": args.adam, "keep_grads": args.keep_grads,
                       "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
