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
