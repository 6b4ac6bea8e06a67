#!/usr/bin/env python3
"""Reference values for crates/oddity-nn/src/optim.rs: ten steps of torch.optim.Adam and
AdamW (lr 0.01, weight decay 0.1) on a fixed least-squares problem.

    .libtorch/venv/bin/python tools/reference/adam_reference.py
"""
import torch

x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 1.0], [2.0, 1.0, -1.0]])
y = torch.tensor([[1.0], [-1.0], [0.5], [2.0]])
for name, opt_cls in [("ADAM", torch.optim.Adam), ("ADAMW", torch.optim.AdamW)]:
    lin = torch.nn.Linear(3, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.5, -0.25, 0.125]]))
        lin.bias.copy_(torch.tensor([0.1]))
    opt = opt_cls(lin.parameters(), lr=0.01, weight_decay=0.1, foreach=False)
    for _ in range(10):
        opt.zero_grad()
        loss = ((lin(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    vals = lin.weight.flatten().tolist() + lin.bias.tolist()
    print(f"const {name}_REFERENCE: [f32; 4] = [{', '.join('%.9g' % v for v in vals)}];")
