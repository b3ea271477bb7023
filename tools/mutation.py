"""Mutation testing of the rule modules with mutmut: which small bugs would the tests let through?

    python tools/mutation.py                  # every rule module, then docs/mutation-report.md
    python tools/mutation.py scoring terms    # some of them (the report keeps the others' last figures)
    python tools/mutation.py --list           # the modules and the tests that guard them
    python tools/mutation.py --report         # rewrite the report from the last run's results
    python tools/mutation.py --collect audit-chain   # read a module's last mutmut run (say, one resumed
                                              # with `mutmut run` in .mutation/audit-chain) into the report

Each module is mutated in a scratch copy of the project (`.mutation/<module>/`, git-ignored), with
only the test files that exercise it, so a run stays cheap: mutmut runs, for each mutant, only
the tests that reach the mutated function, fastest first, and stops at the first failure.
A surviving mutant must either be killed by a new test or be listed in
`tools/mutation_equivalents.toml` with the reason it cannot change behaviour; the command exits
with status 1 when a module scores under 90% or a survivor is unexplained.

To add a module, add a line to MODULES: the file, the functions to mutate (None for all) and its
test files.
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
REPORT = ROOT / "docs" / "mutation-report.md"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
THRESHOLD = 90.0

# name: (file, functions to mutate or None for every function, test files)
MODULES = {
    "scoring": ("app/quizzes/scoring.py", None, ["tests/test_rules.py", "tests/test_quizzes.py"]),
    "aggregate": ("app/contests/aggregate.py", None, ["tests/test_rules.py", "tests/test_contest_rules.py"]),
    "assignment": ("app/contests/assignment.py", None, ["tests/test_rules.py", "tests/test_contest_rules.py"]),
    "terms": ("app/plan/terms.py", None, ["tests/test_rules.py", "tests/test_plan.py"]),
    "coverage-status": ("app/coverage/service.py", ["status_from", "status_of", "timing", "period_of"],
                        ["tests/test_rules.py", "tests/test_coverage.py"]),
    "xp-ledger": ("app/gamification/service.py",
                  ["record_xp", "reverse_xp", "xp_total", "level_for", "streak_weeks", "improvement_xp"],
                  ["tests/test_rules.py", "tests/test_gamification.py"]),
    # Not test_proxy.py's undeclared-proxy test: it reads a warning logged once per process, and
    # mutmut runs the tests again in the process that collected its statistics.
    "throttle": ("app/people/throttle.py", None, ["tests/test_rules.py", "tests/test_auth.py"] + [
        f"tests/test_proxy.py::{name}" for name in (
            "test_a_direct_client_is_limited_per_address", "test_the_limiter_store_holds_no_address_and_no_e_mail",
            "test_behind_a_trusted_proxy_one_client_is_throttled_and_the_others_sign_in",
            "test_the_proxy_chain_is_read_only_as_far_as_it_is_trusted")]),
    # The chain as the platform writes and checks it, and the tree, notes and proofs every verifier
    # shares. Left out: the Ed25519 reference arithmetic (its own test holds it to `cryptography`)
    # and the command's steps (check_live, check_export, main), which the tests run as an outsider
    # does, in a process of its own that mutmut cannot follow.
    "audit-chain": ("app/audit/service.py",
                    ["record", "_lock_head", "_daily_checkpoint", "_replay", "_check_checkpoints", "verify_chain",
                     "check_saved_checkpoint", "_checkpoint_at", "take_checkpoint", "consistency"],
                    ["tests/test_audit.py"]),
    "audit-checkpoint": ("app/audit/verify_audit.py",
                         ["canonical_entry", "legacy_hash", "check_event", "replay", "leaf_hash", "node_hash", "_split",
                          "tree_hash", "roots_at", "consistency_proof", "_subproof", "verify_consistency", "key_id",
                          "verifier_key", "parse_verifier_key", "note_body", "signature_line", "parse_checkpoint",
                          "verify_checkpoint"],
                         ["tests/test_audit.py"]),
    "survey-storage": ("app/surveys/service.py",
                       ["respond", "_seal", "_unseal", "_pool_key", "_pool", "_take_pool", "_write_responses",
                        "respondents", "waiting", "publish", "erase_arrival_order"],
                       ["tests/test_surveys.py"]),
}
COPIED = ["app", "tests", "migrations", "courses", "quizzes", "contests", "plans", "babel.cfg", "wsgi.py"]
# A mutant that makes a test run forever (an endless loop) is detected too: the run is stopped.
DETECTED = ("killed", "timeout")
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def mutmut_config(file: str, tests: list[str]) -> str:
    """The [tool.mutmut] table for one module's scratch copy."""
    lines = ["", "[tool.mutmut]", 'source_paths = ["app"]', f"only_mutate = [{json.dumps(file)}]",
             "pytest_add_cli_args_test_selection = " + json.dumps(tests),
             # The tests read the content folders next to tests/ (the project root in the copy).
             'also_copy = ["migrations", "courses", "quizzes", "contests", "plans", "babel.cfg", "wsgi.py"]',
             # mutmut runs and watches the tests in its own process: not in pytest-xdist's workers.
             'pytest_add_cli_args = ["-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", "-n", "0"]',
             "use_git_change_detection = false", "track_dependencies = false"]
    return "\n".join(lines) + "\n"


def prepare(name: str) -> Path:
    """Build `.mutation/<name>/`: a copy of the project with mutmut's table for this module."""
    file, _functions, tests = MODULES[name]
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.pyc", "node_modules")
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, work / item, ignore=ignore)
        else:
            shutil.copy2(source, work / item)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(pyproject + mutmut_config(file, tests), encoding="utf-8")
    return work


def patterns(name: str) -> list[str]:
    """mutmut's name patterns for the chosen functions (every function of the file when none are chosen)."""
    file, functions, _tests = MODULES[name]
    module = file[:-3].replace("/", ".")
    return [f"{module}.*"] if functions is None else [f"{module}.x_{f}__mutmut_*" for f in functions]


def run_module(name: str, children: int) -> dict:
    """Mutate one module, run its tests against every chosen mutant, and return the results."""
    file, _functions, _tests = MODULES[name]
    work = prepare(name)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DATABASE_URL", None)           # SQLite: every mutant's run owns its temporary database
    mutmut = [sys.executable, "-m", "mutmut"]
    chosen = patterns(name)
    print(f"== {name}: {file} {' '.join(chosen)}", flush=True)
    run = subprocess.run(mutmut + ["run", "--max-children", str(children), *chosen], cwd=work, env=env,
                         capture_output=True, text=True, check=False)
    (work / "mutmut.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    return collect(name)


def collect(name: str) -> dict:
    """Read the results of the last mutmut run in `.mutation/<name>/` (also one resumed by hand there)."""
    file, _functions, _tests = MODULES[name]
    work = WORK / name
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    mutmut = [sys.executable, "-m", "mutmut"]
    chosen = patterns(name)
    meta = json.loads((work / "mutants" / (file + ".meta")).read_text(encoding="utf-8"))
    names = sorted(n for n in meta["exit_code_by_key"] if any(fnmatch.fnmatch(n, p) for p in chosen))
    if not names:
        raise SystemExit(f"{name}: mutmut made no mutant; see {work / 'mutmut.log'}")
    results = {n: STATUS.get(meta["exit_code_by_key"].get(n), "suspicious") for n in names}
    survivors = {}
    for mutant, status in results.items():
        if status not in DETECTED:
            shown = subprocess.run(mutmut + ["show", mutant], cwd=work, env=env, capture_output=True, text=True)
            survivors[mutant] = {"status": status, "diff": diff_of(shown.stdout)}
    return {"file": file, "total": len(names), "killed": sum(s == "killed" for s in results.values()),
            "timeouts": sum(s == "timeout" for s in results.values()), "survivors": survivors}


def diff_of(shown: str) -> str:
    """The changed lines of `mutmut show` output, without the file headers."""
    keep = [line for line in shown.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join(keep)


def function_of(mutant: str) -> str:
    """The mutated function's name, from mutmut's name of the mutant."""
    match = re.search(r"(?:x_|ǁ)([A-Za-z_0-9]+?)__mutmut_\d+$", mutant)
    return match.group(1) if match else mutant


def explained(equivalents: dict, name: str, mutant: str, diff: str) -> str | None:
    """The recorded reason a survivor is equivalent, matched by function and changed lines."""
    for item in equivalents.get(name, []):
        if item["function"] == function_of(mutant) and normalise(item["diff"]) == normalise(diff):
            return item["reason"]
    return None


def normalise(diff: str) -> str:
    """The diff with its whitespace folded, so that a re-indented line still matches."""
    return "\n".join(" ".join(line.split()) for line in diff.strip().splitlines())


def earlier_report() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The committed report's table row and survivor sections of each module, by module name."""
    rows, details = {}, {}
    if not REPORT.exists():
        return rows, details
    text = REPORT.read_text(encoding="utf-8")
    for line in text.splitlines():
        match = re.match(r"\| ([a-z][a-z-]*) \| `", line)
        if match:
            rows[match.group(1)] = line
    _head, _marker, survivors = text.partition("\n## Survivors\n")
    for section in re.split(r"^(?=### )", survivors, flags=re.M):
        match = re.match(r"### ([a-z][a-z-]*): ", section)
        if match:
            details.setdefault(match.group(1), []).append(section.rstrip("\n") + "\n")
    return rows, details


def write_report(results: dict, equivalents: dict) -> list[str]:
    """Write docs/mutation-report.md; return the problems (low scores, unexplained survivors)."""
    problems, lines = [], [
        "# Mutation testing of the rule modules",
        "",
        "Made by `python tools/mutation.py` (mutmut). A mutant is a small deliberate bug (a flipped",
        "comparison, a changed constant, a dropped argument); it is *killed* when a test fails. Every",
        "survivor is explained below as equivalent: no input can tell it from the original (or, for a line",
        "only PostgreSQL reaches, that mutmut's SQLite run cannot; a PostgreSQL test kills it there). The score",
        "is the share of mutants detected (killed, or stopped in an endless loop).",
        "",
        "| module | file | mutants | killed | endless (stopped) | equivalent | unexplained | score |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    details, never_run = [], []
    earlier_rows, earlier_details = earlier_report()
    for name in MODULES:
        result = results.get(name)
        if result is None:
            # Not run here: keep the figures and survivors the committed report has for it.
            if name in earlier_rows:
                lines.append(earlier_rows[name])
                details += earlier_details.get(name, [])
            else:
                never_run.append(name)
            continue
        reasons = {m: explained(equivalents, name, m, s["diff"]) for m, s in result["survivors"].items()}
        unexplained = [m for m, reason in reasons.items() if reason is None]
        detected = result["killed"] + result.get("timeouts", 0)
        score = 100.0 * detected / result["total"] if result["total"] else 100.0
        lines.append(f"| {name} | `{result['file']}` | {result['total']} | {result['killed']} | "
                     f"{result.get('timeouts', 0)} | {len(reasons) - len(unexplained)} | {len(unexplained)} | "
                     f"{score:.1f}% |")
        if score < THRESHOLD:
            problems.append(f"{name}: score {score:.1f}% is under {THRESHOLD:.0f}%")
        for mutant, survivor in result["survivors"].items():
            reason = reasons[mutant]
            if reason is None:
                problems.append(f"{name}: {mutant} {survivor['status']}, unexplained")
            details.append(f"### {name}: `{function_of(mutant)}` ({survivor['status']})\n\n```diff\n{survivor['diff']}\n```\n\n"
                           + (f"Equivalent: {reason}\n" if reason else "**Unexplained: write a test that kills it.**\n"))
    if never_run:
        lines += ["", f"Not run yet: {', '.join(never_run)} (`python tools/mutation.py {' '.join(never_run)}`)."]
    lines += ["", "Left out on purpose: in `app/audit/verify_audit.py` the Ed25519 reference arithmetic (a test checks",
              "it against `cryptography` on valid and altered signatures) and the command's steps (`check_live`,",
              "`check_export`, `main`), which the tests run the way an outsider does, in a process of its own that",
              "mutmut cannot follow; in `app/surveys/service.py` the form parsing and the results (tested as pages).",
              "", "## Survivors", ""] + (details or ["None."]) + [""]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    return problems


def main() -> int:
    """Run the chosen modules (all by default), write the report, and fail on a weak module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], metavar="MODULE")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--max-children", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite the report from the last results (after explaining a survivor)")
    parser.add_argument("--collect", action="store_true",
                        help="read the chosen modules' results from their last mutmut run instead of running it")
    options = parser.parse_args()
    if options.list:
        for name, (file, functions, tests) in MODULES.items():
            print(f"{name:16} {file} {functions or ''} ← {' '.join(tests)}")
        return 0
    saved = WORK / "results.json"
    results = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else {}
    for name in [] if options.report else options.modules or list(MODULES):
        results[name] = collect(name) if options.collect else run_module(name, options.max_children)
        saved.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"   killed {results[name]['killed']} of {results[name]['total']}", flush=True)
    equivalents = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.exists() else {}
    problems = write_report(results, equivalents)
    print(f"report: {REPORT.relative_to(ROOT)}")
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
