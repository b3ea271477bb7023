"""A worker's footprint: the libraries that only documents need are loaded when a document is made, not at start.

Each gunicorn worker builds its own app; a library imported by create_app costs every worker its
memory whether or not it ever writes a PDF, a DOCX, a workbook or a picture (issue 25: workers
under 150 MB). The check runs in a fresh interpreter, since the test process has imported everything.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Needed only to write a document, a workbook or a picture, or to drive a browser.
DOCUMENT_LIBRARIES = ("fpdf", "fontTools", "docx", "lxml", "openpyxl", "PIL", "qrcode", "playwright")

SCRIPT = """
import json, sys
from app import create_app

heavy = json.loads(sys.argv[2])
loaded = lambda: sorted(name for name in heavy if name in sys.modules)
app = create_app(json.loads(sys.argv[1]))
at_start = loaded()
client = app.test_client()
statuses = [client.get(path).status_code for path in ("/login", "/healthz", "/privacy")]
after_pages = loaded()

from app.core.documents import new_pdf
from app.core.exports import xlsx_bytes
xlsx_bytes(["a"], [[1]])
new_pdf().add_page()
print(json.dumps({"at_start": at_start, "statuses": statuses, "after_pages": after_pages, "after_documents": loaded()}))
"""


def run_fresh(schema, tmp_path) -> dict:
    settings = {"SQLALCHEMY_DATABASE_URI": schema, "SECRET_KEY": "x", "TESTING": True, "REDIS_URL": None,
                "RATELIMIT_STORAGE_URI": "memory://", "UPLOAD_FOLDER": str(tmp_path / "uploads"), "LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(settings), json.dumps(DOCUMENT_LIBRARIES)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_document_libraries_are_loaded_when_a_document_is_made_not_when_a_worker_starts(schema, tmp_path):
    seen = run_fresh(schema, tmp_path)
    assert seen["statuses"] == [200, 200, 200]
    assert seen["at_start"] == [], "imported by create_app: import it in the function that writes the document"
    assert seen["after_pages"] == []
    # The check does see a library once it is loaded: making a workbook and a PDF loads theirs.
    assert {"openpyxl", "fpdf"} <= set(seen["after_documents"])


def test_a_worker_leaves_what_start_up_built_out_of_the_garbage_collectors_walks(schema, tmp_path):
    """`gunicorn wsgi:app` imports wsgi: the app's start-up objects are frozen, the youngest generation
    collected every 5,000 allocations (app/core/heap.py), and cycles made later are still collected."""
    script = ("import gc, json, wsgi\n"
              "frozen, threshold = gc.get_freeze_count(), gc.get_threshold()\n"
              "class Cycle: pass\n"
              "a, b = Cycle(), Cycle(); a.other, b.other = b, a; del a, b\n"
              "print(json.dumps({'frozen': frozen, 'threshold': threshold, 'collected': gc.collect()}))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": schema, "SECRET_KEY": "x",
           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["frozen"] > 100_000, "the app's modules and libraries stay frozen in a worker"
    assert seen["threshold"][0] == 5000
    assert seen["collected"] >= 2
