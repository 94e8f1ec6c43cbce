"""The book builds offline, warnings as errors, and every chapter page is complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitlib import config

from .browser import chromium_page

ROOT = config.PROJECT_DIR
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """Build the book in quick mode into a temporary folder; return its HTML folder."""
    out = tmp_path_factory.mktemp("book")
    env = {
        **os.environ,
        "DIGITLIB_QUICK": "1",
        "DIGITLIB_HEADLESS": "1",
        "XDG_CACHE_HOME": str(out / "cache"),
    }
    env.pop("DIGITLIB_DATA_DIR", None)
    env.pop("MPLBACKEND", None)  # the pages must get the figures a reader gets
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [
        str(jb),
        "build",
        ".",
        "--config",
        "book/_config.yml",
        "--toc",
        "book/_toc.yml",
        "--path-output",
        str(out),
        "--warningiserror",
        "--nitpick",
        "--keep-going",
    ]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    # --warningiserror: any Sphinx warning, and any failing cell, fails the build.
    assert run.returncode == 0, f"book build failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return out / "_build" / "html"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_figures_and_colab_link(book, chapter):
    page = book / "notebooks" / f"{chapter}.html"
    assert page.is_file(), f"missing page {page}"
    html = page.read_text()
    figures = html.count('src="../_images/')
    assert figures >= 2, "the chapter's figures, rendered from its cell outputs"
    colab = (
        f"https://colab.research.google.com/github/{config.REPOSITORY}/blob/main/"
        f"notebooks/{chapter}.ipynb"
    )
    assert colab in html, "a Colab launch link to this very notebook"
    assert "Traceback (most recent call last)" not in html


def test_book_pages_exist(book):
    for page in (
        "book/intro.html",
        "book/setup.html",
        "book/api.html",
        "book/bibliography.html",
        "book/status.html",
        "index.html",
    ):
        assert (book / page).is_file(), page
    api = (book / "book" / "api.html").read_text()
    assert "load_mnist" in api and "Recognizer" in api
    assert "LeCun" in (book / "book" / "bibliography.html").read_text()
    status = (book / "book" / "status.html").read_text()
    assert all(c in status for c in CHAPTERS)


def test_try_it_page_is_built_and_every_chapter_links_to_it(book):
    html = (book / "book" / "tryit.html").read_text()
    assert 'id="sketchpad-canvas"' in html and "../_static/sketchpad/sketchpad.js" in html
    for script in ("sketchpad.js", "mnist.js", "sketchpad.css"):
        assert (book / "_static" / "sketchpad" / script).is_file(), script
    pages = [book / "book" / "intro.html"] + [book / "notebooks" / f"{c}.html" for c in CHAPTERS]
    for page in pages:
        assert "tryit.html" in page.read_text(), f"{page.name} links to the Try it page"


def test_solutions_are_hidden_until_clicked(book):
    html = (book / "notebooks" / f"{CHAPTERS[0]}.html").read_text()
    assert "<details" in html and "<summary>Solution</summary>" in html


@pytest.mark.browser
def test_book_renders_in_a_browser(book, tmp_path):
    with chromium_page() as page:
        page.goto((book / "index.html").as_uri())
        page.wait_for_url("**/book/intro.html")  # index.html redirects to the first page
        page.wait_for_load_state("load")
        assert "digits" in page.title()
        nav = page.locator("nav.bd-docs-nav")
        assert nav.count() >= 1 and "Loading and exploring MNIST" in nav.first.inner_text()

        page.goto((book / "notebooks" / "05_evaluating.html").as_uri())
        page.wait_for_load_state("load")
        assert "Evaluating" in page.title()
        rendered = (
            "() => [...document.querySelectorAll('.cell_output img')]"
            ".filter(i => i.complete && i.naturalWidth > 100).length"
        )
        page.wait_for_function(f"() => ({rendered})() >= 3", timeout=15_000)
        assert page.evaluate(rendered) >= 3
        page.screenshot(path=str(tmp_path / "chapter5.png"), full_page=False)
        assert (tmp_path / "chapter5.png").stat().st_size > 10_000
