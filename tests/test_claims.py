"""The claims table (docs/claims.md) names, for each promise of the README, tests that exist."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "claims.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def claims(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(promise, [(file, test)]) for every row of the table after its header."""
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| ---", "| promise"))]
    return [(row.split(" | ")[0].strip("| "), REFERENCE.findall(row)) for row in rows]


def defined_tests(path: Path) -> set[str]:
    """The names of the test functions a file defines, at module level or in a class."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")}


def missing(table: str) -> list[str]:
    """Every problem of the table: a row without a test, a named test that does not exist."""
    problems, found = [], {}
    for promise, references in claims(table):
        if not references:
            problems.append(f"no test for: {promise}")
        for file, test in references:
            if file not in found:
                found[file] = defined_tests(ROOT / file) if (ROOT / file).is_file() else set()
            if test not in found[file]:
                problems.append(f"{file}::{test} does not exist ({promise})")
    return problems


def test_every_claim_names_tests_that_exist():
    rows = claims(TABLE.read_text(encoding="utf-8"))
    assert len(rows) >= 50
    assert missing(TABLE.read_text(encoding="utf-8")) == []


def test_the_check_fails_on_a_renamed_test_and_on_a_claim_without_a_test():
    table = ("| promise | tests |\n| --- | --- |\n"
             "| a real one | `tests/test_claims.py::test_every_claim_names_tests_that_exist` |\n"
             "| renamed | `tests/test_claims.py::test_that_was_renamed` |\n"
             "| gone | `tests/test_no_such_file.py::test_x` |\n"
             "| untested | nothing yet |\n")
    assert missing(table) == ["tests/test_claims.py::test_that_was_renamed does not exist (renamed)",
                              "tests/test_no_such_file.py::test_x does not exist (gone)",
                              "no test for: untested"]


def test_the_readme_points_to_the_claims_table():
    assert "docs/claims.md" in (ROOT / "README.md").read_text(encoding="utf-8")
