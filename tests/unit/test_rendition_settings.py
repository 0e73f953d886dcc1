"""The rendition worker's settings come from config/procedura.yaml's `renditions:` section
(a misspelt limit is refused, not ignored), and the engine is chosen by the detected media
type, never the file name."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.common.settings import load_config
from services.renditions import domain
from services.renditions.settings import RenditionSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_config_files_section_is_read_with_its_environment_overrides(monkeypatch):
    monkeypatch.setenv("PROCEDURA_RENDITION_SLOTS", "3")
    monkeypatch.setenv("PROCEDURA_OCR_MAX_PAGES", "7")
    settings = RenditionSettings.from_config(load_config(ROOT / "config" / "procedura.yaml"))
    assert settings.slots == 3 and settings.ocr_max_pages == 7
    assert settings.ocr_seconds_per_page == 60 and settings.ocr_seconds_per_file == 1800
    assert settings.conversion_seconds == 120
    assert settings.memory_limit_bytes == 2 * 1024 ** 3
    assert settings.niceness == 10
    assert isinstance(settings.profiles_dir, Path)


def test_without_the_section_the_defaults_hold():
    assert RenditionSettings.from_config({}) == RenditionSettings()
    assert RenditionSettings().ocr_max_pages == 500


@pytest.mark.parametrize("section,problem", [
    ({"ocr_max_page": 3}, "unknown settings ocr_max_page"),
    ({"slots": 0}, "slots must be at least 1"),
    ({"niceness": 20}, "niceness must be from 0 to 19, not 20"),
    ({"niceness": -5}, "niceness must be from 0 to 19, not -5"),
])
def test_a_wrong_setting_is_refused_naming_it(section, problem):
    with pytest.raises(ValueError, match=problem):
        RenditionSettings.from_config({"renditions": section})


@pytest.mark.parametrize("media_type,kind", [
    ("application/pdf", (domain.PDF, ".pdf")),
    ("image/tiff", (domain.IMAGE, ".tiff")),
    ("image/jpeg", (domain.IMAGE, ".jpeg")),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     (domain.OFFICE, ".docx")),
    ("application/rtf", (domain.OFFICE, ".rtf")),
    ("text/html; charset=UTF-8", (domain.OFFICE, ".html")),
    ("text/x-web-markdown", (domain.OFFICE, ".txt")),
    ("application/zip", None),
    ("application/octet-stream", None),
])
def test_the_engine_follows_the_media_type(media_type, kind):
    assert domain.kind_of(media_type) == kind
