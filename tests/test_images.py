"""Uploaded images: rebuilt from their pixels alone on every path, bounded before decoding, kept across a
refused entry, replaced covers deleted, report files timeless."""
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import func, select, text

from app.brainring import service as ring_service
from app.brainring.models import RingSet
from app.contests.models import Entry, PendingCover
from app.core import uploads
from app.extensions import db
from app.reports.models import ReportAttachment

ROOT = Path(__file__).resolve().parent.parent
MARKER = "Aigerim Nurlanova aigerim@example.kz"
DURING_ENTRIES = datetime(2024, 11, 1, 12, 0)
SPOTS = [MARKER.encode("utf-8"), MARKER.encode("utf-16-le"), MARKER.encode("utf-16-be"), b"aigerim@example.kz"]
# What a JPEG made of pixels alone consists of: JFIF header, quantisation and Huffman tables, frame, scan.
PIXEL_SEGMENTS = {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD}


# --- images carrying every kind of metadata Pillow can write --------------------------------------

def icc_profile(*, swap_red_and_blue=False) -> bytes:
    """An sRGB profile with the marker appended (and, if asked, red and blue primaries exchanged)."""
    raw = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = int.from_bytes(raw[128:132], "big")
    entries = {bytes(raw[132 + 12 * i:136 + 12 * i]): 132 + 12 * i for i in range(count)}
    if swap_red_and_blue:
        red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
        raw[red + 4:red + 12], raw[blue + 4:blue + 12] = raw[blue + 4:blue + 12], raw[red + 4:red + 12]
    raw += MARKER.encode()
    raw[0:4] = len(raw).to_bytes(4, "big")
    return bytes(raw)


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = MARKER                                     # ImageDescription
    exif[0x013B] = MARKER                                     # Artist
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 57.0, 0.0)}   # GPS: Almaty
    return exif


XMP = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{MARKER}</dc:creator>'
       f'</rdf:Description></rdf:RDF></x:xmpmeta>')


def picture(size=(320, 240)) -> Image.Image:
    image = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), Image.new("L", size, 90)))


def planted() -> dict[str, bytes]:
    """A JPEG, a PNG, an animated GIF and a WebP, each with every metadata kind its format carries."""
    files = {}
    buffer = io.BytesIO()
    picture().save(buffer, "JPEG", exif=exif_with_gps(), icc_profile=icc_profile(), comment=MARKER, xmp=XMP.encode())
    files["jpeg"] = buffer.getvalue()
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("comment", MARKER)                          # tEXt
    chunks.add_text("Author", MARKER, zip=True)                 # zTXt
    chunks.add_itxt("Description", MARKER, lang="kk", tkey=MARKER)   # iTXt
    chunks.add_itxt("XML:com.adobe.xmp", XMP)                   # XMP, the PNG way
    buffer = io.BytesIO()
    picture().save(buffer, "PNG", pnginfo=chunks, exif=exif_with_gps(), icc_profile=icc_profile())
    files["png"] = buffer.getvalue()
    frames = [picture().convert("P"), Image.new("RGB", (320, 240), (0, 0, 255)).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], comment=MARKER, duration=200, loop=0)
    files["gif"] = buffer.getvalue()
    buffer = io.BytesIO()
    picture().save(buffer, "WEBP", exif=exif_with_gps(), icc_profile=icc_profile(), xmp=XMP.encode())
    files["webp"] = buffer.getvalue()
    for name, data in files.items():      # the test means something only if the marker is really there
        assert name in ("png", "webp") or MARKER.encode() in data
    return files


def assert_pixels_alone(data: bytes, where: str) -> None:
    """The bytes are a JPEG of JFIF, tables, frame and scan only, and hold no trace of the marker."""
    for spot in SPOTS:
        assert spot not in data, f"the marker survives in {where}"
    assert data[:2] == b"\xff\xd8" and data.endswith(b"\xff\xd9"), f"{where} is not one plain JPEG"
    at = 2
    while data[at + 1] != 0xDA:                                 # walk the segments up to the scan
        assert data[at] == 0xFF, f"{where}: broken segment list"
        marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        assert marker in PIXEL_SEGMENTS, f"{where} carries segment 0x{marker:02X} (metadata)"
        if marker == 0xE0:
            assert data[at + 4:at + 9] == b"JFIF\x00", f"{where} carries an APP0 other than JFIF"
        at += 2 + length
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and not image.getexif() and not image.applist[1:]
        assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}, where


def all_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def content(app, tmp_path, runner):
    for folder in ("plans", "contests"):
        (tmp_path / folder).mkdir()
    (tmp_path / "plans" / "ktu-2024-2025.toml").write_bytes((ROOT / "plans" / "ktu-2024-2025.toml").read_bytes())
    (tmp_path / "contests" / "tiktok-2024-2025.toml").write_bytes(
        (ROOT / "contests" / "tiktok-2024-2025.toml").read_bytes())
    clock = {"now": DURING_ENTRIES}
    app.config.update(CONTENT_FOLDER=str(tmp_path), UPLOAD_FOLDER=str(tmp_path / "uploads"),
                      NOW_FUNCTION=lambda: clock["now"])
    assert runner.invoke(args=["load-content"]).exit_code == 0
    return clock


def upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def enter_video(client, cover=None, *, url="https://vm.tiktok.com/ZMabc123/", title="The gift", kept="",
                code=None, filename="cover.png"):
    data = {"title": title, "video_url": url, "description": "A minute about a gift.", "action": "submit",
            "pending_cover": kept}
    if cover is not None:
        data["cover"] = (io.BytesIO(cover), filename)
    target = f"/contests/entries/{code}/edit" if code else "/contests/tiktok-2024-2025/enter"
    return client.post(target, data=data, content_type="multipart/form-data")


def kept_token(page: str) -> str:
    match = re.search(r'name="pending_cover" value="([^"]+)"', page)
    assert match, "the page does not carry the kept cover"
    return match.group(1)


def png(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


# --- nothing but pixels, on every path -----------------------------------------------------------

def test_no_metadata_survives_in_any_stored_or_served_byte_of_any_upload_path(app, content, client, auth, make_user):
    files = planted()
    make_user("aruzhan@uni.test", name="Aruzhan Bekova")
    make_user("acs@uni.test", roles=("admin", "staff"))
    served: dict[str, bytes] = {}

    # contest covers (and their thumbnails): one entry per file, each by its own author
    codes = []
    for index, (kind, data) in enumerate(files.items()):
        make_user(f"author{index}@uni.test", name=f"Author Number{index}")
        auth.login(f"author{index}@uni.test")
        response = enter_video(client, data, url=f"https://vm.tiktok.com/ZMabc12{index}/", filename=f"{MARKER}.{kind}")
        assert response.status_code == 302, (kind, response.get_data(as_text=True))
        code = db.session.execute(select(Entry.code).where(Entry.title == "The gift")
                                  .order_by(Entry.id.desc())).scalars().first()
        codes.append(code)
        for size in ("cover", "thumb"):
            served[f"{kind} entry {size}"] = client.get(f"/contests/entries/{code}/{size}.jpg")
        auth.logout()

    # report attachments: four with the report, one more in a follow-up
    page = client.post("/report", data={
        "category": "bribe", "what": "The dean's secretary asked for money to sign my transfer.", "anonymous": "1",
        "attachments": [(io.BytesIO(data), f"{MARKER}.{kind}") for kind, data in files.items()]},
        content_type="multipart/form-data").get_data(as_text=True)
    code, passphrase = re.findall(r'<code class="big">([A-Z0-9-]+)</code>', page)[:2]
    assert client.post("/report/follow", data={"code": code, "passphrase": passphrase}).status_code == 302
    assert client.post("/report/case", data={"body": "One more photo.", "attachments": [
        (io.BytesIO(files["jpeg"]), f"{MARKER}.jpg")]}, content_type="multipart/form-data").status_code == 302
    attachments = db.session.execute(select(ReportAttachment)).scalars().all()
    assert len(attachments) == 5
    for attachment in attachments:
        served[f"report file {attachment.id}"] = client.get(f"/report/case/files/{attachment.id}.jpg")

    # media clip covers, and the contest covers as the ACS sees them
    auth.login("acs@uni.test")
    for index, (kind, data) in enumerate(files.items()):
        response = client.post("/media/new", data={
            "title": f"Clip {kind}", "url": f"https://youtu.be/dQw4w9WgXc{index}", "credits": "",
            "cover": (io.BytesIO(data), f"{MARKER}.{kind}")}, content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)
    for clip_id in db.session.execute(text("SELECT id FROM clips")).scalars():
        for size in ("cover", "thumb"):
            served[f"clip {clip_id} {size}"] = client.get(f"/media/{clip_id}/{size}.jpg")
    for attachment in attachments:
        served[f"report file {attachment.id} (ACS)"] = client.get(f"/admin/reports/files/{attachment.id}.jpg")

    stored = all_files(upload_folder(app))
    assert len(stored) == 4 * 2 + 5 + 4 * 2               # covers and thumbnails, attachments, clip covers
    for path in stored:
        assert_pixels_alone(path.read_bytes(), str(path.relative_to(upload_folder(app))))
    assert len(served) == 4 * 2 + 5 * 2 + 4 * 2
    for where, response in served.items():
        assert response.status_code == 200, where
        assert_pixels_alone(response.data, where)
        assert not any(spot.decode("latin-1") in str(response.headers) for spot in SPOTS[:1]), where
    for table in db.metadata.sorted_tables:                 # nor did the file names reach the database
        for row in db.session.execute(table.select()):
            assert MARKER not in str(tuple(row)), table.name


def test_the_projected_brain_ring_picture_is_rebuilt_from_its_pixels(app, tmp_path, make_user, client, auth):
    images = tmp_path / "quizzes" / "images" / "ring"
    images.mkdir(parents=True)
    (images / "receipt.png").write_bytes(planted()["png"])
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    host = make_user("host@uni.test", roles=("curator", "staff"))
    ring_set = RingSet(slug="pictures", title="Pictures", questions=[
        {"key": "q", "text": "What is shown?", "options": ["A receipt", "A bribe"], "answer": 0, "seconds": 20,
         "image": "images/ring/receipt.png"}])
    db.session.add(ring_set)
    db.session.commit()
    game = ring_service.open_game(host, ring_set, "", datetime(2025, 10, 9, 10, 0))
    auth.login("host@uni.test")
    response = client.get(f"/ring/{game.code}/images/0")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert_pixels_alone(response.data, "the projected picture")


def test_colours_are_converted_to_srgb_before_the_profile_is_dropped():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (255, 0, 0)).save(buffer, "PNG", icc_profile=icc_profile(swap_red_and_blue=True))
    rebuilt = uploads.rebuild_image(buffer.getvalue())
    red, green, blue = rebuilt.getpixel((20, 15))          # the profile says this "red" is sRGB's blue
    assert blue > 240 and red < 15 and green < 15
    assert rebuilt.info == {}


def test_an_animation_is_stored_as_its_first_frame_and_a_turned_photo_upright():
    frames = [Image.new("RGB", (60, 40), (255, 255, 255)).convert("P"), Image.new("RGB", (60, 40), (0, 0, 0)).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert uploads.rebuild_image(buffer.getvalue()).getpixel((30, 20)) == (255, 255, 255)
    exif = Image.Exif()
    exif[0x0112] = 6                                        # the camera was held on its side
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, "JPEG", exif=exif)
    assert uploads.rebuild_image(buffer.getvalue()).size == (200, 300)


# --- bounded decoding --------------------------------------------------------------------------------

MEASURE = textwrap.dedent("""
    import io, json, os, resource, sys
    from pathlib import Path
    from PIL import Image
    from app.core.uploads import UploadError, store_image

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for warm_up in ("PNG", "JPEG", "WEBP", "GIF"):     # load every codec before measuring
        sample = io.BytesIO()
        Image.new("RGB", (64, 48), "red").save(sample, warm_up)
        sample.seek(0)
        store_image(sample, Path(sys.argv[1]))
    sys.stdout.flush()
    for image in sys.argv[2:]:
        # Each upload in a child of its own, with nothing left over from the image before. Linux does not pass
        # the parent's peak on to a child: its ru_maxrss starts from the memory it holds at the fork, so the
        # growth counts from there, not from the higher peak that loading the application reached.
        child = os.fork()
        if child == 0:
            before = peak_mb()
            try:
                with open(image, "rb") as upload:
                    store_image(upload, Path(sys.argv[1]))
                outcome = "stored"
            except UploadError as error:
                outcome = str(error)
            print(json.dumps([image, round(peak_mb() - before, 1), outcome]), flush=True)
            os._exit(0)
        assert os.waitpid(child, 0)[1] == 0, image
""")


def hostile_images(folder: Path) -> dict[str, Path]:
    """The audit's 6300×6300 PNG, and the largest images of each kind that are accepted."""
    made = {}

    def save(name, image, fmt, **options):
        made[name] = folder / name
        image.save(made[name], fmt, **options)

    save("6300x6300.png", Image.new("1", (6300, 6300)), "PNG")
    save("6300x6300-rgb.png", Image.new("RGB", (6300, 6300)), "PNG")
    save("4096x2560-rgba.png", Image.new("RGBA", (4096, 2560), (200, 10, 10, 128)), "PNG")
    save("4096x4096-palette.png", Image.new("P", (4096, 4096)), "PNG", transparency=0)
    save("4096x4096.gif", Image.new("P", (4096, 4096)), "GIF", transparency=0)
    save("2048x1280-rgba.webp", Image.new("RGBA", (2048, 1280), (200, 10, 10, 128)), "WEBP")
    save("8000x6000.jpg", Image.new("L", (8000, 6000), 128), "JPEG")     # a 48-megapixel phone photo
    return made


def test_one_upload_of_a_hostile_image_holds_less_than_64_mb(tmp_path):
    """Each image is stored in a process of its own that has loaded the application and every codec, and
    measured by how much that process's peak memory grew (the application is loaded once and forked)."""
    images = hostile_images(tmp_path)
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "stored"), *map(str, images.values())],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = {Path(path).name: (grown, outcome) for path, grown, outcome in map(json.loads, run.stdout.splitlines())}
    assert set(results) == set(images)
    assert {name: outcome for name, (_, outcome) in results.items() if outcome != "stored"} == {
        "6300x6300.png": uploads_refusal(6300, 6300), "6300x6300-rgb.png": uploads_refusal(6300, 6300)}
    assert {name: grown for name, (grown, _) in results.items() if grown >= 64} == {}
    assert results["6300x6300.png"][0] < 5                     # refused from its header: nothing decoded


def uploads_refusal(width, height) -> str:
    return (f"The image has too many pixels ({width} × {height}). Send a smaller copy: a cover needs at most "
            f"1600 pixels on its longer side.")


def test_a_6300_pixel_png_is_refused_on_the_form_and_what_was_typed_is_kept(app, content, client, auth, make_user):
    make_user("aruzhan@uni.test")
    auth.login("aruzhan@uni.test")
    bomb = io.BytesIO()
    Image.new("1", (6300, 6300)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 10_000
    response = enter_video(client, bomb.getvalue(), title="Honest hands")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "too many pixels (6300 × 6300)" in page and 'id="cover-error"' in page
    assert 'value="Honest hands"' in page and "https://vm.tiktok.com/ZMabc123/" in page
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0 and not all_files(upload_folder(app))


# --- a cover kept across a refused entry; a replaced cover deleted -----------------------------------

def test_a_refused_entry_keeps_its_cover_for_the_next_try(app, content, client, auth, make_user):
    make_user("aruzhan@uni.test")
    auth.login("aruzhan@uni.test")
    refused = enter_video(client, png(), url="https://www.youtube.com/watch?v=abc")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Paste a TikTok video link" in page
    token = kept_token(page)
    assert f'src="/contests/covers/kept/{token}.jpg"' in page and "you need not choose it again" in page
    assert client.get(f"/contests/covers/kept/{token}.jpg").status_code == 200
    accepted = enter_video(client, kept=token)                 # the right link, and no file chosen again
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    entry = db.session.execute(select(Entry)).scalar_one()
    assert entry.status == "submitted" and entry.cover_file
    assert {path.name for path in all_files(upload_folder(app))} == {entry.cover_file, entry.thumb_file}
    assert db.session.scalar(select(func.count()).select_from(PendingCover)) == 0
    assert client.get(f"/contests/covers/kept/{token}.jpg").status_code == 404


def test_a_newer_file_replaces_the_kept_cover_and_the_old_one_leaves_the_disk(app, content, client, auth, make_user):
    make_user("aruzhan@uni.test")
    auth.login("aruzhan@uni.test")
    first = kept_token(enter_video(client, png(colour=(200, 30, 30)), url="not a link").get_data(as_text=True))
    second = kept_token(enter_video(client, png(colour=(30, 30, 200)), url="still not a link", kept=first)
                        .get_data(as_text=True))
    assert second != first and len(all_files(upload_folder(app))) == 2
    assert enter_video(client, kept=second).status_code == 302
    entry = db.session.execute(select(Entry)).scalar_one()
    with Image.open(upload_folder(app) / "covers" / entry.cover_file) as cover:
        assert cover.getpixel((10, 10))[2] > 150                 # the blue one, chosen last
    assert {path.name for path in all_files(upload_folder(app))} == {entry.cover_file, entry.thumb_file}


def test_a_kept_cover_is_never_given_to_anyone_but_its_uploader(app, content, client, auth, make_user):
    make_user("aruzhan@uni.test")
    make_user("timur@uni.test", name="Timur Akhmetov")
    auth.login("aruzhan@uni.test")
    token = kept_token(enter_video(client, png(), url="not a link").get_data(as_text=True))
    auth.logout()
    assert client.get(f"/contests/covers/kept/{token}.jpg").status_code in (302, 401)
    auth.login("timur@uni.test")
    assert client.get(f"/contests/covers/kept/{token}.jpg").status_code == 404
    stolen = enter_video(client, kept=token)
    assert stolen.status_code == 422 and "Add a cover image" in stolen.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert db.session.execute(select(PendingCover)).scalar_one().token == token


def test_a_kept_cover_expires_after_a_day_with_its_files(app, content, client, auth, make_user):
    make_user("aruzhan@uni.test")
    make_user("timur@uni.test", name="Timur Akhmetov")
    auth.login("aruzhan@uni.test")
    token = kept_token(enter_video(client, png(), url="not a link").get_data(as_text=True))
    assert len(all_files(upload_folder(app))) == 2
    content["now"] = DURING_ENTRIES + timedelta(hours=25)
    assert "Add a cover image" in enter_video(client, kept=token).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PendingCover)) == 0
    assert not all_files(upload_folder(app))


def test_a_cover_replaced_by_an_edit_leaves_the_disk(app, content, client, auth, make_user):
    make_user("aruzhan@uni.test")
    auth.login("aruzhan@uni.test")
    assert enter_video(client, png(colour=(200, 30, 30))).status_code == 302
    entry = db.session.execute(select(Entry)).scalar_one()
    first = {entry.cover_file, entry.thumb_file}
    assert enter_video(client, png(colour=(30, 30, 200)), code=entry.code).status_code == 302
    db.session.refresh(entry)
    assert {entry.cover_file, entry.thumb_file}.isdisjoint(first)
    assert {path.name for path in all_files(upload_folder(app))} == {entry.cover_file, entry.thumb_file}


# --- the reporting channel's files tell no time -------------------------------------------------------

STORY = "The dean's secretary asked for money to sign my transfer."


def test_report_files_and_their_folder_carry_no_filing_time(app, client):
    page = client.post("/report", data={"category": "bribe", "what": STORY, "attachments": [
        (io.BytesIO(png()), "a.png")]}, content_type="multipart/form-data").get_data(as_text=True)
    code, passphrase = re.findall(r'<code class="big">([A-Z0-9-]+)</code>', page)[:2]
    client.post("/report/follow", data={"code": code, "passphrase": passphrase})
    client.post("/report/case", data={"body": "And this.", "attachments": [(io.BytesIO(png()), "b.png")]},
                content_type="multipart/form-data")
    folder = upload_folder(app) / "reports"
    files = all_files(folder)
    assert len(files) == 2
    for path in (*files, folder):
        assert os.stat(path).st_mtime == uploads.NEUTRAL_TIME, path.name   # 2000-01-01 00:00 UTC


def test_no_file_outlives_a_refused_report(app, client):
    refused = client.post("/report", data={"category": "bribe", "what": STORY, "attachments": [
        (io.BytesIO(png()), "a.png"), (io.BytesIO(b"%PDF-1.4 not an image"), "scan.pdf")]},
        content_type="multipart/form-data")
    assert "not an image we can read" in refused.get_data(as_text=True)
    assert not all_files(upload_folder(app))
