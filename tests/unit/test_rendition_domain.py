"""The renditions' rules without a server or an engine (services/renditions/domain.py):
how a file is named on the worker's disk, when a file that stops the worker is failed,
which limit stopped OCR, how much OCR'd text is kept, and which page images may be asked
for."""
from __future__ import annotations

import dataclasses

import pytest

from services.contracts.errors import InvalidInput
from services.renditions import domain
from services.renditions.settings import RenditionSettings


@pytest.mark.parametrize("filename,media_type,local", [
    # the detected type names the file, whatever its own extension says
    ("raport.pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "raport.docx"),
    ("scan.docx", "application/pdf", "scan.pdf"),
    # a type no engine takes keeps its own extension (it fails, naming the file)
    ("arhiva.zip", "application/zip", "arhiva.zip"),
    # a name of dots only, or none, is still a file name
    ("...", "application/pdf", "document.pdf"),
    ("a" * 300 + ".txt", "text/plain", "a" * 100 + ".txt"),
])
def test_the_original_is_named_on_disk_by_its_detected_type(filename, media_type, local):
    assert domain.local_name(filename, media_type) == local


def test_a_file_is_failed_after_it_stopped_the_worker_more_than_the_attempts_allowed():
    assert [domain.gave_up(n) for n in range(1, domain.MAX_ATTEMPTS + 1)] == [None] * 3
    assert domain.gave_up(domain.MAX_ATTEMPTS + 1) == (
        f"the rendition worker stopped {domain.MAX_ATTEMPTS} times while rendering this file")


def test_the_limit_that_stopped_ocr_is_named_with_its_value():
    limits = dataclasses.asdict(RenditionSettings(ocr_max_pages=40, ocr_seconds_per_file=90.0))
    assert domain.ocr_stopped("max_pages", limits) == (
        "the limit of 40 pages read by OCR per file")
    assert domain.ocr_stopped("seconds_per_file", limits) == (
        "the limit of 90 s of OCR per file")
    assert domain.ocr_stopped(None, limits) is None


def test_the_ocr_text_is_the_pages_one_blank_line_apart_cut_at_the_limit():
    assert domain.whole_text([" Primăria \n", "", "Dispoziție"], 100) == (
        "Primăria\n\n\n\nDispoziție", False)
    assert domain.whole_text(["abcdef", "ghi"], 5) == ("abcde", True)
    assert domain.whole_text(["abcde"], 5) == ("abcde", False)


@pytest.mark.parametrize("page,width,fmt,field", [
    (1, 800, "gif", "format"),
    (1, 63, "png", "width"),
    (1, 2001, "webp", "width"),
    (1, True, "png", "width"),
    (1, 800.0, "png", "width"),
    ("1", 800, "png", "page"),
    (False, 800, "png", "page"),
])
def test_a_page_image_that_can_never_be_drawn_is_refused_naming_the_field(page, width, fmt,
                                                                           field):
    with pytest.raises(InvalidInput) as refused:
        domain.check_page_request(page, width, fmt, 64, 2000)
    assert refused.value.details["field"] == field


def test_a_page_the_rendition_does_not_have_is_refused_naming_its_pages():
    domain.check_page_request(3, 64, "png", 64, 2000)
    domain.check_page_within(3, 3)
    with pytest.raises(InvalidInput, match="from 1 to 3: the rendition has 3 pages") as refused:
        domain.check_page_within(4, 3)
    assert refused.value.details == {"field": "page", "minimum": 1, "maximum": 3}
    with pytest.raises(InvalidInput) as refused:
        domain.check_page_within(0, 1)
    assert refused.value.message == "page must be from 1 to 1: the rendition has 1 page"


def test_page_images_are_kept_under_their_versions_prefix():
    assert domain.page_key("v-1", 12, 800, "webp") == "pages/v-1/12-800.webp"
