#!/usr/bin/env python3
"""PyTorch reference of Oddity's flow-posterior VAEs and contrastive terms (physics-spec
section 7.7, as documented in crates/oddity-nn/src/flow/{planar,iaf,posterior}.rs,
crates/oddity-nn/src/contrastive.rs and crates/oddity-detect/src/detectors/vae.rs), with
Oddity's parameter names, so weights exchanged as safetensors give the same losses.

    /work/main/.libtorch/venv/bin/python tools/reference/vae_flow_reference.py crates/oddity-detect/tests/data

Writes, for CASE in (vae_planar, vae_iaf), CASE.weights.safetensors and CASE.io.safetensors
(the batch `x` [N, D], weights `w` [N], a fixed `eps` [N, z], `beta`, and in eval and train
mode: `mu`, `logvar`, `zk`, `logdet`, `kl`, `recon`, the per-event VAE loss
(1 - beta) MSE + beta KL and its weighted mean), and contrastive.io.safetensors (embeddings,
labels, and the per-anchor SupCon and per-view NT-Xent terms).

Definitions:
  z0 = mu + exp(logvar / 2) * eps;  zK = f_K(...f_1(z0));  KL = ln q0(z0) - sum ln|det| - ln N(zK; 0, I)
  planar: u_hat = u + (softplus(w.u) - 1 - w.u) w / |w|^2;  z' = z + u_hat tanh(w.z + b)
          ln|det| = ln|1 + u_hat . (1 - tanh^2(w.z + b)) w|   (Rezende & Mohamed 2015)
  IAF:    (m, s) = MADE(z); sigma = sigmoid(s + 2); z' = sigma z + (1 - sigma) m;
          ln|det| = sum ln sigma; order reversed between layers (Kingma et al. 2016)
  SupCon: l_i = -(1/|P(i)|) sum_{p in P(i)} ln softmax_{a != i}(z_i . z_a / tau)_p, 0 if P(i) empty
  NT-Xent: l_i = -ln softmax_{k != i}(s_ik / tau)_j, j the other view of i
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ae_reference import Autoencoder, mse, randomise_bn, save_case, weighted  # noqa: E402
from flow_reference import Made  # noqa: E402

GATE_BIAS = 2.0


class PlanarLayer(nn.Module):
    def __init__(self, dim, gen):
        super().__init__()
        self.u = nn.Parameter(torch.randn(dim, generator=gen) * 0.8)
        self.w = nn.Parameter(torch.randn(dim, generator=gen) * 0.8)
        self.b = nn.Parameter(torch.randn((), generator=gen) * 0.3)

    def forward(self, z):
        wu = (self.w * self.u).sum()
        u_hat = self.u + (F.softplus(wu) - 1 - wu) * self.w / (self.w**2).sum()
        pre = z @ self.w + self.b
        h = torch.tanh(pre)
        psi = (1 - h**2)[:, None] * self.w
        logdet = torch.log(torch.abs(1 + psi @ u_hat))
        return z + u_hat * h[:, None], logdet


class IafLayer(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.made = Made(dim, hidden, 2)

    def forward(self, z):
        p = self.made(z)
        m, gate = p[..., 0], p[..., 1] + GATE_BIAS
        sigma = torch.sigmoid(gate)
        return sigma * z + (1 - sigma) * m, F.logsigmoid(gate).sum(-1)


class Flow(nn.Module):
    def __init__(self, layers, reverse):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.reverse = reverse

    def forward(self, z):
        logdet = torch.zeros(z.shape[0])
        for k, layer in enumerate(self.layers):
            if self.reverse and k > 0:
                z = z.flip(1)
            z, ld = layer(z)
            logdet = logdet + ld
        return z, logdet


class FlowVae(nn.Module):
    def __init__(self, ae, flow):
        super().__init__()
        self.ae, self.flow = ae, flow

    def pass_(self, x, eps):
        h = self.ae.encoder(x)
        z = self.ae.latent
        mu, logvar = h[:, :z], h[:, z:]
        z0 = mu + torch.exp(0.5 * logvar) * eps
        zk, logdet = self.flow(z0)
        d = mu.shape[1]
        ln_q0 = -0.5 * (((z0 - mu) ** 2) / logvar.exp() + logvar).sum(1) - 0.5 * d * math.log(2 * math.pi)
        ln_p = -0.5 * (zk**2).sum(1) - 0.5 * d * math.log(2 * math.pi)
        kl = ln_q0 - logdet - ln_p
        return dict(mu=mu, logvar=logvar, zk=zk, logdet=logdet, kl=kl, recon=self.ae.decoder(zk))

    def state(self):
        """Oddity's names: the autoencoder at the root, the flow under `flow.`."""
        out = {k[len("ae."):]: v for k, v in self.state_dict().items() if k.startswith("ae.")}
        out.update({k: v for k, v in self.state_dict().items() if k.startswith("flow.")})
        return out


def supcon(z, labels, tau):
    sim = z @ z.T / tau
    eye = torch.eye(len(z), dtype=torch.bool)
    lse = sim.masked_fill(eye, float("-inf")).logsumexp(1, keepdim=True)
    log_prob = sim - lse
    pos = (labels[:, None] == labels[None, :]) & ~eye
    return -(pos * log_prob).sum(1) / pos.sum(1).clamp(min=1)


def nt_xent(z1, z2, tau):
    n = len(z1)
    z = torch.cat([z1, z2])
    sim = z @ z.T / tau
    eye = torch.eye(2 * n, dtype=torch.bool)
    lse = sim.masked_fill(eye, float("-inf")).logsumexp(1)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return lse - sim[torch.arange(2 * n), partner]


@torch.no_grad()
def main(out):
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(20261204)
    n, d, latent = 7, 10, 3
    x = torch.randn(n, d, generator=gen)
    x[3, 6:] = 0.0
    w = torch.rand(n, generator=gen) * 2 + 0.1
    eps = torch.randn(n, latent, generator=gen)
    beta = 0.3
    for case, seed in (("vae_planar", 3), ("vae_iaf", 4)):
        torch.manual_seed(seed)
        ae = Autoencoder(d, [8, 6], latent, "elu", batchnorm=True, variational=True)
        randomise_bn(ae, gen)
        if case == "vae_planar":
            flow = Flow([PlanarLayer(latent, gen) for _ in range(3)], reverse=False)
        else:
            flow = Flow([IafLayer(latent, [12, 12]) for _ in range(2)], reverse=True)
            for p in flow.parameters():  # non-zero output layers: a non-trivial flow
                p.copy_(torch.randn(p.shape, generator=gen) * 0.4)
        vae = FlowVae(ae, flow)
        io = {"x": x, "w": w, "eps": eps, "beta": torch.tensor([beta])}
        state = {k: v.clone() for k, v in vae.state().items()}
        for mode in ("eval", "train"):
            vae.train(mode == "train")
            r = vae.pass_(x, eps)
            per_event = (1 - beta) * mse(x, r["recon"]) + beta * r["kl"]
            for k, v in r.items():
                io[f"{k}_{mode}"] = v
            io[f"loss_{mode}"] = per_event
            io[f"batch_loss_{mode}"] = weighted(per_event, w).reshape(1)
        save_case(out, case, state, io)

    z = F.normalize(torch.randn(8, 4, generator=gen), dim=1)
    z2 = F.normalize(torch.randn(8, 4, generator=gen), dim=1)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 1, 1])
    io = {"z": z, "z2": z2, "labels": labels.float(), "supcon": supcon(z, labels, 0.07),
          "nt_xent": nt_xent(z, z2, 0.07), "w": torch.rand(8, generator=gen) + 0.5}
    save_file({k: v.contiguous().float() for k, v in io.items()}, os.path.join(out, "contrastive.io.safetensors"))
    print(f"wrote vae_planar, vae_iaf and contrastive cases to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "crates/oddity-detect/tests/data")
