#!/usr/bin/env python3
"""PyTorch reference of Oddity's autoencoder and VAE (physics-spec section 7.4, as documented
in crates/oddity-nn/src/autoencoder.rs and crates/oddity-detect/src/detectors/{autoencoder,vae}.rs),
with the same parameter names, so weights exchanged as safetensors give the same losses and
scores.

    /work/main/.libtorch/venv/bin/python tools/reference/ae_reference.py crates/oddity-detect/tests/data

(any Python with torch 2.11, numpy and safetensors: `python -m venv v && v/bin/pip install
torch==2.11.0 safetensors numpy`). Writes, for each case, CASE.weights.safetensors (the
state_dict without num_batches_tracked) and CASE.io.safetensors: the batch `x` [N, D], the
event weights `w` [N], for the VAE a fixed `eps` [N, z], and the reference per-event
quantities and weighted losses. `crates/oddity-detect/tests/autoencoder_golden.rs` loads them.

Definitions (per event; the batch loss is sum(w * L) / sum(w)):
  MSE = mean over features of (x - x_hat)^2;  score "ln-mse" = ln(MSE)
  KL  = 0.5 * sum_k (mu_k^2 + exp(logvar_k) - logvar_k - 1)
  VAE: z = mu + exp(0.5 * logvar) * eps in training, z = mu when scoring;
       L = (1 - beta) * MSE + beta * KL ("darkmachines") or MSE + beta * KL ("standard");
       radius = ||mu||_2.
  Latent head (seed 003): logit = head(mu) with mu from the VAE in eval mode, label y (0 for
       background, 1 for signal), balanced weights (each class's w rescaled to a total of N/2),
       L = BCE-with-logits(logit, y), batch loss sum(w_bal * L) / sum(w_bal), score sigmoid(logit).
"""

import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_reference import MlpLayer  # noqa: E402  (same directory; same parameter names)

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "elu": F.elu, "leaky-relu": F.leaky_relu}


class Mlp(nn.Module):
    """Input -> [Linear -> activation -> BatchNorm] per hidden width -> Linear (oddity-nn mlp.rs)."""

    def __init__(self, input_dim, hidden, out_dim, activation, batchnorm):
        super().__init__()
        dims = [input_dim] + list(hidden)
        self.layers = nn.ModuleList(MlpLayer(a, b, True, batchnorm, True) for a, b in zip(dims, dims[1:]))
        self.out = nn.Linear(dims[-1], out_dim)
        self.act = ACTIVATIONS[activation]

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer.linear(x))
            if layer.bn is not None:
                x = layer.bn(x)
        return self.out(x)


class Autoencoder(nn.Module):
    """Encoder MLP to `latent` (2 * latent for the VAE: mu then logvar), mirrored decoder."""

    def __init__(self, input_dim, hidden, latent, activation, batchnorm, variational):
        super().__init__()
        self.latent, self.variational = latent, variational
        self.encoder = Mlp(input_dim, hidden, 2 * latent if variational else latent, activation, batchnorm)
        self.decoder = Mlp(latent, list(reversed(hidden)), input_dim, activation, batchnorm)

    def forward(self, x, eps=None):
        h = self.encoder(x)
        if not self.variational:
            return self.decoder(h), h, None
        mu, logvar = h[:, : self.latent], h[:, self.latent :]
        z = mu if eps is None else mu + torch.exp(0.5 * logvar) * eps
        return self.decoder(z), mu, logvar


def mse(x, recon):
    return ((recon - x) ** 2).mean(dim=1)


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(dim=1)


def weighted(per_event, w):
    return (per_event * w).sum() / w.sum()


def randomise_bn(model, gen):
    """Non-trivial running statistics and affine parameters, so eval mode is a real test."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def save_case(out, case, state, io):
    state = {k: v.contiguous() for k, v in state.items() if not k.endswith("num_batches_tracked")}
    save_file(state, os.path.join(out, f"{case}.weights.safetensors"))
    save_file({k: v.contiguous().float() for k, v in io.items()}, os.path.join(out, f"{case}.io.safetensors"))


@torch.no_grad()
def main(out):
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(20260501)
    n, d = 7, 10
    x = torch.randn(n, d, generator=gen)
    x[3, 6:] = 0.0  # a zero-padded slot, as in the leading-object input
    w = torch.rand(n, generator=gen) * 2 + 0.1

    # The SimpleAE shape in small: tanh, no BatchNorm.
    torch.manual_seed(1)
    ae = Autoencoder(d, [8, 5], 3, "tanh", batchnorm=False, variational=False).eval()
    recon, code, _ = ae(x)
    m = mse(x, recon)
    save_case(out, "ae", ae.state_dict(), {"x": x, "w": w, "recon": recon, "code": code, "mse": m,
                              "ln_mse": m.log(), "loss": weighted(m, w).reshape(1)})

    # The VAE: ELU, BatchNorm (eval mode with running statistics; training mode with batch
    # statistics for the loss with a fixed eps).
    torch.manual_seed(2)
    vae = Autoencoder(d, [8, 6], 3, "elu", batchnorm=True, variational=True)
    randomise_bn(vae, gen)
    eps = torch.randn(n, 3, generator=gen)
    beta = 0.3
    io = {"x": x, "w": w, "eps": eps, "beta": torch.tensor([beta])}
    vae.eval()
    recon, mu, logvar = vae(x)
    io.update(mu=mu, logvar=logvar, reco=mse(x, recon), kl=kl(mu, logvar), radius=mu.norm(dim=1))
    io["total_darkmachines"] = (1 - beta) * io["reco"] + beta * io["kl"]
    io["total_standard"] = io["reco"] + beta * io["kl"]
    # Weights before the training-mode pass, which updates the BatchNorm running statistics.
    state = {k: v.clone() for k, v in vae.state_dict().items()}
    for mode in ("eval", "train"):
        vae.train(mode == "train")
        recon, mu, logvar = vae(x, eps)
        per_event = (1 - beta) * mse(x, recon) + beta * kl(mu, logvar)
        io[f"loss_eps_{mode}"] = per_event
        io[f"batch_loss_eps_{mode}"] = weighted(per_event, w).reshape(1)
    save_case(out, "vae", state, io)

    # The latent classifier head on the eval-mode mu of the VAE above.
    torch.manual_seed(3)
    head = nn.Linear(3, 1)
    y = torch.tensor([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    w_bal = torch.empty(n)
    for label in (0.0, 1.0):
        sel = y == label
        w_bal[sel] = w[sel] * (n / 2) / w[sel].sum()
    logit = head(io["mu"]).squeeze(1)
    bce = F.binary_cross_entropy_with_logits(logit, y, reduction="none")
    save_case(out, "latent_head", {"head.weight": head.weight, "head.bias": head.bias},
              {"mu": io["mu"], "y": y, "w": w, "w_balanced": w_bal, "logit": logit,
               "p": logit.sigmoid(), "loss": weighted(bce, w_bal).reshape(1)})
    print(f"wrote ae, vae and latent_head cases to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "crates/oddity-detect/tests/data")
