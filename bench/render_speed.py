"""How long does rendering one digest email take, next to MRML alone?

Renders a 20-story digest the way `digest send` does (sanitize + Jinja -> MJML -> HTML via
mjml-python, size guard, text part) and, in the same run on the same machine, times bare
``mjml2html`` on the very same MJML source. Prints both medians and their ratio, for a plain
edition and for one with images (a hero and thumbnails) and four sections.

    PYTHONPATH=src python bench/render_speed.py [--stories 20] [--rounds 300]

``--only render|bare [--editorial]`` runs one side alone, to time whole processes against each
other (``/usr/bin/time``, or any tool that runs two commands in turn): process start-up and
imports then count too, more for the render side, so that ratio leans against us.

Targets: at most 3x bare mjml2html, and at most 15 ms in all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from mjml import mjml2html

from digest.config import Settings, load_settings
from digest.models import Article, Digest, Image, Related, Story, Summary, Teaser
from digest.render.email import build_view, render_email, render_mjml

WORDS = [
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "teachers",
    "hospital",
    "nurses",
    "election",
    "minister",
    "market",
    "shares",
    "energy",
    "prices",
    "climate",
    "summit",
    "rainfall",
    "harvest",
    "airport",
    "runway",
    "museum",
    "exhibition",
    "football",
    "final",
    "transport",
    "strike",
    "housing",
]


def sentence(seed: int, words: int) -> str:
    picked = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words)]
    return " ".join(picked).capitalize() + "."


SECTIONS = ["World", "Politics", "Business", "Culture"]


def make_digest(n: int, editorial: bool = False) -> Digest:
    stories = []
    for i in range(n):
        url = f"https://www.example-news.com/2026/11/28/section-{i % 5}/a-long-descriptive-story-slug-{i:03d}/?ref=rss"
        article = Article(
            title=sentence(i, 11)[:-1],
            text=" ".join(sentence(i + k, 18) for k in range(12)),
            source="bench",
            url=url,
            site="Example News",
            related=[Related(sentence(i + 50, 8), f"https://www.example-news.com/related/{i}-{k}") for k in range(2)],
        )
        summary = Summary(lede=sentence(i + 1, 35), key_points=[sentence(i + k + 2, 24) for k in range(3)])
        teasers = [Teaser(sentence(i + k + 60, 9)[:-1], f"https://www.example-news.com/more/{i}-{k}") for k in range(3)]
        story = Story(article=article, summary=summary, teasers=teasers)
        if editorial:
            image = f"https://images.example-news.com/2026/11/28/{i:03d}.jpg?w=1200&h=675&fit=crop"
            article.image = Image(image, alt=sentence(i + 80, 6), width=1200, height=675)
            story.section = SECTIONS[i * len(SECTIONS) // n]
        stories.append(story)
    return Digest(title="The Daily Digest", date=date(2026, 11, 28), stories=stories, intro=sentence(99, 30))


def timings_ms(fn: Callable[[], object], rounds: int) -> list[tuple[float, float]]:
    """(wall ms, CPU ms) per call; CPU time is what this process used, whatever else runs."""
    samples = []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return samples


def report(name: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    print(f"{name:<48} median {wall:6.2f} ms wall  {cpu:6.2f} ms CPU  best {min(s[0] for s in samples):.2f} ms")
    return wall, cpu


def compiles_per_call(digest: Digest, settings: Settings) -> list[int]:
    """The size in characters of each MJML source one render_email call compiles (counted apart
    from the timing)."""
    import digest.render.email as email_module

    sources: list[int] = []
    original = email_module.mjml_to_html

    def counting(source: str, *args: Any, **kwargs: Any) -> str:
        sources.append(len(source))
        return original(source, *args, **kwargs)

    email_module.mjml_to_html = counting  # type: ignore[assignment]
    try:
        render_email(digest, settings)
    finally:
        email_module.mjml_to_html = original  # type: ignore[assignment]
    return sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument(
        "--only",
        choices=["render", "bare"],
        help="run just one side ROUNDS times and print nothing: for timing whole processes against each other",
    )
    parser.add_argument("--editorial", action="store_true", help="with --only: the edition with images and sections")
    args = parser.parse_args()

    settings = load_settings()
    if args.only:
        digest = make_digest(args.stories, args.editorial)
        mjml_source = render_mjml(settings, build_view(digest, settings))
        render_email(digest, settings)  # the same warm-up as below
        mjml2html(mjml_source)
        for _ in range(args.rounds):
            if args.only == "render":
                render_email(digest, settings)
            else:
                mjml2html(mjml_source)
        return
    for editorial in (False, True):
        digest = make_digest(args.stories, editorial)
        mjml_source = render_mjml(settings, build_view(digest, settings))
        email = render_email(digest, settings)  # warm-up: templates compile once per process
        mjml2html(mjml_source)

        full: list[tuple[float, float]] = []
        bare: list[tuple[float, float]] = []
        for _ in range(5):  # interleave so both see the same machine load
            full += timings_ms(lambda d=digest: render_email(d, settings), args.rounds // 5)
            bare += timings_ms(lambda m=mjml_source: mjml2html(m), args.rounds // 5)

        kind = f"with images and {len(SECTIONS)} sections" if editorial else "plain"
        print(f"--- {kind}")
        print(f"stories: {args.stories}  html: {email.html_bytes:,} bytes as sent  text: {len(email.text):,} chars")
        sources = compiles_per_call(digest, settings)
        print(
            f"MJML compiles per call: {len(sources)}, of {', '.join(f'{n:,}' for n in sources)} chars "
            f"(the full MJML: {len(mjml_source):,}; story bodies are written out in Python, "
            "and the size guard splices the render)"
        )
        for warning in email.warnings:
            print(f"guard: {warning}")
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs  rounds: {len(full)} each, interleaved")
        full_wall, full_cpu = report("render_email (sanitize+Jinja+MJML+guard+text):", full)
        bare_wall, bare_cpu = report("bare mjml2html (same MJML):", bare)
        for label, f, b in (("wall", full_wall, bare_wall), ("CPU", full_cpu, bare_cpu)):
            verdict = "OK" if f / b <= 3 and f <= 15 else "OVER TARGET"
            print(f"ratio ({label} medians): {f / b:.2f}x, {f:.2f} ms in all  (target <= 3x and <= 15 ms: {verdict})")


if __name__ == "__main__":
    main()
