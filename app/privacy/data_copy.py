"""A person's own copy of their data: a ZIP with JSON for machines, an HTML summary for people, and
the files they uploaded. Built only from what each feature returns for that one person."""
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

from app.privacy import providers

# Where a feature's own files of the person live: (feature, list in its data, field, folder under uploads)
FILES = (("contests", "entries", "cover_file", "covers"), ("club", "clips", "cover_file", "clips"))


def collect(user_id: int) -> dict:
    """Everything the platform holds about the person, feature by feature."""
    return providers.personal_data_of(user_id)


def _files(data: dict, uploads: Path) -> list[tuple[str, Path]]:
    found = []
    for feature, listing, field, folder in FILES:
        for item in data.get(feature, {}).get(listing, []):
            name = item.get(field)
            if name and "/" not in name and (uploads / folder / name).is_file():
                found.append((f"files/{folder}/{name}", uploads / folder / name))
    return found


def build_zip(user_id: int, made_at: datetime, uploads: Path, summary_html) -> bytes:
    """Return the ZIP of the person's data; `summary_html(data)` renders the readable summary."""
    data = collect(user_id)
    document = {"made_at": made_at.isoformat(), "user_id": user_id, "data": data,
                "not_included": {"survey_answers": "anonymous: not linked to any person, so they cannot be found",
                                 "anonymous_reports": "not linked to any person, so they cannot be found"}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        archive.writestr("summary.html", summary_html(data))
        for name, path in _files(data, uploads):
            archive.write(path, name)
    return buffer.getvalue()
