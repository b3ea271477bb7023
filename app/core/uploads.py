"""Uploaded images: size-limited, sniffed by Pillow, re-encoded (no metadata), stored under random names."""
import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000          # far above any phone photo, far below a decompression bomb
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
COVER_SIZE = (1600, 1600)
THUMB_SIZE = (480, 480)


class UploadError(ValueError):
    """The upload was refused; the message says why, for the person who sent it."""


@dataclass
class StoredImage:
    name: str
    thumb_name: str
    digest: str


def store_image(stream, folder: Path) -> StoredImage:
    """Check and re-encode an uploaded image as JPEG (EXIF and GPS dropped), plus a thumbnail."""
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise UploadError(_("The image is larger than 5 MB."))
    if not raw:
        raise UploadError(_("The file is empty."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise UploadError(_("Upload a JPEG, PNG, WebP or GIF image."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise UploadError(_("The image has too many pixels."))
                probe.verify()
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
        except UploadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UploadError(_("The image has too many pixels.")) from None
        except UnidentifiedImageError:
            raise UploadError(_("This file is not an image we can read.")) from None
        except (OSError, SyntaxError, ValueError):
            raise UploadError(_("This file is not an image we can read.")) from None
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    cover = image.copy()
    cover.thumbnail(COVER_SIZE)
    encoded = io.BytesIO()
    cover.save(encoded, "JPEG", quality=85, optimize=True)   # no exif= argument: metadata is dropped
    (folder / f"{name}.jpg").write_bytes(encoded.getvalue())
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    thumb.save(folder / f"{name}-thumb.jpg", "JPEG", quality=80, optimize=True)
    return StoredImage(f"{name}.jpg", f"{name}-thumb.jpg", hashlib.sha256(encoded.getvalue()).hexdigest())
