#!/usr/bin/env python3
"""PyTorch reference of Oddity's MLP and Particle Transformer (physics-spec sections 6.1 and
6.2, as documented in crates/oddity-nn/src/{mlp,part}.rs), with the same parameter names, so
weights exchanged as safetensors give the same outputs.

    .libtorch/venv/bin/python tools/reference/nn_reference.py crates/oddity-nn/tests/data

writes, for each case, CASE.weights.safetensors (the state_dict without num_batches_tracked)
and CASE.io.safetensors (inputs; outputs in eval mode and in training mode with dropout 0,
where BatchNorm uses batch statistics). `crates/oddity-nn/tests/parity.rs` loads them.
Also importable: `Mlp`, `ParT` for users who want Oddity's models in PyTorch.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

MASKED = -1e9


class MlpLayer(nn.Module):
    def __init__(self, d_in, d_out, bias, batchnorm, affine):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=bias)
        self.bn = nn.BatchNorm1d(d_out, affine=affine) if batchnorm else None


class Mlp(nn.Module):
    """Input -> [Linear -> activation -> BatchNorm] per hidden width -> Linear."""

    def __init__(self, input_dim=72, hidden=(16, 8), out_dim=1, bias=True, batchnorm=True, affine=True):
        super().__init__()
        dims = [input_dim] + list(hidden)
        self.layers = nn.ModuleList(MlpLayer(a, b, bias, batchnorm, affine) for a, b in zip(dims, dims[1:]))
        self.out = nn.Linear(dims[-1], out_dim, bias=bias)

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer.linear(x))
            if layer.bn is not None:
                x = layer.bn(x)
        return self.out(x)


def bn_rows(bn, rows):
    """BatchNorm over rows [N, C]; running statistics when N < 2 in training."""
    if rows.shape[0] == 0:
        return rows
    if bn.training and rows.shape[0] < 2:
        bn.eval()
        out = bn(rows)
        bn.train()
        return out
    return bn(rows)


class EmbedLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.norm = nn.LayerNorm(d_in)
        self.linear = nn.Linear(d_in, d_out)


class Embed(nn.Module):
    def __init__(self, input_dim, dims):
        super().__init__()
        self.bn = nn.BatchNorm1d(input_dim)
        d = [input_dim] + list(dims)
        self.layers = nn.ModuleList(EmbedLayer(a, b) for a, b in zip(d, d[1:]))

    def forward(self, x, mask):
        b, p, f = x.shape
        flat = x.reshape(b * p, f)
        real = mask.reshape(-1) > 0
        h = torch.zeros_like(flat)
        h[real] = bn_rows(self.bn, flat[real])
        h = h.reshape(b, p, f)
        for layer in self.layers:
            h = F.gelu(layer.linear(layer.norm(h)))
        return h * mask.unsqueeze(-1)


class PairLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)
        self.bn = nn.BatchNorm1d(d_out)


class PairEmbed(nn.Module):
    def __init__(self, input_dim, dims, heads):
        super().__init__()
        self.bn = nn.BatchNorm1d(input_dim)
        d = [input_dim] + list(dims) + [heads]
        self.layers = nn.ModuleList(PairLayer(a, b) for a, b in zip(d, d[1:]))
        self.heads = heads

    def forward(self, pairs, mask):
        b, c, p, _ = pairs.shape
        upper = torch.ones(p, p, dtype=torch.bool).triu()
        keep = (mask.unsqueeze(2) > 0) & (mask.unsqueeze(1) > 0) & upper  # [B, P, P]
        rows = pairs.permute(0, 2, 3, 1)[keep]  # [N, C], (event, i, j) row-major
        h = bn_rows(self.bn, rows)
        for layer in self.layers:
            h = F.gelu(bn_rows(layer.bn, layer.linear(h)))
        u = torch.zeros(b, p, p, self.heads, dtype=h.dtype)
        u[keep] = h
        u = u + u.transpose(1, 2) * (~torch.eye(p, dtype=torch.bool)).unsqueeze(-1)
        return u.permute(0, 3, 1, 2)


class Attention(nn.Module):
    def __init__(self, e, heads):
        super().__init__()
        self.in_proj_weight = nn.Parameter(torch.empty(3 * e, e))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * e))
        self.head_scale = nn.Parameter(torch.ones(heads))
        self.out_proj = nn.Linear(e, e)
        nn.init.xavier_uniform_(self.in_proj_weight)
        self.heads = heads

    def split(self, x):
        b, n, e = x.shape
        return x.reshape(b, n, self.heads, e // self.heads).transpose(1, 2)

    def forward(self, query, kv, bias, dropout):
        wq, wk, wv = self.in_proj_weight.chunk(3)
        bq, bk, bv = self.in_proj_bias.chunk(3)
        q, k, v = self.split(F.linear(query, wq, bq)), self.split(F.linear(kv, wk, bk)), self.split(F.linear(kv, wv, bv))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout if self.training else 0.0)
        a = a * self.head_scale.reshape(1, -1, 1, 1)
        b, h, n, d = a.shape
        return self.out_proj(a.transpose(1, 2).reshape(b, n, h * d))


class Block(nn.Module):
    def __init__(self, e, heads, ffn, dropout, attn_dropout, act_dropout):
        super().__init__()
        self.pre_attn_norm = nn.LayerNorm(e)
        self.attn = Attention(e, heads)
        self.post_attn_norm = nn.LayerNorm(e)
        self.pre_fc_norm = nn.LayerNorm(e)
        self.fc1 = nn.Linear(e, ffn)
        self.act_norm = nn.LayerNorm(ffn)
        self.fc2 = nn.Linear(ffn, e)
        self.w_resid = nn.Parameter(torch.ones(e))
        self.dropout, self.attn_dropout, self.act_dropout = dropout, attn_dropout, act_dropout

    def ffn(self, x):
        h = F.dropout(F.gelu(self.fc1(self.pre_fc_norm(x))), self.act_dropout, self.training)
        h = F.dropout(self.fc2(self.act_norm(h)), self.dropout, self.training)
        return self.w_resid * x + h

    def particles(self, x, bias, alive):
        u = self.pre_attn_norm(x)
        a = self.attn(u, u, bias, self.attn_dropout) * alive
        a = F.dropout(self.post_attn_norm(a), self.dropout, self.training)
        return self.ffn(x + a)

    def cls(self, c, x, key_bias):
        u = self.pre_attn_norm(torch.cat([c, x], 1))
        a = self.attn(c, u, key_bias, self.attn_dropout)
        a = F.dropout(self.post_attn_norm(a), self.dropout, self.training)
        return self.ffn(c + a)


class ParT(nn.Module):
    def __init__(self, input_dim=12, pair_input_dim=3, aux_dim=2, embed_dims=(128, 512, 128),
                 pair_embed_dims=(64, 64, 64), num_heads=8, num_layers=8, num_cls_layers=2,
                 fc_dims=(64, 256, 64), aux_dims=(32, 32), ffn_ratio=4, dropout=0.1,
                 attn_dropout=0.1, activation_dropout=0.1, fc_dropout=0.1, out_dim=1):
        super().__init__()
        e = embed_dims[-1]
        self.heads, self.e, self.fc_dropout = num_heads, e, fc_dropout
        self.embed = Embed(input_dim, embed_dims)
        self.pair_embed = PairEmbed(pair_input_dim, pair_embed_dims, num_heads) if pair_input_dim > 0 else None
        self.blocks = nn.ModuleList(Block(e, num_heads, ffn_ratio * e, dropout, attn_dropout, activation_dropout) for _ in range(num_layers))
        self.cls_blocks = nn.ModuleList(Block(e, num_heads, ffn_ratio * e, 0.0, 0.0, 0.0) for _ in range(num_cls_layers))
        self.cls_token = nn.Parameter(torch.randn(1, 1, e) * 0.02)
        self.norm = nn.LayerNorm(e)
        a = [aux_dim] + list(aux_dims) + [e]
        self.aux = nn.ModuleList(nn.Linear(x, y) for x, y in zip(a, a[1:])) if aux_dim > 0 else None
        f = [e] + list(fc_dims)
        self.fc = nn.ModuleList(nn.Linear(x, y) for x, y in zip(f, f[1:]))
        self.out = nn.Linear(f[-1], out_dim)

    def forward(self, x, mask, pairs=None, aux=None):
        longest = max(int(mask.sum(1).max().item()), 1)
        mask = mask[:, :longest].float()
        x = x[:, :longest]
        b = x.shape[0]
        h = self.embed(x, mask)
        key_bias = ((mask - 1.0) * (-MASKED)).reshape(b, 1, 1, longest)
        if self.pair_embed is not None:
            bias = self.pair_embed(pairs[:, :, :longest, :longest], mask) + key_bias
        else:
            bias = key_bias
        alive = (mask.sum(1) > 0).float().reshape(b, 1, 1)
        for blk in self.blocks:
            h = blk.particles(h, bias, alive)
        c = self.cls_token.expand(b, 1, self.e)
        cls_bias = torch.cat([torch.zeros(b, 1, 1, 1), key_bias], 3)
        for blk in self.cls_blocks:
            c = blk.cls(c, h, cls_bias)
        z = self.norm(c.squeeze(1))
        if aux is not None:
            a = aux
            for k, layer in enumerate(self.aux):
                a = layer(a)
                if k + 1 < len(self.aux):
                    a = F.gelu(a)
            z = z + a
        for layer in self.fc:
            z = F.dropout(F.relu(layer(z)), self.fc_dropout, self.training)
        return self.out(z)


SMALL = dict(embed_dims=(16, 32, 16), pair_embed_dims=(8, 8), num_heads=2, num_layers=2, num_cls_layers=1,
             fc_dims=(16,), aux_dims=(8,))
NO_DROPOUT = dict(dropout=0.0, attn_dropout=0.0, activation_dropout=0.0, fc_dropout=0.0)


def randomise(model, gen):
    """Non-trivial values for every parameter and running statistic (BatchNorm included)."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * (0.3 if t.dim() > 1 else 0.2) + (1.0 if name.endswith(("norm.weight", "bn.weight", "w_resid", "head_scale")) else 0.0))


def particle_inputs(gen, b=6, p=7, c=3):
    counts = torch.tensor([7, 3, 0, 1, 5, 2])[:b]
    mask = (torch.arange(p).unsqueeze(0) < counts.unsqueeze(1)).float()
    x = torch.randn(b, p, 12, generator=gen) * mask.unsqueeze(-1)
    pairs = torch.randn(b, c, p, p, generator=gen)
    pairs = (pairs + pairs.transpose(2, 3)) / 2
    pairs = pairs * (mask.unsqueeze(2) * mask.unsqueeze(1)).unsqueeze(1)
    aux = torch.randn(b, 2, generator=gen)
    return x, mask, pairs, aux


def weights(model):
    """The state_dict (copied) without num_batches_tracked."""
    return {k: v.clone().contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(2026)

    # MLP, the DDD defaults, and the DeepSVDD flavour (bias-free, BatchNorm without affine).
    for name, kw in [("mlp", {}), ("mlp_svdd", dict(bias=False, affine=False, out_dim=8))]:
        m = Mlp(**kw)
        randomise(m, gen)
        w = weights(m)  # before training mode updates the running statistics
        x = torch.randn(9, 72, generator=gen)
        m.eval()
        y_eval = m(x)
        m.train()
        y_train = m(x)
        save_file(w, f"{out}/{name}.weights.safetensors")
        save_file({"x": x, "out_eval": y_eval.detach(), "out_train": y_train.detach(),
                   "running_mean_after": m.layers[0].bn.running_mean.clone()}, f"{out}/{name}.io.safetensors")

    # ParT small: with pairs + aux (ParT+SM shape), and plain (no pairs, no aux).
    for name, kw, with_pairs in [("part_sm", dict(SMALL, **NO_DROPOUT), True),
                                 ("part_plain", dict(SMALL, **NO_DROPOUT, pair_input_dim=0, aux_dim=0), False)]:
        m = ParT(**kw)
        randomise(m, gen)
        w = weights(m)
        x, mask, pairs, aux = particle_inputs(gen)
        args = (x, mask, pairs, aux) if with_pairs else (x, mask)
        m.eval()
        y_eval = m(*args)
        m.train()
        y_train = m(*args)
        io = {"x": x, "mask": mask, "out_eval": y_eval.detach(), "out_train": y_train.detach()}
        if with_pairs:
            io.update(pairs=pairs, aux=aux)
        save_file(w, f"{out}/{name}.weights.safetensors")
        save_file(io, f"{out}/{name}.io.safetensors")
        print(name, "parameters:", sum(p.numel() for p in m.parameters()))
    print("full ParT parameters:", sum(p.numel() for p in ParT().parameters()))


if __name__ == "__main__":
    main()
