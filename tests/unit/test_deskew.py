"""The skew estimate of a scanned page (services/renditions/engines/deskew.py): the angle a page
was turned by, to a fifth of a degree, and whether its lines run down the page."""
from __future__ import annotations

import pytest

from procedura_cli import scans
from services.renditions.engines import deskew


@pytest.mark.parametrize("angle", [-3.0, -1.5, 0.0, 0.8, 2.0, 4.0])
def test_the_skew_estimate_finds_the_angle_a_page_was_turned_by(angle):
    skew = deskew.estimate(scans.scan_page(seed=5, angle=angle))
    assert abs(skew.angle - angle) <= 0.2 and not skew.sideways, skew


def test_a_page_lying_on_its_side_is_told_apart():
    assert deskew.estimate(scans.scan_page(seed=5).rotate(90, expand=True)).sideways
    assert deskew.estimate(scans.scan_page(seed=5).rotate(-90, expand=True)).sideways
