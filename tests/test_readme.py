"""The README's two commands exist and CI runs the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_has_a_main_job_line_and_a_test_line():
    main_job, test = commands()[:2]
    assert main_job.startswith("python3 -m venv") and "pip install ." in main_job and "cartsie" in main_job
    assert test.startswith("python3 -m venv") and 'pip install ".[test]"' in test
    assert test.endswith("python -m pytest -q")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == commands()[1]
    assert "set -euo pipefail" in ci


def test_readme_schema_tables_match_the_code():
    from cartsie.cohort import schema

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for table in ("patients", "labs"):
        block = re.search(rf"<!-- schema:{table} -->\n(.*?)<!-- /schema -->", text, re.S).group(1)
        assert block.strip() == schema.describe(table), f"regenerate the {table} schema table in the README"


def test_readme_examples_run_as_doctests():
    """Every ```pycon block of the README runs and prints what it shows."""
    import doctest

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.+?)```", text, re.S)
    assert blocks, "the README has doctest examples"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for k, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README block {k}", "README.md", 0))
    assert runner.summarize(verbose=False).failed == 0
