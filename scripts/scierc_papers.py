#!/usr/bin/env python3
"""Rebuild the SciERC abstracts of ML venues 2010-2016 (74 papers) as a kg JSONL input.

These are the papers of the blind gold file tests/data/scierc-blind-gold.jsonl (annotated by the
project's guidelines by an annotator who never saw kg's code or output). The abstracts themselves
are not committed (SciERC states no licence); this script rebuilds them from the tokenized data:

    python scripts/scierc_papers.py ../shared/external/scierc /tmp/scierc-papers.jsonl
    kg eval /tmp/scierc-papers.jsonl --gold tests/data/scierc-blind-gold.jsonl

Only `doc_key` and `sentences` are used (SciERC's own ner/relations/clusters are ignored).
"""
import json
import re

import sys
from pathlib import Path

SCIERC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/external/scierc")
SRC = [SCIERC / "train.json", SCIERC / "dev.json"]
OUT = sys.argv[2] if len(sys.argv) > 2 else "scierc-papers.jsonl"
KEY_RE = re.compile(r"^[A-Z]+_201[0-9]")

PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}
NO_SPACE_BEFORE = {",", ".", ";", ":", ")", "]", "}", "%", "?", "!", "'s", "n't"}
NO_SPACE_AFTER = {"(", "[", "{"}
GLUE_BOTH = {"/"}  # "a / b" -> "a/b"


def detok(tokens):
    toks = [PTB.get(t, t) for t in tokens]
    out = []          # list of (token, space_before)
    dq_open = False   # double quote state ('' and `` both used as ")
    sq_open = False   # single quote state (` ... ')
    glue_next = False
    for i, t in enumerate(toks):
        space = True
        if not out or glue_next:
            space = False
        glue_next = False
        if t in ("''", "``", '"'):
            t = '"'
            if not dq_open:
                dq_open = True
                glue_next = True           # no space after opening quote
            else:
                dq_open = False
                space = False              # no space before closing quote
        elif t == "`":
            t = "'"
            sq_open = True
            glue_next = True
        elif t == "'":
            if sq_open:
                sq_open = False
            space = False                  # closing quote or possessive (singers')
        elif t in NO_SPACE_BEFORE:
            space = False
        elif t in GLUE_BOTH:
            space = False
            glue_next = True
        elif t == "-" and out and out[-1][0] == ")":
            space = False                  # "(1-1/e) - approximation" -> "(1-1/e)-approximation"
            glue_next = True
        elif t == "+" and out and re.match(r"^[A-Z0-9]+$", out[-1][0]):
            space = False                  # "STR2 +" -> "STR2+"
        elif re.match(r"^\.\d+$", t) and out and re.search(r"\d$", out[-1][0]):
            space = False                  # "0.0076-0 .1059" -> "0.0076-0.1059"
        if t in NO_SPACE_AFTER:
            glue_next = True
        out.append((t, space))
    return "".join((" " if s else "") + t for t, s in out)


def main():
    docs = {}
    for f in SRC:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                if KEY_RE.match(d["doc_key"]):
                    docs[d["doc_key"]] = d
    with open(OUT, "w", encoding="utf-8") as out:
        for key in sorted(docs):
            sents = [detok(s) for s in docs[key]["sentences"]]
            rec = {"id": "scierc-" + key, "title": "", "abstract": " ".join(sents),
                   "source": "SciERC (Luan et al., EMNLP 2018)"}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(len(docs), "abstracts written to", OUT)


if __name__ == "__main__":
    main()
