#!/usr/bin/env python3
"""PyTorch reference DeepSVDD-MLP ensemble on exactly the inputs of an Oddity run.

    .libtorch/venv/bin/python bench/python/deep_svdd_torch.py DATA.npz RUN/config.resolved.toml \
        [--threads 2] [--json OUT]

DATA.npz comes from `target/release/svdd_reference_data --run RUN --signal ... --out DATA.npz`
(the run's own split and standardisation). The algorithm is physics-spec §7.1 as Oddity
implements it, written independently here: per output dimension d of `detector.rep_dims`, a
bias-free MLP (BatchNorm without affine parameters when `model.batchnorm`), the centre the
weighted mean output of the initial network in eval mode with coordinates closer than eps to
0 pushed to +-eps, the event-weighted mean squared distance as loss, Adam with L2 weight decay,
ReduceLROnPlateau on the validation loss, early stopping with the best weights restored; the
score is the mean over members of the squared distance. Reports per signal the weighted AUC
and the signal efficiency at eB = 1e-2 against the test-split background, and the training
time and throughput.
"""

import argparse
import json
import sys
import time
import tomllib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Mlp(nn.Module):
    """Input -> [Linear -> ReLU -> BatchNorm] per hidden width -> Linear, no biases."""

    def __init__(self, d_in, hidden, d_out, batchnorm):
        super().__init__()
        dims = [d_in] + list(hidden)
        self.linears = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(dims, dims[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b, affine=False) if batchnorm else nn.Identity() for b in dims[1:])
        self.out = nn.Linear(dims[-1], d_out, bias=False)

    def forward(self, x):
        for lin, norm in zip(self.linears, self.norms):
            x = norm(F.relu(lin(x)))
        return self.out(x)


def weighted_loss(net, c, x, w):
    d = ((net(x) - c) ** 2).sum(dim=1)
    return (d * w).sum() / w.sum()


@torch.no_grad()
def distances(net, c, x):
    net.eval()
    return ((net(x) - c) ** 2).sum(dim=1).double().numpy()


def train_member(d, k, data, cfg):
    tr, det, model = cfg["train"], cfg["detector"], cfg["model"]
    seed = int(tr.get("seed", 0)) + 1000 * k
    torch.manual_seed(seed)
    net = Mlp(data["train_x"].shape[1], model.get("hidden", [16, 8]), d, model.get("batchnorm", True))
    x, w = torch.from_numpy(data["train_x"]), torch.from_numpy(data["train_w"]).float()
    vx, vw = torch.from_numpy(data["valid_x"]), torch.from_numpy(data["valid_w"]).float()
    with torch.no_grad():
        net.eval()
        out = net(x)
        c = (out * w[:, None]).sum(0) / w.sum()
        eps = float(det.get("eps", 0.1))
        c = torch.where(c.abs() < eps, torch.where(c < 0, -eps, eps), c)
    opt_cfg = tr.get("optimizer", {})
    if opt_cfg.get("kind", "adam") != "adam":
        sys.exit("only optimizer.kind = 'adam' is mirrored")
    opt = torch.optim.Adam(net.parameters(), lr=opt_cfg.get("lr", 1e-3),
                           betas=(opt_cfg.get("beta1", 0.9), opt_cfg.get("beta2", 0.999)),
                           eps=opt_cfg.get("eps", 1e-8), weight_decay=opt_cfg.get("weight_decay", 0.0))
    sched_cfg = tr.get("schedule", {"kind": "constant"})
    sched = None
    if sched_cfg.get("kind") == "plateau":
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=sched_cfg["factor"], patience=sched_cfg["patience"], min_lr=sched_cfg["min_lr"])
    elif sched_cfg.get("kind") not in (None, "constant"):
        sys.exit(f"schedule {sched_cfg} is not mirrored")
    patience = tr.get("early_stopping", 10)
    epochs, bs = int(tr.get("epochs", 100)), int(tr.get("batch_size", 500))
    gen = torch.Generator().manual_seed(seed)
    best, best_state, since, steps_events = float("inf"), None, 0, 0
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), bs):
            idx = perm[i:i + bs]
            if len(idx) < 2 and model.get("batchnorm", True):
                continue
            opt.zero_grad()
            loss = weighted_loss(net, c, x[idx], w[idx])
            loss.backward()
            opt.step()
            steps_events += len(idx)
        with torch.no_grad():
            net.eval()
            vloss = weighted_loss(net, c, vx, vw).item()
        if sched is not None:
            sched.step(vloss)
        if vloss < best:
            best, since = vloss, 0
            best_state = {n: t.clone() for n, t in net.state_dict().items()}
        else:
            since += 1
            if patience is not None and since >= patience:
                break
    net.load_state_dict(best_state)
    return net, c, epoch + 1, steps_events


def weighted_roc(bkg, wb, sig, ws):
    """(eB, eS) at every distinct threshold, highest score first, from (0, 0)."""
    s = np.concatenate([bkg, sig])
    w = np.concatenate([wb, ws])
    y = np.concatenate([np.zeros(len(bkg)), np.ones(len(sig))])
    order = np.argsort(-s, kind="stable")
    s, w, y = s[order], w[order], y[order]
    tp, fp = np.cumsum(w * y), np.cumsum(w * (1 - y))
    last = np.r_[np.where(np.diff(s) != 0)[0], len(s) - 1]
    eb = np.r_[0.0, fp[last] / fp[-1]]
    es = np.r_[0.0, tp[last] / tp[-1]]
    return eb, es


def figures(bkg, wb, sig, ws, eb_star=1e-2):
    eb, es = weighted_roc(bkg, wb, sig, ws)
    auc = float(np.trapezoid(es, eb))
    return auc, float(np.interp(eb_star, eb, es))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("config")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data = dict(np.load(a.data))
    with open(a.config, "rb") as f:
        cfg = tomllib.load(f)
    t0 = time.perf_counter()
    members, events = [], 0
    for k, d in enumerate(cfg["detector"].get("rep_dims", [2, 4, 8, 16])):
        net, c, epochs, n = train_member(d, k, data, cfg)
        members.append((net, c))
        events += n
        print(f"member d={d}: {epochs} epochs", file=sys.stderr)
    seconds = time.perf_counter() - t0
    score = lambda x: np.mean([distances(n, c, torch.from_numpy(x)) for n, c in members], axis=0)  # noqa: E731
    test = score(data["test_x"])
    rows = []
    for k, name in enumerate(data["signals"]):
        auc, es = figures(test, data["test_w"], score(data[f"sig{k}_x"]), data[f"sig{k}_w"])
        rows.append({"signal": str(name), "auc": auc, "es_1e-2": es})
        print(f"{name}: AUC {auc:.3f}, eS(1e-2) {es:.3f}")
    out = {"train_seconds": seconds, "train_events_per_s": events / seconds, "torch": torch.__version__,
           "threads": a.threads, "signals": rows}
    print(f"training: {seconds:.1f} s, {events / seconds:.0f} events/s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
