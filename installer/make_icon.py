"""Draw the OMA Desktop icon: one geometry, written as SVG and rendered with Pillow.

The mark is a white house (the Casa Vecinal) with an orange door and an orange speech
bubble (the front desk's conversation) on the municipal blue. Run it after changing the
drawing; its outputs are committed under ``resources/icons/``:

    .venv/bin/python installer/make_icon.py

``oma-desktop.svg`` (the source, for documents and the Linux desktop entry),
``oma-desktop-256.png`` and ``oma-desktop-48.png`` (window and desktop icons) and
``oma-desktop.ico`` (the Windows executable and installer, 16 to 256 px).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
NAME = "oma-desktop"

BLUE = "#1f3b63"
ORANGE = "#f28c28"
WHITE = "#ffffff"
SIZE = 256  # the drawing's coordinate space (the SVG viewBox)
SUPERSAMPLE = 4  # rendered at 1024 px, then reduced: smooth edges without an SVG renderer
PNG_SIZES = (256, 48)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


@dataclass(frozen=True)
class Shape:
    kind: str  # "rect" (rounded), "polygon" or "circle"
    fill: str
    coords: tuple[float, ...]  # rect: x0 y0 x1 y1; polygon: x y pairs; circle: cx cy r
    radius: float = 0.0
    stroke: str | None = None
    stroke_width: float = 0.0


SHAPES = (
    # the blue tile
    Shape("rect", BLUE, (0, 0, 256, 256), radius=52),
    # the house: roof, walls, door
    Shape("polygon", WHITE, (28, 128, 112, 54, 196, 128)),
    Shape("rect", WHITE, (52, 118, 172, 212), radius=6),
    Shape("rect", ORANGE, (96, 152, 128, 212), radius=6),
    # the speech bubble, cut out of the roof by a blue outline
    Shape("polygon", ORANGE, (162, 98, 188, 98, 156, 130), stroke=BLUE, stroke_width=8),
    Shape("rect", ORANGE, (138, 34, 230, 104), radius=20, stroke=BLUE, stroke_width=8),
    Shape("polygon", ORANGE, (164, 96, 186, 96, 160, 124)),  # the tail over the outline
    Shape("circle", WHITE, (162, 69, 8)),
    Shape("circle", WHITE, (184, 69, 8)),
    Shape("circle", WHITE, (206, 69, 8)),
)


def _num(value: float) -> str:
    return f"{value:g}"


def svg() -> str:
    """The drawing as an SVG document."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}">',
        "  <title>OMA Desktop</title>",
    ]
    for shape in SHAPES:
        stroke = ""
        if shape.stroke:
            # Pillow draws the outline inside the shape's box; SVG centres it on the edge
            stroke = (f' stroke="{shape.stroke}" stroke-width="{_num(shape.stroke_width)}"'
                      ' stroke-linejoin="round" paint-order="stroke"')
        if shape.kind == "rect":
            x0, y0, x1, y1 = shape.coords
            parts.append(f'  <rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" '
                         f'height="{_num(y1 - y0)}" rx="{_num(shape.radius)}" '
                         f'fill="{shape.fill}"{stroke}/>')
        elif shape.kind == "polygon":
            c = shape.coords
            points = " ".join(f"{_num(c[i])},{_num(c[i + 1])}" for i in range(0, len(c), 2))
            parts.append(f'  <polygon points="{points}" fill="{shape.fill}"{stroke}/>')
        else:
            cx, cy, r = shape.coords
            parts.append(f'  <circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" '
                         f'fill="{shape.fill}"{stroke}/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render(size: int) -> Image.Image:
    """The drawing as an RGBA image of ``size`` pixels."""
    big = SIZE * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    k = SUPERSAMPLE
    for shape in SHAPES:
        width = round(shape.stroke_width * k)
        if shape.kind == "rect":
            x0, y0, x1, y1 = (v * k for v in shape.coords)
            if shape.stroke:  # the outline grows outwards, as in the SVG
                half = width / 2
                draw.rounded_rectangle((x0 - half, y0 - half, x1 + half, y1 + half),
                                       radius=shape.radius * k + half, fill=shape.stroke)
            draw.rounded_rectangle((x0, y0, x1, y1), radius=shape.radius * k, fill=shape.fill)
        elif shape.kind == "polygon":
            points = [v * k for v in shape.coords]
            if shape.stroke:
                draw.polygon(points, fill=shape.stroke, outline=shape.stroke, width=width)
                draw.line([*points, points[0], points[1]], fill=shape.stroke, width=width,
                          joint="curve")
            draw.polygon(points, fill=shape.fill)
        else:
            cx, cy, r = (v * k for v in shape.coords)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=shape.fill)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / f"{NAME}.svg").write_text(svg(), encoding="utf-8")
    for size in PNG_SIZES:
        render(size).save(ICONS / f"{NAME}-{size}.png", optimize=True)
    # each size drawn from the large rendering, not scaled down from the 256 px one
    images = [render(size) for size in ICO_SIZES]
    images[-1].save(ICONS / f"{NAME}.ico", format="ICO",
                    sizes=[(s, s) for s in ICO_SIZES], append_images=images[:-1])
    for path in sorted(ICONS.iterdir()):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
