"""The report in a real browser (issue 14): headless chromium loads report.html, every table and
image is rendered (no broken image), the screenshot is not blank; the report of a user's cohort has
its title and no published comparison; the page is self-contained.

CI installs Debian's chromium (.ci/run); without it locally the tests are skipped.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cartsie.cli import main
from cartsie.datasets import example_path

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (CI installs Debian's chromium)"
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def builtin(tmp_path_factory):
    out = tmp_path_factory.mktemp("builtin")
    result = CliRunner().invoke(main, ["reproduce", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    out = tmp_path_factory.mktemp("own")
    data, labs = example_path("example_patients.csv"), example_path("example_labs.csv")
    args = ["reproduce", "--data", str(data), "--labs", str(labs), "--out", str(out), "--title", "My cohort"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def _dom(folder: Path) -> str:
    done = _chromium(folder, "--virtual-time-budget=10000", "--dump-dom", (folder / "report.html").as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert "data-loaded=" in done.stdout, "the page's load handler ran"
    return done.stdout


def _assert_rendered(dom: str) -> None:
    images = re.findall(r"<img\b[^>]*>", dom)
    tables = re.findall(r"<table\b[^>]*>", dom)
    assert images and tables
    assert all('data-rendered="yes"' in t for t in images), "a broken image"
    assert all('data-rendered="yes"' in t for t in tables), "a table not rendered"


def _assert_not_blank(folder: Path) -> None:
    from PIL import Image

    shot = folder / "shot.png"
    done = _chromium(
        folder, f"--screenshot={shot}", "--window-size=1280,2400", (folder / "report.html").as_uri()
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    with Image.open(shot) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is None or len(colours) > 50, "the screenshot is blank"


def _assert_self_contained(page: str) -> None:
    assert "<link" not in page.lower()
    assert not re.search(r"url\(", page), "a CSS url()"
    for src in re.findall(r"\bsrc\s*=\s*['\"]([^'\"]*)", page):
        assert src.startswith("data:image/png;base64,"), src[:80]


def test_builtin_report_renders_every_table_and_figure(builtin):
    page = (builtin / "report.html").read_text(encoding="utf-8")
    _assert_self_contained(page)
    title = "CART-SIE: built-in synthetic cohort"
    assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
    for heading in ("Methods", "Results", "Published versus reproduced", "Audit of the published numbers"):
        assert f"<h2>{heading}</h2>" in page, heading
    tables = sorted(p.stem for p in (builtin / "tables").glob("*.html"))
    figures = sorted(p.stem for p in (builtin / "figures").glob("*.png"))
    for name in tables:
        assert f"id='table-{name}'" in page, name
    for name in figures:
        assert f"id='fig-{name}'" in page, name
    assert "outside CI" in page and "simulated patients" in page  # the legend explains it
    md = (builtin / "report.md").read_text(encoding="utf-8")
    assert md.startswith(f"# {title}\n") and "## Published versus reproduced" in md
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium)")
    dom = _dom(builtin)
    _assert_rendered(dom)
    assert len(re.findall(r"<img\b", dom)) == len(figures)
    _assert_not_blank(builtin)


def test_own_data_report_is_titled_without_the_published_comparison(own):
    page = (own / "report.html").read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert "<title>My cohort</title>" in page and "<h1>My cohort</h1>" in page
    assert "Published versus reproduced" not in page and "Audit of the published numbers" not in page
    assert "<h2>Not estimable on this cohort</h2>" in page
    md = (own / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# My cohort\n") and "Published versus reproduced" not in md
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium)")
    _assert_rendered(_dom(own))
    _assert_not_blank(own)


def test_own_data_title_defaults_to_the_file_name_and_comparison_on_request(tmp_path):
    data, labs = example_path("example_patients.csv"), example_path("example_labs.csv")
    args = ["reproduce", "--data", str(data), "--labs", str(labs), "--out", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--item", "flow", "--compare-published"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>example_patients.csv</title>" in page
    assert "<h2>Published versus reproduced</h2>" in page


@needs_browser
def test_chromium_is_usable(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<!doctype html><html><body><p id='x'>ok</p></body></html>", encoding="utf-8")
    done = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0 and "ok" in done.stdout


def test_warnings_name_their_estimate_or_item():
    import pandas as pd

    from cartsie.study import report
    from cartsie.study._report_parts import warning_lines

    est = pd.DataFrame(
        {"id": ["surv.os.cox.ht"], "label": ["HR of OS, HT"], "note": [""], "estimable": [True]}
    )
    content = report.Content(
        "T", est, warnings=(("survival", "surv.os.cox.ht: did not converge"), ("spm", "a figure warning"))
    )
    assert warning_lines(content) == [
        "HR of OS, HT (surv.os.cox.ht): did not converge",
        "Second primary malignancies: a figure warning",
    ]
    assert "<h2>Warnings</h2>" in report.render_html(content)
