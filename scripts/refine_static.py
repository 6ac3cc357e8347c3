"""Refine kg's static word vectors so that texts about one thing get close paper vectors.

An experiment (session 8, issue #6), NOT what kg ships: every variant below scored below the
shipped vectors (kg/data/static-words.npz) on the related-paper judgments, so the artifact it
writes is for comparison only.

Self-supervised, on the shared external ML text only (never the evaluation corpus or its
judgments). Positive pairs (``--pairs``): ``doc`` two texts of one document — a SciREX paper's
title and first section, two sections of one SciREX paper, a Papers-with-Code method's name and
description (and its paper's title and description), an ITO task's name and description, the
two halves of a SciERC abstract; ``topic`` two documents on one topic — two PwC methods of one
collection, two SciREX papers on one task; ``both``. The other pairs of a batch are the
negatives (InfoNCE, both directions). A text's vector is what kg computes at run time: the
TF-IDF-weighted mean of its words' static vectors (sublinear tf, idf of the training texts), at
unit length. ``--disjoint`` drops the words a pair shares from both texts; ``--residual W``
scores a pair by its lexical cosine + W x the semantic one, so the vectors learn what the
lexical score misses.

What is trained (``--mode``): ``linear`` a 64 x 64 map applied to every word vector (starts at
the identity; the words the external text never uses move with the others); ``delta`` that map
plus a per-word offset under an L2 penalty (``--l2``).

Measured (``python scripts/tune_related.py --concepts kg --no-embeddings --variants '{}'
'{"w_semantic": 0.05}' --static OUT.npz``; shipped vectors: dev 0.734, held-out 0.880): the
semantic component alone (every paper ranked by it) gets better with some variants
(``--pairs both --mode delta``: dev 0.415 -> 0.445, held-out 0.609 -> 0.686), but the full
scorer drops with every variant and semantic weight tried (8 variants, w_semantic 0.03-0.15:
dev 0.649-0.713, held-out 0.851-0.889). In the full scorer that variant gives dev 0.697, below
random perturbations of the shipped vectors of the same size (0.713-0.722, three seeds); 10 %
of its change gives dev 0.729, held-out 0.883.

Run (needs torch, e.g. ``pip install torch`` in a scratch venv; 10-60 CPU-seconds):
    PYTHONPATH=. python scripts/refine_static.py --out /tmp/r.npz --pairs both --mode delta
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.related import analyze, find_abbreviations  # noqa: E402

EXTERNAL = Path("/work/shared/external")
STATIC = ROOT / "kg" / "data" / "static-words.npz"


def _clean(words: list[str]) -> str:
    text = " ".join(words)
    return text[len("section : "):] if text.startswith("section : ") else text


def _scirex_papers(root: Path) -> Iterator[tuple[str, list[str], dict]]:
    """Each SciREX paper with a body: (title, sections of 40+ words after the first, record)."""
    path = root / "scirex-train" / "train_docs.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            words = doc["words"]
            secs = [_clean(words[a:b]) for a, b in doc["sections"]]
            body = [s for s in secs[1:] if len(s.split()) >= 40]
            if body:
                yield secs[0], body, doc


def _pwc_methods(root: Path) -> Iterator[tuple[str, str, dict]]:
    """Each Papers-with-Code method with a description of 15+ words: (name, description, record)."""
    with gzip.open(root / "pwc" / "methods.json.gz", "rt", encoding="utf-8") as handle:
        for m in json.load(handle):
            desc = (m.get("description") or "").strip()
            if len(desc.split()) >= 15:
                name = " ".join(dict.fromkeys(
                    x for x in (m.get("full_name"), m.get("name")) if x))
                yield name, desc, m


def pair_groups(root: Path) -> list[list[tuple[str, str]]]:
    """Positive pairs, grouped so that no two pairs of a group share a batch (a group: one
    source document; each epoch draws one pair per group)."""
    groups: list[list[tuple[str, str]]] = []
    for title, body, _ in _scirex_papers(root):
        pairs = [(title, body[0])]
        pairs += [(a, b) for i, a in enumerate(body) for b in body[i + 1:]]
        groups.append(pairs)
    for name, desc, m in _pwc_methods(root):
        pairs = [(name, desc)]
        title = ((m.get("paper") or {}).get("title") or "").strip()
        if title:
            pairs.append((title, desc))
        groups.append(pairs)

    def walk(node: dict) -> None:
        desc = (node.get("description") or "").strip()
        if node.get("name") and len(desc.split()) >= 8:
            groups.append([(node["name"], desc)])
        for child in node.get("children", ()):
            walk(child)

    walk(json.loads((root / "ito" / "ai-process.json").read_text(encoding="utf-8")))
    for split in ("train.json", "dev.json"):
        for line in (root / "scierc" / split).read_text(encoding="utf-8").splitlines():
            sents = [" ".join(s) for s in json.loads(line)["sentences"]]
            if len(sents) >= 2:
                half = len(sents) // 2
                groups.append([(" ".join(sents[:half]), " ".join(sents[half:]))])
    return groups


def topic_groups(root: Path) -> list[list[tuple[str, str]]]:
    """Positive pairs of two documents on one topic: two Papers-with-Code methods of one
    collection (name and description each), two SciREX papers on one task (title and first
    section each). Grouped by topic: each epoch draws one pair per topic."""
    members: dict[str, list[str]] = {}
    for name, desc, m in _pwc_methods(root):
        for c in m.get("collections") or ():
            members.setdefault(f"pwc:{c['collection']}", []).append(f"{name}. {desc}")
    for title, body, doc in _scirex_papers(root):
        text = f"{title}. {body[0]}"
        for task in sorted({r["Task"] for r in doc["n_ary_relations"]}):
            members.setdefault(f"scirex:{task}", []).append(text)
    groups = []
    for key in sorted(members):
        texts = sorted(set(members[key]))
        if len(texts) >= 2:
            groups.append([(a, b) for i, a in enumerate(texts) for b in texts[i + 1:]])
    return groups


def load_static(path: Path) -> tuple[list[str], np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        words = npz["words"].tobytes().decode("utf-8").split("\n")
        vectors = npz["vectors"].astype(np.float32) * npz["scales"].astype(np.float32)[:, None]
    return words, vectors


def save_static(path: Path, words: list[str], vectors: np.ndarray, meta: dict) -> None:
    """The layout of kg/data/static-words.npz: int8 vectors, one float16 scale per word."""
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.round(vectors / scale[:, None]).astype(np.int8)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        vectors=q, scales=scale.astype(np.float16),
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--static", type=Path, default=STATIC)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--external", type=Path, default=EXTERNAL)
    ap.add_argument("--pairs", choices=("doc", "topic", "both"), default="doc")
    ap.add_argument("--disjoint", action="store_true",
                    help="drop the words a pair shares from both of its texts")
    ap.add_argument("--residual", type=float, default=0.0,
                    help="score pairs by lexical cosine + this x semantic cosine")
    ap.add_argument("--mode", choices=("linear", "delta"), default="linear")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    words, vectors = load_static(args.static)
    word_id = {w: i for i, w in enumerate(words)}
    groups = ((pair_groups(args.external) if args.pairs != "topic" else [])
              + (topic_groups(args.external) if args.pairs != "doc" else []))
    rng.shuffle(groups)
    n_val = len(groups) // 10
    print(f"{len(groups)} groups ({sum(map(len, groups))} pairs), {n_val} for validation",
          file=sys.stderr)

    texts: dict[str, Counter[int]] = {}
    for group in groups:
        for pair in group:
            for text in pair:
                if text not in texts:
                    tokens = analyze(text, find_abbreviations(text), {})
                    texts[text] = Counter(word_id[t] for t in tokens if t in word_id)
    df = Counter(w for counts in texts.values() for w in counts)
    idf = {w: math.log((1 + len(texts)) / (1 + c)) + 1.0 for w, c in df.items()}
    index = {text: i for i, text in enumerate(texts)}
    rows, cols, vals = [], [], []
    for text, i in index.items():
        for w, c in texts[text].items():
            rows.append(i)
            cols.append(w)
            vals.append((1.0 + math.log(c)) * idf[w])
    weights = torch.sparse_coo_tensor(torch.tensor([rows, cols]), torch.tensor(vals),
                                      (len(index), len(words)), dtype=torch.float32,
                                      check_invariants=True).coalesce()

    base = torch.tensor(vectors)
    linear = torch.nn.Parameter(torch.eye(base.shape[1]))
    params = [linear]
    delta = None
    if args.mode == "delta":
        delta = torch.nn.Parameter(torch.zeros_like(base))
        params.append(delta)
    opt = torch.optim.Adam(params, lr=args.lr)

    def table() -> torch.Tensor:
        out = base @ linear
        return out + delta if delta is not None else out

    def rows(texts: list[str]) -> torch.Tensor:
        """The texts' word weights (dense, one row per text)."""
        return torch.index_select(weights, 0, torch.tensor([index[t] for t in texts])).to_dense()

    def loss_of(batch: list[tuple[str, str]], vecs: torch.Tensor) -> torch.Tensor:
        wa, wb = rows([x for x, _ in batch]), rows([y for _, y in batch])
        if args.disjoint:
            # the words both texts use removed from both: the pair must meet through words
            # that differ (what the lexical score cannot see)
            wa, wb = wa * (wb == 0), wb * (wa == 0)
        normalize = torch.nn.functional.normalize
        logits = normalize(wa @ vecs, dim=1) @ normalize(wb @ vecs, dim=1).T
        if args.residual:
            # the texts' lexical cosine is a fixed part of the score: the vectors learn what
            # it misses, as the semantic component adds to the lexical one at run time
            logits = normalize(wa, dim=1) @ normalize(wb, dim=1).T + args.residual * logits
        logits = logits / args.temperature
        target = torch.arange(len(batch))
        return (torch.nn.functional.cross_entropy(logits, target)
                + torch.nn.functional.cross_entropy(logits.T, target)) / 2

    val_groups, train_groups = groups[:n_val], groups[n_val:]
    val_rng = random.Random(args.seed + 1)
    val_pairs = [val_rng.choice(g) for g in val_groups]

    def validate() -> float:
        step = min(args.batch, len(val_pairs))
        with torch.no_grad():
            vecs = table()
            losses = [loss_of(val_pairs[i:i + step], vecs).item()
                      for i in range(0, len(val_pairs) - step + 1, step)]
        return sum(losses) / max(1, len(losses))

    print(f"epoch 0 val {validate():.4f}", file=sys.stderr)
    for epoch in range(1, args.epochs + 1):
        pairs = [rng.choice(g) for g in train_groups]
        rng.shuffle(pairs)
        total = 0.0
        for i in range(0, len(pairs) - args.batch + 1, args.batch):
            vecs = table()
            loss = loss_of(pairs[i:i + args.batch], vecs)
            if delta is not None:
                loss = loss + args.l2 * delta.pow(2).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch} train {total / max(1, len(pairs) // args.batch):.4f} "
              f"val {validate():.4f}", file=sys.stderr)
    with torch.no_grad():
        refined = table().numpy().astype(np.float64)
    meta = {"base": str(args.static.name), "method": f"refine_static {args.mode}",
            "epochs": args.epochs, "temperature": args.temperature, "l2": args.l2,
            "seed": args.seed}
    save_static(args.out, words, refined, meta)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
