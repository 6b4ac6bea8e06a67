#!/usr/bin/env python3
"""PyTorch reference of Oddity's rational-quadratic spline autoregressive flow
(physics-spec section 7.6, crates/oddity-nn/src/flow/): the spline is a transcription of
bayesiains/nflows `nflows/transforms/splines/rational_quadratic.py`
(`unconstrained_rational_quadratic_spline`, linear tails; Durkan et al. arXiv 1906.04032),
the MADE follows `nflows/transforms/made.py` (sequential degrees, no residual blocks, ReLU),
and the stack is nflows' MaskedPiecewiseRationalQuadraticAutoregressiveTransform layers with
the feature order reversed between layers and a standard-normal base.

    /work/main/.libtorch/venv/bin/python tools/reference/flow_reference.py crates/oddity-nn/tests/data

(any Python with torch 2.11, numpy and safetensors: `pip install torch==2.11.0 numpy
safetensors`). Writes flow.weights.safetensors (float32 parameters under Oddity's names
`layers.{l}.made.{hidden.{k},out}.{weight,bias}`) and flow.io.safetensors (float64: inputs
`x` with entries inside and outside the tail bound, `log_prob` and `z` of the flow evaluated
in float64 after converting the weights, noise `noise` and its inverse `sample`).
`crates/oddity-nn/tests/flow_parity.rs` loads them; its configuration must match CONFIG.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

CONFIG = dict(features=5, layers=3, hidden=[16, 16], bins=6, tail_bound=3.0)
MIN_BIN_WIDTH = MIN_BIN_HEIGHT = MIN_DERIVATIVE = 1e-3


def searchsorted(bin_locations, inputs, eps=1e-6):
    bin_locations = bin_locations.clone()
    bin_locations[..., -1] += eps
    return torch.sum(inputs[..., None] >= bin_locations, dim=-1) - 1


def rational_quadratic_spline(inputs, uw, uh, ud, inverse, left, right, bottom, top):
    num_bins = uw.shape[-1]
    widths = F.softmax(uw, dim=-1)
    widths = MIN_BIN_WIDTH + (1 - MIN_BIN_WIDTH * num_bins) * widths
    cumwidths = torch.cumsum(widths, dim=-1)
    cumwidths = F.pad(cumwidths, pad=(1, 0), mode="constant", value=0.0)
    cumwidths = (right - left) * cumwidths + left
    cumwidths[..., 0] = left
    cumwidths[..., -1] = right
    widths = cumwidths[..., 1:] - cumwidths[..., :-1]

    derivatives = MIN_DERIVATIVE + F.softplus(ud)

    heights = F.softmax(uh, dim=-1)
    heights = MIN_BIN_HEIGHT + (1 - MIN_BIN_HEIGHT * num_bins) * heights
    cumheights = torch.cumsum(heights, dim=-1)
    cumheights = F.pad(cumheights, pad=(1, 0), mode="constant", value=0.0)
    cumheights = (top - bottom) * cumheights + bottom
    cumheights[..., 0] = bottom
    cumheights[..., -1] = top
    heights = cumheights[..., 1:] - cumheights[..., :-1]

    bin_idx = searchsorted(cumheights if inverse else cumwidths, inputs)[..., None]
    input_cumwidths = cumwidths.gather(-1, bin_idx)[..., 0]
    input_bin_widths = widths.gather(-1, bin_idx)[..., 0]
    input_cumheights = cumheights.gather(-1, bin_idx)[..., 0]
    delta = heights / widths
    input_delta = delta.gather(-1, bin_idx)[..., 0]
    input_derivatives = derivatives.gather(-1, bin_idx)[..., 0]
    input_derivatives_plus_one = derivatives[..., 1:].gather(-1, bin_idx)[..., 0]
    input_heights = heights.gather(-1, bin_idx)[..., 0]

    if inverse:
        a = (inputs - input_cumheights) * (
            input_derivatives + input_derivatives_plus_one - 2 * input_delta
        ) + input_heights * (input_delta - input_derivatives)
        b = input_heights * input_derivatives - (inputs - input_cumheights) * (
            input_derivatives + input_derivatives_plus_one - 2 * input_delta
        )
        c = -input_delta * (inputs - input_cumheights)
        discriminant = b.pow(2) - 4 * a * c
        assert (discriminant >= 0).all()
        root = (2 * c) / (-b - torch.sqrt(discriminant))
        outputs = root * input_bin_widths + input_cumwidths
        theta_one_minus_theta = root * (1 - root)
        denominator = input_delta + (
            (input_derivatives + input_derivatives_plus_one - 2 * input_delta) * theta_one_minus_theta
        )
        derivative_numerator = input_delta.pow(2) * (
            input_derivatives_plus_one * root.pow(2)
            + 2 * input_delta * theta_one_minus_theta
            + input_derivatives * (1 - root).pow(2)
        )
        logabsdet = torch.log(derivative_numerator) - 2 * torch.log(denominator)
        return outputs, -logabsdet
    theta = (inputs - input_cumwidths) / input_bin_widths
    theta_one_minus_theta = theta * (1 - theta)
    numerator = input_heights * (input_delta * theta.pow(2) + input_derivatives * theta_one_minus_theta)
    denominator = input_delta + (
        (input_derivatives + input_derivatives_plus_one - 2 * input_delta) * theta_one_minus_theta
    )
    outputs = input_cumheights + numerator / denominator
    derivative_numerator = input_delta.pow(2) * (
        input_derivatives_plus_one * theta.pow(2)
        + 2 * input_delta * theta_one_minus_theta
        + input_derivatives * (1 - theta).pow(2)
    )
    logabsdet = torch.log(derivative_numerator) - 2 * torch.log(denominator)
    return outputs, logabsdet


def unconstrained_rational_quadratic_spline(inputs, uw, uh, ud, inverse, tail_bound):
    inside = (inputs >= -tail_bound) & (inputs <= tail_bound)
    outside = ~inside
    outputs = torch.zeros_like(inputs)
    logabsdet = torch.zeros_like(inputs)
    ud = F.pad(ud, pad=(1, 1))
    constant = math.log(math.exp(1 - MIN_DERIVATIVE) - 1)
    ud[..., 0] = constant
    ud[..., -1] = constant
    outputs[outside] = inputs[outside]
    logabsdet[outside] = 0
    if inside.any():
        outputs[inside], logabsdet[inside] = rational_quadratic_spline(
            inputs[inside], uw[inside, :], uh[inside, :], ud[inside, :], inverse,
            -tail_bound, tail_bound, -tail_bound, tail_bound,
        )
    return outputs, logabsdet


class MaskedLinear(nn.Linear):
    def __init__(self, in_degrees, out_degrees, is_output):
        super().__init__(len(in_degrees), len(out_degrees))
        if is_output:
            mask = (out_degrees[..., None] > in_degrees).float()
        else:
            mask = (out_degrees[..., None] >= in_degrees).float()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


def hidden_degrees(n, features):
    max_ = max(1, features - 1)
    min_ = min(1, features - 1)
    return torch.arange(n) % max_ + min_


class Made(nn.Module):
    def __init__(self, features, hidden, multiplier):
        super().__init__()
        self.features, self.multiplier = features, multiplier
        degrees = torch.arange(1, features + 1)
        layers = []
        prev = degrees
        for h in hidden:
            d = hidden_degrees(h, features)
            layers.append(MaskedLinear(prev, d, False))
            prev = d
        self.hidden = nn.ModuleList(layers)
        # nflows' utils.tile: each feature's outputs contiguous.
        out_degrees = degrees.repeat_interleave(multiplier)
        self.out = MaskedLinear(prev, out_degrees, True)

    def forward(self, x):
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.out(x).view(-1, self.features, self.multiplier)


class SplineLayer(nn.Module):
    def __init__(self, features, hidden, bins, tail_bound):
        super().__init__()
        self.bins, self.tail_bound, self.hidden_features = bins, tail_bound, hidden[-1]
        self.made = Made(features, hidden, 3 * bins - 1)

    def spline(self, x, cond, inverse):
        p = self.made(cond)
        k = self.bins
        uw = p[..., :k] / math.sqrt(self.hidden_features)
        uh = p[..., k : 2 * k] / math.sqrt(self.hidden_features)
        ud = p[..., 2 * k :]
        return unconstrained_rational_quadratic_spline(x, uw, uh, ud, inverse, self.tail_bound)


class SplineFlow(nn.Module):
    def __init__(self, features, layers, hidden, bins, tail_bound):
        super().__init__()
        self.features = features
        self.layers = nn.ModuleList(SplineLayer(features, hidden, bins, tail_bound) for _ in range(layers))

    def forward(self, x):
        logdet = torch.zeros(x.shape[0], dtype=x.dtype)
        for l, layer in enumerate(self.layers):
            if l > 0:
                x = x.flip(1)
            x, ld = layer.spline(x, x, False)
            logdet = logdet + ld.sum(-1)
        return x, logdet

    def log_prob(self, x):
        z, logdet = self.forward(x)
        base = -0.5 * z.pow(2).sum(-1) - 0.5 * self.features * math.log(2 * math.pi)
        return base + logdet

    def inverse(self, z):
        for l in reversed(range(len(self.layers))):
            x = torch.zeros_like(z)
            for _ in range(self.features):
                x, _ = self.layers[l].spline(z, x, True)
            z = x.flip(1) if l > 0 else x
        return z


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20240611)
    c = CONFIG
    flow = SplineFlow(c["features"], c["layers"], c["hidden"], c["bins"], c["tail_bound"])
    with torch.no_grad():
        # Larger output weights than nflows' init, so the splines are far from the identity.
        for layer in flow.layers:
            layer.made.out.weight.mul_(8.0)
            layer.made.out.bias.normal_(0.0, 1.0)
    weights = {k: v.contiguous() for k, v in flow.state_dict().items()}
    save_file(weights, os.path.join(out_dir, "flow.weights.safetensors"))
    flow = flow.double()
    x = torch.randn(32, c["features"], dtype=torch.float64) * 1.8
    x[0, 0], x[1, 2], x[2, 4] = 3.5, -4.2, 9.0  # beyond the tail bound
    noise = torch.randn(16, c["features"], dtype=torch.float64)
    with torch.no_grad():
        z, _ = flow.forward(x)
        io = {
            "x": x,
            "z": z,
            "log_prob": flow.log_prob(x),
            "noise": noise,
            "sample": flow.inverse(noise),
        }
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(out_dir, "flow.io.safetensors"))
    print("wrote", out_dir, "mean log p", io["log_prob"].mean().item())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "crates/oddity-nn/tests/data")
