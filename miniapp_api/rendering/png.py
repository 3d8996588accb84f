"""PNG backend: draws a ``Page`` with Pillow."""

from __future__ import annotations

import functools
import io
import math
import threading
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageFont

from .fonts import FontFace, FontSet, on_font_reset
from .layout import Group, Line, Page, Polygon, QRCode, Rect, Ring, Text

_ANCHORS = {"l": "ls", "c": "ms", "r": "rs"}
SUPERSAMPLE = 3  # for groups with rings/polygons (the seal): smooth edges


# Font objects are shared by threads: with the GIL, Pillow never uses one
# FT_Face from two threads at once (free-threaded builds lock per font).
# Each is a FreeType face of ~1 MB; the documents use about 25 sizes.
@functools.lru_cache(maxsize=32)
def _pil_font(path: str, index: int, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size_px, index=index, layout_engine=ImageFont.Layout.BASIC)


def pil_font(face: FontFace, size_px: float) -> ImageFont.FreeTypeFont:
    return _pil_font(face.path, face.index, round(size_px * 4) / 4)


@functools.lru_cache(maxsize=256)
def _rotated_text(
    face: FontFace, text: str, size_px: float, angle: float, align: str
) -> tuple[Image.Image, int, int]:
    """An L mask of rotated text and the position of its anchor in the mask."""
    font = pil_font(face, size_px)
    anchor = _ANCHORS[align]
    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    reach = math.ceil(math.hypot(max(-left, right), max(-top, bottom))) + 2
    side = 2 * reach
    tile = Image.new("L", (side, side), 0)
    ImageDraw.Draw(tile).text((reach, reach), text, font=font, fill=255, anchor=anchor)
    if angle:
        tile = tile.rotate(angle, resample=Image.Resampling.BICUBIC, center=(reach, reach))
    box = tile.getbbox() or (0, 0, 1, 1)
    return tile.crop(box), reach - box[0], reach - box[1]


def _draw_mask_text(
    mask: Image.Image, item: Text, fonts: FontSet, x: float, y: float, px: float
) -> None:
    face = fonts.face(item.bold)
    size_px = item.size / 72 * 25.4 * px
    if item.angle:
        tile, ax, ay = _rotated_text(
            face, item.text, round(size_px * 4) / 4, item.angle, item.align
        )
        mask.paste(255, (round(x) - ax, round(y) - ay), tile)
    else:
        ImageDraw.Draw(mask).text(
            (x, y), item.text, font=pil_font(face, size_px), fill=255, anchor=_ANCHORS[item.align]
        )


class _MaskCache:
    """Recent group masks, bounded by their total size (the seal is ~50 KB, a full-page
    watermark ~2 MB at 150 dpi and there is one per purpose: an entry count alone would let a
    worker keep 30 MB of watermarks; drawing one again from the cached text tiles takes ~5 ms).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Group, FontSet, float], tuple[Image.Image, int, int]]
        self._items = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, group: Group, fonts: FontSet, dpi: float) -> tuple[Image.Image, int, int]:
        key = (group, fonts, dpi)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        value = _draw_group_mask(group, fonts, dpi)
        size = value[0].width * value[0].height
        if size <= self.max_bytes:
            with self._lock:
                if key not in self._items:
                    self._items[key] = value
                    self._size += size
                while self._size > self.max_bytes:
                    _, (mask, _x, _y) = self._items.popitem(last=False)
                    self._size -= mask.width * mask.height
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    @property
    def size(self) -> int:
        return self._size


MASK_CACHE_BYTES = 6 * 1024 * 1024  # two or three watermarks and the seals
_masks = _MaskCache(MASK_CACHE_BYTES)


def _group_mask(group: Group, fonts: FontSet, dpi: float) -> tuple[Image.Image, int, int]:
    return _masks.get(group, fonts, dpi)


def _draw_group_mask(group: Group, fonts: FontSet, dpi: float) -> tuple[Image.Image, int, int]:
    """The group's coverage as an L mask (opacity applied) and its page position."""
    px = dpi / 25.4
    bx, by, bw, bh = group.box
    origin_x, origin_y = round(bx * px), round(by * px)
    width, height = max(1, round(bw * px)), max(1, round(bh * px))
    ss = SUPERSAMPLE if any(not isinstance(i, Text) for i in group.items) else 1
    spx = px * ss
    mask = Image.new("L", (width * ss, height * ss), 0)
    draw = ImageDraw.Draw(mask)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x * px - origin_x) * ss, (y * px - origin_y) * ss

    for item in group.items:
        if isinstance(item, Text):
            _draw_mask_text(mask, item, fonts, *at(item.x, item.y), spx)
        elif isinstance(item, Ring):
            cx, cy = at(item.cx, item.cy)
            outer = (item.r + item.width / 2) * spx
            draw.ellipse(
                (cx - outer, cy - outer, cx + outer, cy + outer),
                outline=255,
                width=max(1, round(item.width * spx)),
            )
        elif isinstance(item, Polygon):
            draw.polygon([at(x, y) for x, y in item.points], fill=255)
    if ss > 1:
        mask = mask.reduce(ss)
    if group.opacity < 1:
        lut = [round(v * group.opacity) for v in range(256)]
        mask = mask.point(lut)
    return mask, origin_x, origin_y


@functools.lru_cache(maxsize=2)  # every document has its own code: only PNG + PDF of one
def _qr_image(matrix: tuple[tuple[bool, ...], ...], module_px: int) -> Image.Image:
    n = len(matrix)
    data = bytes(0 if dark else 255 for row in matrix for dark in row)
    small = Image.frombytes("L", (n, n), data)
    return small.resize((n * module_px, n * module_px), Image.Resampling.NEAREST)


def qr_image(op: QRCode, module_px: int) -> Image.Image:
    return _qr_image(op.matrix, module_px)


def render_page(page: Page, fonts: FontSet, dpi: float) -> Image.Image:
    """Draw the page onto a white RGB image at ``dpi``."""
    px = dpi / 25.4
    size = (round(page.width * px), round(page.height * px))
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for op in page.ops:
        if isinstance(op, Text) and not op.angle:
            draw.text(
                (op.x * px, op.y * px),
                op.text,
                font=pil_font(fonts.face(op.bold), op.size / 72 * 25.4 * px),
                fill=op.color,
                anchor=_ANCHORS[op.align],
            )
        elif isinstance(op, Text):
            # A lone rotated text: a group of one, boxed by its reach.
            reach = fonts.face(op.bold).text_width(op.text, op.size) + op.size * 25.4 / 72
            box = (op.x - reach, op.y - reach, 2 * reach, 2 * reach)
            _paste_group(image, Group(box, op.color, 1.0, (op,)), fonts, dpi)
        elif isinstance(op, Line):
            width = max(1, round(op.width * px))
            draw.line((op.x1 * px, op.y1 * px, op.x2 * px, op.y2 * px), fill=op.color, width=width)
        elif isinstance(op, Rect):
            width = max(1, round(op.width * px))
            draw.rectangle(
                (op.x * px, op.y * px, (op.x + op.w) * px, (op.y + op.h) * px),
                outline=op.color,
                width=width,
            )
        elif isinstance(op, QRCode):
            n = len(op.matrix)
            module_px = max(3, int(op.size * px / n))
            side = n * module_px
            offset = (op.size * px - side) / 2
            image.paste(
                qr_image(op, module_px), (round(op.x * px + offset), round(op.y * px + offset))
            )
        elif isinstance(op, Group):
            _paste_group(image, op, fonts, dpi)
    return image


def _paste_group(image: Image.Image, group: Group, fonts: FontSet, dpi: float) -> None:
    mask, x, y = _group_mask(group, fonts, dpi)
    image.paste(group.color, (x, y, x + mask.width, y + mask.height), mask)


def encode_png(image: Image.Image, dpi: float, colors: int = 64) -> bytes:
    """PNG bytes; a small adaptive palette keeps the file light for phones."""
    if colors:
        image = image.quantize(
            colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), compress_level=6)
    return out.getvalue()


@on_font_reset
def clear_caches() -> None:
    _pil_font.cache_clear()
    _rotated_text.cache_clear()
    _masks.clear()
    _qr_image.cache_clear()
