"""Backup and restore: back up, change data, restore, find the old state again."""
import tarfile

from sqlalchemy import func, select

from app.extensions import db
from app.people.models import User


def test_backup_change_restore(app, runner, make_user, tmp_path):
    make_user("kept@uni.test", name="Kept Person")
    uploads = tmp_path / "uploads"
    (uploads / "covers").mkdir(parents=True)
    (uploads / "covers" / "a.jpg").write_bytes(b"original")
    app.config["UPLOAD_FOLDER"] = str(uploads)
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    archive = result.output.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "database", "uploads/covers/a.jpg"} <= set(tar.getnames())

    make_user("later@uni.test")
    db.session.execute(User.__table__.update().values(full_name="Changed"))
    db.session.commit()
    (uploads / "covers" / "a.jpg").write_bytes(b"changed")
    (uploads / "covers" / "b.jpg").write_bytes(b"new")

    result = runner.invoke(args=["restore", archive])
    assert result.exit_code == 0, result.output
    db.session.remove()
    names = db.session.execute(select(User.full_name)).scalars().all()
    assert names == ["Kept Person"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert (uploads / "covers" / "a.jpg").read_bytes() == b"original"
    assert not (uploads / "covers" / "b.jpg").exists()


def test_a_damaged_archive_is_refused(app, runner, tmp_path):
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    result = runner.invoke(args=["restore", str(tmp_path / "junk.tar.gz")])
    assert result.exit_code == 1 and "is not a backup archive" in result.output
