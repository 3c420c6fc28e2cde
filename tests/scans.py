"""PDFs that need OCR, made by the tests: scans rendered with Pillow, and a Type 3 bitmap font without a
character map (what Friedman's preprint has), whose text layer extracts as byte soup."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

LATIN_FONT = (
    Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSerif.ttf"
)  # ships with matplotlib
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian's fonts-wqy-zenhei


def scanned_pdf(path: Path, pages: list[list[str]], font: Path = LATIN_FONT, size: int = 34, dpi: int = 200) -> Path:
    """Image-only pages, like a scan at `dpi`: each page's lines drawn in black on white, no text layer."""
    width, height, margin = int(8.27 * dpi), int(11.69 * dpi), int(0.8 * dpi)  # A4
    face = ImageFont.truetype(str(font), size)
    images = []
    for lines in pages:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y = margin
        for line in lines:
            if line:
                draw.text((margin, y), line, font=face, fill=0)
            y += int(size * 1.6)
        images.append(image)
    images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return path


def merged_pdf(path: Path, *parts: tuple[Path, list[int]]) -> Path:
    """A PDF made of the given 1-based pages of other PDFs, in order."""
    writer = PdfWriter()
    for source, pages in parts:
        reader = PdfReader(source)
        for page in pages:
            writer.add_page(reader.pages[page - 1])
    with path.open("wb") as f:
        writer.write(f)
    return path


# Glyph names that map to accented Latin-1 letters: extraction yields "ÁÇÐ…" for every character,
# the soup of Latin-1 letters that bitmap fonts without a ToUnicode map give.
_SOUP_NAMES = [
    "Agrave", "Aacute", "Acircumflex", "Atilde", "Adieresis", "Aring", "AE", "Ccedilla", "Egrave", "Eacute",
    "Ecircumflex", "Edieresis", "Igrave", "Iacute", "Icircumflex", "Idieresis", "Eth", "Ntilde", "Ograve",
    "Oacute", "Ocircumflex", "Otilde", "Odieresis", "Oslash", "Ugrave", "Uacute", "Ucircumflex", "Udieresis",
    "Yacute", "Thorn", "germandbls", "agrave", "aacute", "acircumflex", "atilde", "adieresis", "aring", "ae",
    "ccedilla", "egrave", "eacute", "ecircumflex", "edieresis", "igrave", "iacute", "icircumflex", "idieresis",
    "eth", "ntilde", "ograve", "oacute", "ocircumflex", "otilde", "odieresis", "oslash", "ugrave", "uacute",
    "ucircumflex", "udieresis", "yacute", "thorn", "ydieresis", "onesuperior", "twosuperior", "threesuperior",
    "mu", "paragraph", "cedilla", "ordfeminine", "ordmasculine", "onequarter", "onehalf", "threequarters",
]  # fmt: skip


def bitmap_font_pdf(path: Path, pages: list[list[str]], px: int = 48, font_size: float = 11.0) -> Path:
    """Pages typeset in a Type 3 font whose glyphs are bitmaps (image masks) and whose encoding names the
    wrong letters, with no ToUnicode map: readers show the text, extraction gives garbage."""
    face = ImageFont.truetype(str(LATIN_FONT), px)
    chars = sorted({c for lines in pages for line in lines for c in line} - {" "})
    assert len(chars) <= len(_SOUP_NAMES), "too many distinct characters for the soup encoding"
    codes = {c: 0xA1 + i for i, c in enumerate(chars)}
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"

    procs, widths = {}, {}
    space = round(face.getlength(" "))
    for c in chars:
        left, top, right, bottom = face.getbbox(c, anchor="ls")
        w, h = max(1, right - left), max(1, bottom - top)
        glyph = Image.new("L", (w, h), 255)
        ImageDraw.Draw(glyph).text((-left, -top), c, font=face, fill=0, anchor="ls")
        bits = glyph.point(lambda v: 255 if v > 128 else 0).convert("1").tobytes().hex().upper()
        advance = round(face.getlength(c))
        widths[codes[c]] = advance
        body = (
            f"{advance} 0 {left} {-bottom} {right} {-top} d1\n"
            f"q {w} 0 0 {h} {left} {-bottom} cm\nBI /W {w} /H {h} /IM true /BPC 1 /F /AHx ID\n{bits}>\nEI\nQ"
        ).encode()
        procs[c] = add(stream(body))
    procs[" "] = add(stream(f"{space} 0 0 0 0 0 d1".encode()))
    first, last = 0x20, max(codes.values())
    width_list = " ".join(str(space if code == 0x20 else widths.get(code, 0)) for code in range(first, last + 1))
    differences = "32 /space " + " ".join(f"{codes[c]} /{_SOUP_NAMES[i]}" for i, c in enumerate(chars))
    char_procs = f"/space {procs[' ']} 0 R " + " ".join(
        f"/{_SOUP_NAMES[i]} {procs[c]} 0 R" for i, c in enumerate(chars)
    )
    font = add(
        (
            f"<< /Type /Font /Subtype /Type3 /FontBBox [0 {-px} {2 * px} {px}] "
            f"/FontMatrix [{1 / px:.6f} 0 0 {1 / px:.6f} 0 0] /CharProcs << {char_procs} >> "
            f"/Encoding << /Type /Encoding /Differences [{differences}] >> "
            f"/FirstChar {first} /LastChar {last} /Widths [{width_list}] /Resources << >> >>"
        ).encode()
    )
    page_ids = []
    pages_id = len(objects) + 2 * len(pages) + 1
    for lines in pages:
        ops = [f"BT /F1 {font_size} Tf {font_size * 1.5} TL 60 780 Td"]
        for line in lines:
            hexed = "".join("20" if c == " " else f"{codes[c]:02X}" for c in line)
            ops.append(f"<{hexed}> Tj T*")
        ops.append("ET")
        content = add(stream("\n".join(ops).encode()))
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    assert add(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()) == pages_id
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path
