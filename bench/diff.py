"""Diff benchmark: two generated 200-page procedures compared with
services/versioning/domain/diff.py, against a raw line-wise difflib baseline on the same texts.

The old text is ~200 pages of Romanian-like prose (one paragraph per line, as Tika's
text rendition gives it); the new one has realistic edits: a few percent of sentences
changed word by word, paragraphs moved, added and removed. Each measurement is the
median of `--repeat` runs; peak memory is measured in a separate run under tracemalloc
(which slows the code, so it is not timed). Run: `.venv/bin/python bench/diff.py`.
"""
from __future__ import annotations

import difflib
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import int_options  # noqa: E402
from services.versioning.domain.diff import diff_texts  # noqa: E402

WORDS = ("compartimentul", "procedura", "responsabilul", "documentul", "petiția", "termenul",
         "aprobarea", "verificarea", "conducătorul", "instituției", "se", "înregistrează",
         "analizează", "transmite", "în", "de", "la", "și", "cu", "pentru", "prin", "zile",
         "lucrătoare", "conform", "legislației", "aplicabile", "dosarul", "arhivă", "registrul",
         "general", "direcția", "juridică", "semnează", "avizează", "comisia", "monitorizare",
         "riscurile", "măsurile", "controlul", "intern", "managerial", "raportul", "anual",
         "obiectivele", "activității", "desfășurare", "urmărește", "întocmește", "funcționarul",
         "public", "răspunde", "solicitantului", "cererea", "situația", "evidența", "ținută")
WORDS_PER_PAGE = 450


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 22))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))


def procedure(pages: int, rng: random.Random) -> list[str]:
    paragraphs, words = [], 0
    section = 0
    while words < pages * WORDS_PER_PAGE:
        if rng.random() < 0.08:
            section += 1
            paragraphs.append(f"{section}. Secțiunea {section} — descrierea activității")
        p = paragraph(rng)
        paragraphs.append(p)
        words += len(p.split())
    return paragraphs


def revise(paragraphs: list[str], rng: random.Random, changed: float = 0.03,
           moved: int = 8, added: int = 15, removed: int = 15) -> tuple[list[str], dict]:
    """A new revision: `changed` of the sentences edited word by word, and paragraphs
    moved, added and removed."""
    out, edited_sentences, total_sentences = [], 0, 0
    for p in paragraphs:
        sentences = p.split(". ")
        total_sentences += len(sentences)
        for i, s in enumerate(sentences):
            if rng.random() < changed:
                words = s.split()
                for _ in range(rng.randint(1, 3)):
                    words[rng.randrange(len(words))] = rng.choice(WORDS)
                if rng.random() < 0.3:
                    words.insert(rng.randrange(len(words)), "obligatoriu")
                sentences[i] = " ".join(words)
                edited_sentences += 1
        out.append(". ".join(sentences))
    for _ in range(removed):
        out.pop(rng.randrange(len(out)))
    for _ in range(moved):
        p = out.pop(rng.randrange(len(out)))
        out.insert(rng.randrange(len(out)), p)
    for _ in range(added):
        out.insert(rng.randrange(len(out)), paragraph(rng))
    return out, {"sentences": total_sentences, "edited_sentences": edited_sentences,
                 "moved": moved, "added": added, "removed": removed}


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    args = int_options(__doc__, pages=200, repeat=5, seed=2026)

    rng = random.Random(args.seed)
    old_paragraphs = procedure(args.pages, rng)
    new_paragraphs, edits = revise(old_paragraphs, rng)
    old, new = "\n".join(old_paragraphs), "\n".join(new_paragraphs)
    print(f"texts: {len(old.split()):,} → {len(new.split()):,} words, "
          f"{len(old.encode()) / 2**20:.2f} → {len(new.encode()) / 2**20:.2f} MiB, "
          f"{len(old_paragraphs):,} → {len(new_paragraphs):,} paragraphs; edits: "
          f"{edits['edited_sentences']} of {edits['sentences']:,} sentences "
          f"({100 * edits['edited_sentences'] / edits['sentences']:.1f} %), "
          f"{edits['moved']} paragraphs moved, {edits['added']} added, "
          f"{edits['removed']} removed")

    def procedura():
        return diff_texts(old, new, old_label="Ediția I, Revizia 0",
                          new_label="Ediția I, Revizia 1")

    def raw():
        return list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm=""))

    rows = []
    for name, fn in (("raw difflib.unified_diff, line-wise", raw),
                     ("Procedura diff_texts (paragraphs + words)", procedura)):
        seconds, result = timed(fn, args.repeat)
        rows.append((name, seconds, peak_mib(fn), result))
    print(f"\n| {'what':<42} | median s | peak MiB |")
    print(f"|{'-' * 44}|----------|----------|")
    for name, seconds, peak, _ in rows:
        print(f"| {name:<42} | {seconds:8.3f} | {peak:8.1f} |")
    diff = rows[1][3]
    changed = [h for h in diff.hunks if h.op != "equal"]
    print(f"\nProcedura: {len(changed)} changed hunks "
          f"({sum(h.op == 'replace' for h in changed)} replace), "
          f"{diff.inserted_words:,} words inserted, {diff.deleted_words:,} deleted; "
          f"unified text {len(diff.unified) / 1024:.0f} KiB; raw unified "
          f"{sum(len(line) + 1 for line in rows[0][3]) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
