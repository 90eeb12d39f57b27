#!/usr/bin/env python3
"""Print the markdown table of committed data files (path, bytes, sha256) for data/README.md."""
import hashlib, os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rows = []
for d, _, files in os.walk(os.path.join(ROOT, "data")):
    for f in files:
        p = os.path.join(d, f)
        rel = os.path.relpath(p, ROOT)
        if rel == "data/README.md":
            continue
        rows.append((rel, os.path.getsize(p), hashlib.sha256(open(p, "rb").read()).hexdigest()))
rows.sort()
print("| file | bytes | sha256 |\n|---|---:|---|")
for r in rows:
    print(f"| `{r[0]}` | {r[1]} | `{r[2]}` |")
print(f"| total | {sum(r[1] for r in rows)} | |")
