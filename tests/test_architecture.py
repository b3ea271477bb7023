"""The layers hold: import-linter's contracts pass, and no import hides inside a function outside the factory."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
HIDDEN_IMPORT = re.compile(r"^\s+from app\.")


def test_import_linter_contracts_are_kept():
    """Layers (core → … → CLI) and independent features, as pyproject.toml writes them."""
    command = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def hidden_imports(root: Path) -> list[str]:
    """Where `grep -rn "^\\s\\+from app\\." app` finds an indented import of our own code."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if HIDDEN_IMPORT.match(line):
                found.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()}")
    return found


def test_only_the_factory_imports_inside_functions():
    """An import inside a function hides a dependency; only the app factory's registrations may."""
    outside = [line for line in hidden_imports(APP) if not line.startswith("app/__init__.py:")]
    assert outside == []


def test_the_check_finds_a_hidden_import(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "feature.py").write_text("def f():\n    from app.other import x\n    return x\n")
    assert hidden_imports(tmp_path / "app") == ["app/feature.py:2: from app.other import x"]
