"""Résumé uploads are judged by content, never by name or claimed type (IN-2)."""

from __future__ import annotations

import io
import zipfile

import pytest

from hiring.uploads import (
    DOCX,
    PDF,
    UploadRejected,
    check_resume,
    clean_filename,
    detect_content_type,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_pdf_is_recognised_by_its_magic_bytes() -> None:
    assert detect_content_type(PDF_BYTES) == PDF
    assert check_resume(PDF_BYTES, max_bytes=1024).content_type == PDF


def test_docx_is_a_zip_with_word_document_xml() -> None:
    checked = check_resume(docx_bytes(), max_bytes=10_000)
    assert checked.content_type == DOCX
    assert checked.extension == ".docx"


def test_a_zip_without_word_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", "MZ")
    with pytest.raises(UploadRejected, match="ZIP archive that is not a Word document"):
        check_resume(buffer.getvalue(), max_bytes=10_000)


def test_windows_program_renamed_pdf_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UploadRejected, match="Windows program") as info:
        check_resume(b"MZ\x90\x00\x03" + b"\x00" * 100, max_bytes=10_000)
    assert "PDF or a Word document" in str(info.value)


@pytest.mark.parametrize(("data", "words"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 10, "Word 97-2003"),
    (b"<html><script>alert(1)</script>", "web page"),
    (b"<svg onload=alert(1)>", "web page or SVG"),
    (b"just text", "text file"),
    (b" %PDF-1.4", "text file"),  # the signature must be at the very start
])
def test_other_content_is_refused_and_described(data: bytes, words: str) -> None:
    with pytest.raises(UploadRejected, match=words):
        check_resume(data, max_bytes=10_000)


def test_empty_and_too_large_files_are_refused() -> None:
    with pytest.raises(UploadRejected, match="empty"):
        check_resume(b"", max_bytes=10)
    with pytest.raises(UploadRejected, match="too large"):
        check_resume(PDF_BYTES + b"x" * 2048, max_bytes=1024)


def test_clean_filename_drops_paths_and_uses_the_detected_extension() -> None:
    assert clean_filename("../../etc/passwd", PDF) == "passwd.pdf"
    assert clean_filename("C:\\Users\\x\\My CV.exe", PDF) == "My CV.pdf"
    assert clean_filename('a"b<c>.docx', DOCX) == "a_b_c_.docx"
    assert clean_filename("", PDF) == "resume.pdf"
    assert clean_filename("\x00\r\n.pdf", PDF) == "resume.pdf"
