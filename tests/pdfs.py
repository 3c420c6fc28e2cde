"""PDFs made by the tests: real files with known titles, sections and pages, and broken variants."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

LOREM = (
    "The controller reads from memory by weighting every row with a soft address, so the read is a "
    "blend of rows rather than one row. "
)


def paper_pdf(
    path: Path, title: str, sections: list[tuple[str, str]], two_columns: bool = False, pages_per_section: int = 1
) -> Path:
    """A paper: the title on page 1, then each (heading, body) starting on a new page."""
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, text=title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, text="Abstract\nA test paper generated for tutor's own tests.", new_x="LMARGIN", new_y="NEXT")
    for heading, body in sections:
        for part in range(pages_per_section):
            pdf.add_page()
            if part == 0:
                pdf.set_font("Helvetica", "B", 12)
                pdf.multi_cell(0, 6, text=heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
            if two_columns:
                with pdf.text_columns(ncols=2, gutter=8) as cols:
                    cols.write(text=body)
            else:
                pdf.multi_cell(0, 5, text=body, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def encrypted_pdf(path: Path, title: str) -> Path:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 6, text=title + "\n" + LOREM * 5)
    pdf.output(str(path))
    return path


def image_only_pdf(path: Path) -> Path:
    """Pages with drawings and no text layer, like a scan."""
    pdf = FPDF()
    for _ in range(3):
        pdf.add_page()
        pdf.set_fill_color(40, 40, 40)
        for row in range(20):
            pdf.rect(20, 20 + row * 12, 150, 6, style="F")
    pdf.output(str(path))
    return path
