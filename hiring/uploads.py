"""Résumé uploads: what a file is, judged by its content (pure; SECURITY.md IN-2).

The name a file arrives with and the content type the browser claims are both chosen by the
uploader, so neither decides anything here: a file is a PDF when it starts with ``%PDF-`` and a
Word document when it is a ZIP archive holding ``word/document.xml`` (Office Open XML). Nothing
else is accepted. Accepted files are stored in the database and only ever served as downloads
(``Content-Disposition: attachment``); they are never rendered or passed to the PDF renderer.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

EXTENSIONS = {PDF: ".pdf", DOCX: ".docx"}
LABELS = {PDF: "PDF", DOCX: "Word document (.docx)"}

_ACCEPTED = "Upload a PDF or a Word document (.docx)."

# Well-known signatures, only to say what a refused file looks like.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"#!", "a script"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "an old Word 97-2003 (.doc) file or an encrypted Office file"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
)


class UploadRejected(ValueError):
    """The file is not acceptable; the message says why and what to do instead."""


@dataclass(frozen=True)
class CheckedUpload:
    """An accepted file: its detected content type, extension and size in bytes."""

    content_type: str
    extension: str
    size: int


def detect_content_type(data: bytes) -> str | None:
    """``application/pdf``, the DOCX type, or None, from the bytes alone."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                # Reads the central directory only; nothing is decompressed.
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return DOCX
    return None


def describe(data: bytes) -> str:
    """A few words on what refused ``data`` looks like (for the error message)."""
    if not data:
        return "an empty file"
    for signature, label in _SIGNATURES:
        if data.startswith(signature):
            return label
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive that is not a Word document"
    sample = data[:512]
    if b"<html" in sample.lower() or b"<svg" in sample.lower():
        return "a web page or SVG image"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return "a file of an unknown type"
    return "a text file"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_resume(data: bytes, *, max_bytes: int) -> CheckedUpload:
    """Accept ``data`` as a résumé or raise :class:`UploadRejected` with a clear message."""
    if not data:
        raise UploadRejected(f"The file is empty. {_ACCEPTED}")
    if len(data) > max_bytes:
        raise UploadRejected(
            f"The file is too large ({_megabytes(len(data))}); the limit is "
            f"{_megabytes(max_bytes)}. Save a smaller PDF (e.g. without embedded images)."
        )
    content_type = detect_content_type(data)
    if content_type is None:
        raise UploadRejected(
            f"This file is not a PDF or a Word document (.docx): its content looks like "
            f"{describe(data)}, whatever its name says. {_ACCEPTED}"
        )
    return CheckedUpload(content_type=content_type, extension=EXTENSIONS[content_type],
                         size=len(data))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r"[\"\\/:*?<>|;]")


def clean_filename(filename: str, content_type: str) -> str:
    """A display and download name: no path, no control or quoting characters, the detected
    extension (a ``cv.exe`` that is really a PDF downloads as ``cv.pdf``)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME.sub("_", _CONTROL.sub("", name)).strip()
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:120] or "resume"
    return stem + EXTENSIONS.get(content_type, "")
