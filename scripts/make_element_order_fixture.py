"""A checkpoint that stores its own element order: data/s4-quadratic-final.pt with its rows
shuffled by a fixed permutation, and the shuffled list of permutations saved next to the
weights as 'elements' (as the example trainers save it). Analyzed without --elements it must
give the original's numbers. Run from the repository root:
    python3 scripts/make_element_order_fixture.py
Writes Tests/AnalysisTests/Fixtures/s4-shuffled-elements.pt."""
import itertools
import numpy as np
import torch

ck = torch.load("data/s4-quadratic-final.pt", weights_only=True)
perms = [list(p) for p in itertools.permutations(range(4))]
order = np.random.default_rng(3).permutation(24)          # row r holds element order[r]
model = {k: v[torch.tensor(order)].clone() for k, v in ck["model"].items()}
torch.save({"model": model, "step": ck["step"], "elements": [perms[e] for e in order]},
           "Tests/AnalysisTests/Fixtures/s4-shuffled-elements.pt")
