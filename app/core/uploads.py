"""Uploaded images: bounded before decoding, rebuilt from their pixels alone, stored under random names.

Every image the platform keeps or shows from an upload (a contest cover and its thumbnail, a report's
attachment, a media clip's cover) and every brain-ring picture it projects goes through `rebuild_image`:
a new RGB image is drawn from the decoded pixels, so nothing else of the file survives — no EXIF or GPS,
no XMP, no ICC profile (the pixels are converted to sRGB first), no JPEG comment, no PNG text chunk,
no GIF comment, no second frame of an animation. The size is checked from the header before a single
pixel is decoded; JPEGs are decoded already reduced (DCT scaling), and the conversion to RGB and the
resizing run over bands of rows, so one upload never holds more than the decoded source, the result
and one band: at most 56 MB measured at the limits below (a 4096 × 2560 PNG with transparency), with 64 MB
asserted in tests/test_images.py.

Pillow is imported by the functions that decode or encode a picture, not when the app starts: most
workers never see an upload, and the library costs each of them megabytes (see README, Performance).
"""
import hashlib
import io
import math
import os
import secrets
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import gettext as _

if TYPE_CHECKING:
    from PIL import Image, ImageFile

MAX_BYTES = 5 * 1024 * 1024
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
COVER_SIZE = (1600, 1600)
THUMB_SIZE = (480, 480)
MAX_SIDE = 4096                        # decoded pixels on either side (after JPEG's reduced decoding)
MAX_DECODED_BYTES = 40 * 1024 * 1024   # of the decoded source, as Pillow keeps it in memory
BAND_ROWS = 32                         # rows of the result drawn at a time
LESSON_IMAGE_FOLDER = "lesson-images"   # lesson pictures, under the upload folder
RING_IMAGE_FOLDER = "ring-images"       # brain-ring pictures uploaded in the editor, under the upload folder
RING_IMAGE_PREFIX = "images/uploaded/"  # how a brain-ring set names such a picture (as under quizzes/)
# 2000-01-01 00:00 UTC: report attachments carry this time, not the time they were filed.
NEUTRAL_TIME = 946684800

# Pillow keeps 4 bytes for every pixel of an RGB, RGBA, CMYK or LA image; these modes take fewer.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
_PROFILE_MODES = {"RGB": "RGB", "CMYK": "CMYK", "GRAY": "L"}


def _orientations() -> dict:
    """EXIF orientation → the turn that puts the picture upright."""
    from PIL import Image

    return {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}


@cache
def _srgb():
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


class UploadError(ValueError):
    """The upload was refused; the message says why, for the person who sent it."""


@dataclass
class StoredImage:
    name: str
    thumb_name: str
    digest: str


def rebuild_image(raw: bytes, box: tuple[int, int] = COVER_SIZE) -> "Image.Image":
    """Return a new sRGB image, upright and within `box`, drawn from the pixels of `raw` and nothing else."""
    from PIL import Image, UnidentifiedImageError

    if len(raw) > MAX_BYTES:
        raise UploadError(_("The image is larger than 5 MB."))
    if not raw:
        raise UploadError(_("The file is empty."))
    with warnings.catch_warnings():
        # Pillow's own bomb warning is far above our limit; the check below is the one that counts.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as source:
                if source.format not in ACCEPTED_FORMATS:
                    raise UploadError(_("Upload a JPEG, PNG, WebP or GIF image."))
                return _redraw(source, box)
        except UploadError:
            raise
        except Image.DecompressionBombError:
            raise UploadError(_("The image has too many pixels. Send a smaller copy: a cover needs at most "
                                "%(side)d pixels on its longer side.", side=max(box))) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
            raise UploadError(_("This file is not an image we can read.")) from None


def _redraw(source: "ImageFile.ImageFile", box: tuple[int, int]) -> "Image.Image":
    from PIL import Image

    header_width, header_height = source.size
    if source.format == "JPEG":           # its EXIF comes with the header: nothing is decoded to read it
        source.draft(None, _fitted(source.size, _turned(box, _orientation(source))))   # 1/2, 1/4 or 1/8
    width, height = source.size
    if width > MAX_SIDE or height > MAX_SIDE or _decoding_bytes(source) > MAX_DECODED_BYTES:
        raise UploadError(_("The image has too many pixels (%(width)d × %(height)d). Send a smaller copy: a cover "
                            "needs at most %(side)d pixels on its longer side.",
                            width=header_width, height=header_height, side=max(box)))
    source.load()                         # the first frame only: an animation's other frames are never read
    orientation = _orientation(source)    # a PNG's EXIF may follow its pixels: read only now
    size = _fitted(source.size, _turned(box, orientation))
    to_srgb = _colour_transform(source)
    result = Image.new("RGB", size, "white")
    scale = height / size[1]
    margin = math.ceil(3 * max(scale, 1)) + 1   # rows the Lanczos filter reads beyond a band
    for top in range(0, size[1], BAND_ROWS):
        bottom = min(size[1], top + BAND_ROWS)
        first, last = top * scale, bottom * scale
        crop_top, crop_bottom = max(0, math.floor(first) - margin), min(height, math.ceil(last) + margin)
        band = _rgb(source.crop((0, crop_top, width, crop_bottom)), to_srgb)
        result.paste(band.resize((size[0], bottom - top), Image.Resampling.LANCZOS,
                                 box=(0, first - crop_top, width, last - crop_top)), (0, top))
    turns = _orientations()
    if orientation in turns:
        result = result.transpose(turns[orientation])
    result.info = {}
    return result


def _orientation(source: "Image.Image") -> int:
    from PIL import ExifTags

    return source.getexif().get(ExifTags.Base.Orientation, 1)


def _turned(box: tuple[int, int], orientation: int) -> tuple[int, int]:
    """The box to fit before a quarter turn, so that the turned picture fits `box`."""
    return (box[1], box[0]) if orientation in (5, 6, 7, 8) else box


def _decoding_bytes(source: "Image.Image") -> int:
    """The memory decoding takes: Pillow's bytes per pixel of the mode, four times over for WebP."""
    copies = 4 if source.format == "WEBP" else 1   # the WebP decoder keeps its canvas, a frame and a copy
    return source.width * source.height * _BYTES_PER_PIXEL.get(source.mode, 4) * copies


def _fitted(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1], 1)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _colour_transform(source: "Image.Image"):
    """A transform from the embedded ICC profile to sRGB, or None (no profile, or one we cannot use)."""
    from PIL import ImageCms

    embedded = source.info.get("icc_profile")
    if not embedded:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(embedded))
        mode = _PROFILE_MODES.get(profile.profile.xcolor_space.strip())
        if mode is None or (mode == "CMYK") != (source.mode == "CMYK"):
            return None
        return ImageCms.buildTransform(profile, _srgb(), mode, "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None   # an unreadable profile: the pixels are taken as sRGB, and the profile is dropped anyway


def _rgb(band: "Image.Image", to_srgb) -> "Image.Image":
    """The band in RGB: transparency laid on white, 16-bit grey scaled, colours converted to sRGB."""
    from PIL import Image, ImageCms

    if band.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        band = band.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if band.mode in ("RGBA", "LA", "PA") or (band.mode == "P" and "transparency" in band.info):
        band = band if band.mode == "RGBA" else band.convert("RGBA")
        flat = Image.new("RGB", band.size, "white")
        flat.paste(band, mask=band)
        band = flat
    if to_srgb is not None:
        if to_srgb.input_mode == "L":
            band = band.convert("L")
        elif to_srgb.input_mode == "RGB":
            band = band.convert("RGB")
        return ImageCms.applyTransform(band, to_srgb)
    return band.convert("RGB")


def jpeg_bytes(image: "Image.Image", quality: int = 85) -> bytes:
    """Encode a rebuilt image as a JPEG that holds nothing but its pixels."""
    image.info = {}                       # Pillow writes info["comment"] into a JPEG: only pixels go out
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=quality, optimize=True)
    return encoded.getvalue()


def store_image(stream, folder: Path, *, thumbnail: bool = True, neutral_time: bool = False) -> StoredImage:
    """Store an uploaded image rebuilt from its pixels (and its thumbnail) as JPEG under a random name."""
    cover = rebuild_image(stream.read(MAX_BYTES + 1), COVER_SIZE)
    encoded = jpeg_bytes(cover)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    written = [folder / f"{name}.jpg"]
    written[0].write_bytes(encoded)
    if thumbnail:
        from PIL import Image

        thumb = cover.resize(_fitted(cover.size, THUMB_SIZE), Image.Resampling.LANCZOS)
        written.append(folder / f"{name}-thumb.jpg")
        written[1].write_bytes(jpeg_bytes(thumb, quality=80))
    if neutral_time:
        # The reporting channel: neither a file nor its folder may tell when a report was filed.
        for path in (*written, folder):
            os.utime(path, (NEUTRAL_TIME, NEUTRAL_TIME))
    return StoredImage(written[0].name, written[1].name if thumbnail else "", hashlib.sha256(encoded).hexdigest())


def remove_stored(folder: Path, *names: str, neutral_time: bool = False) -> None:
    """Delete stored images by name (empty names are skipped)."""
    for name in names:
        if name:
            (folder / name).unlink(missing_ok=True)
    if neutral_time and folder.is_dir():
        os.utime(folder, (NEUTRAL_TIME, NEUTRAL_TIME))


# --- documents: evidence files (PDF, Word, Excel) and images, told apart by their bytes, never by their names ---

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024   # an Office file is a ZIP: refuse one that unpacks into a bomb
MAX_ZIP_MEMBERS = 2000
DOCUMENT_TYPES = {   # kind: (extension, MIME type, the extensions a name may carry for it)
    "pdf": ("pdf", "application/pdf", {"pdf"}),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx"}),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx"}),
    "image": ("jpg", "image/jpeg", {"jpg", "jpeg", "png", "webp", "gif"}),
}


@dataclass
class StoredDocument:
    name: str            # random, with the extension of the sniffed type
    thumb_name: str      # images only
    kind: str            # a key of DOCUMENT_TYPES
    mimetype: str
    size: int
    digest: str


def sniff_document(raw: bytes) -> str:
    """Return the kind of `raw` ('pdf', 'docx', 'xlsx' or 'image') from its bytes, or raise UploadError."""
    if raw.startswith(b"%PDF-"):
        if b"%%EOF" not in raw[-2048:]:
            raise UploadError(_("This PDF is incomplete or damaged."))
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        return _office_kind(raw)
    if raw[:3] == b"\xff\xd8\xff" or raw[:8] == b"\x89PNG\r\n\x1a\n" or raw[:6] in (b"GIF87a", b"GIF89a") \
            or (raw[:4] == b"RIFF" and raw[8:12] == b"WEBP"):
        return "image"
    raise UploadError(_("Upload a PDF, a Word (.docx) or Excel (.xlsx) file, or a JPEG, PNG, WebP or GIF image."))


def _office_kind(raw: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise UploadError(_("This file unpacks into far more than it weighs; it was refused."))
            names = {m.filename for m in members}
    except zipfile.BadZipFile:
        raise UploadError(_("This file is damaged: it could not be opened.")) from None
    if "[Content_Types].xml" in names and any(name.endswith("vbaProject.bin") for name in names):
        raise UploadError(_("Files with macros are not accepted: save it as .docx or .xlsx without macros."))
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx"
    raise UploadError(_("Upload a PDF, a Word (.docx) or Excel (.xlsx) file, or a JPEG, PNG, WebP or GIF image."))


def store_document(stream, filename: str, folder: Path) -> StoredDocument:
    """Store an uploaded document under a random name after checking that its bytes are what its name says.

    Images are rebuilt from their pixels (`rebuild_image`) and kept as JPEG with a thumbnail; PDF and
    Office files are kept as sent, once their kind is sniffed and agrees with the file's extension.
    """
    raw = stream.read(MAX_DOCUMENT_BYTES + 1)
    if not raw:
        raise UploadError(_("The file is empty."))
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise UploadError(_("The file is larger than 10 MB."))
    kind = sniff_document(raw)
    extension, mimetype, named_as = DOCUMENT_TYPES[kind]
    given = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if given not in named_as:
        raise UploadError(_("The file's content does not match its name (.%(extension)s).", extension=given or "?"))
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "image":
        stored = store_image(io.BytesIO(raw), folder)
        content = (folder / stored.name).read_bytes()
        return StoredDocument(stored.name, stored.thumb_name, kind, mimetype, len(content), stored.digest)
    name = f"{secrets.token_hex(16)}.{extension}"
    (folder / name).write_bytes(raw)
    return StoredDocument(name, "", kind, mimetype, len(raw), hashlib.sha256(raw).hexdigest())
