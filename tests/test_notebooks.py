"""The chapters are stored clean and built alike; the repository URL is the same everywhere.

Running them is nbval's job: ``pytest --nbval-lax --nbval-current-env notebooks/`` (part of
``make test``, in quick mode).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from digitlib import config

ROOT = config.PROJECT_DIR
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALLOWED_METADATA = {"kernelspec", "language_info", "colab"}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def source(cell: dict) -> str:
    return "".join(cell["source"])


def code_sources(path: Path) -> list[str]:
    return [source(c) for c in load(path)["cells"] if c["cell_type"] == "code"]


def test_seven_chapters_in_order():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_and_with_clean_metadata(path):
    nb = load(path)
    assert set(nb["metadata"]) <= ALLOWED_METADATA, set(nb["metadata"]) - ALLOWED_METADATA
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: outputs stored"
            assert cell["execution_count"] is None
        assert set(cell["metadata"]) <= {"tags"}, cell["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_starts_and_ends_the_same_way(path):
    cells = load(path)["cells"]
    first = source(cells[0])
    assert first.startswith("# "), "a title"
    assert "**In this chapter you will learn:**" in first
    colab = (
        f"https://colab.research.google.com/github/{config.REPOSITORY}/blob/main/"
        f"notebooks/{path.name}"
    )
    assert colab in first, "the Colab badge points at this notebook"
    setup = source(cells[1])
    assert cells[1]["cell_type"] == "code" and setup == source(load(NOTEBOOKS[0])["cells"][1])
    assert f'os.environ.get("DIGITLIB_REPO", "{config.REPOSITORY_URL}")' in setup
    assert "config.setup_notebook()" in setup and len(setup.splitlines()) <= 15
    text = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    assert "## Summary" in text and "## Exercises" in text


SOLUTIONS_HIDDEN = NOTEBOOKS


@pytest.mark.parametrize("path", SOLUTIONS_HIDDEN, ids=lambda p: p.stem)
def test_solutions_stay_hidden_until_the_reader_asks(path):
    cells = load(path)["cells"]
    start = next(i for i, c in enumerate(cells) if "## Exercises" in source(c))
    after = cells[start:]
    exercise = re.compile(r"^\*\*Exercise \d", re.M)
    assert any(exercise.search(source(c)) for c in after), "no exercises"
    for cell in after:
        text = source(cell)
        if cell["cell_type"] == "code":
            # The book folds the whole cell, code and output, behind a "show" button.
            assert "hide-cell" in cell["metadata"].get("tags", []), text[:80]
        elif text.strip() != "## Exercises" and not exercise.search(text):
            folded = "<summary>Solution</summary>" in text or ":class: dropdown" in text
            assert folded, f"a solution shown in the open: {text[:80]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_library_code_pasted_into_chapters(path):
    library = {
        m.group(1)
        for f in (ROOT / "digitlib").glob("*.py")
        for m in re.finditer(r"^def (\w+)\(", f.read_text(), re.M)
    }
    for code in code_sources(path):
        defined = set(re.findall(r"^def (\w+)\(", code, re.M))
        assert not defined & library, f"{path.name} redefines {defined & library}"


def test_repository_url_is_one_value_everywhere():
    book = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    assert book["repository"]["url"] == config.REPOSITORY_URL
    assert book["sphinx"]["config"]["html_theme_options"]["repository_url"] == config.REPOSITORY_URL
    assert f'Homepage = "{config.REPOSITORY_URL}"' in (ROOT / "pyproject.toml").read_text()
    urls = set()
    for path in [*NOTEBOOKS, *(ROOT / "book").glob("*.md"), ROOT / "README.md"]:
        urls |= set(
            re.findall(
                r"github(?:\.com)?/([\w.-]+/[\w.-]+?)(?:/blob|\.git|\)|\"|\s|$)", path.read_text()
            )
        )
    assert urls == {config.REPOSITORY}, urls


def test_full_mode_chapters_write_only_where_git_ignores():
    # In full mode output_dir(name) is PROJECT_DIR / name: a chapter that saves there must not
    # leave untracked files behind after a book build.
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip().endswith("/")
    }
    names = set()
    for path in NOTEBOOKS:
        for code in code_sources(path):
            names |= set(re.findall(r"output_dir\(\s*\"(\w+)\"", code))
    assert names, "a chapter saves its work through config.output_dir"
    assert names <= ignored, f"not ignored by git: {names - ignored}"


def test_training_chapter_builds_learning_from_first_principles():
    path = ROOT / "notebooks" / "04_training.ipynb"
    cells = load(path)["cells"]
    text = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join(code_sources(path))
    assert text.count("$$") >= 2 * 6, "the loss, gradient, update, backprop, Adam, schedule"
    for idea in ("cross-entropy", "gradient descent", "backpropagation", "Adam", "label smoothing"):
        assert idea.lower() in text.lower(), idea
    # A gradient step written out, the tape checked against it, and a visible compile and fit.
    assert "W -= lr * gW" in code and "tf.GradientTape()" in code
    assert ".compile(" in code and ".fit(" in code and "keras.Sequential([" in code
    assert "getsource(training.train)" not in code, "the reader sees a compile/fit, not train()"
