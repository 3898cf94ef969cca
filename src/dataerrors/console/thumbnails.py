"""Render sample images as small PNG or JPEG files for the browser (Pillow)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

#: Images at most this many pixels on their longer edge stay PNG; larger ones become JPEG.
PNG_MAX_EDGE = 64
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Thumbnail:
    """An encoded image and its media type."""

    data: bytes
    media_type: str

    def __len__(self) -> int:
        return len(self.data)


class ImageUnreadableError(Exception):
    """The stored bytes or the logged file are not an image Pillow can read."""


def render_thumbnail(source: bytes | Path, size: int) -> Thumbnail:
    """Return the image ``source`` scaled down to fit ``size`` x ``size`` pixels (never up).

    Small images and grayscale, palette or transparent images (MNIST digits, masks) stay PNG, so
    their pixels stay exact. Larger colour photos become JPEG, which is much smaller for photos.
    The browser scales small images up.
    """
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("L", "LA", "RGB", "RGBA", "P"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            image.thumbnail((size, size), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            if max(image.size) <= PNG_MAX_EDGE or image.mode in ("L", "LA", "P", "RGBA"):
                image.save(buffer, format="PNG")
                return Thumbnail(buffer.getvalue(), "image/png")
            image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
            return Thumbnail(buffer.getvalue(), "image/jpeg")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise ImageUnreadableError(str(error)) from error
