"""Segmentation: a number's ink to one box per digit."""

from __future__ import annotations

import numpy as np

from digitlib.segment import segment_digits

from .drawing import number_image


def test_segmentation_cuts_touching_digits(test_digits):
    x, _ = test_digits
    # Two digits pushed together until their boxes overlap: one component, cut in two.
    ink = number_image([x[0], x[3]], gap=-45)
    assert len(segment_digits(ink)) == 2


def test_specks_are_dropped_and_stacked_pieces_joined(test_digits):
    x, _ = test_digits
    ink = number_image([x[1], x[2]], gap=30)
    ink[2, 2] = ink[-3, -3] = 1.0  # two one-pixel specks in the corners
    assert len(segment_digits(ink)) == 2
    # a 5's bar drawn apart from its body: two pieces, one above the other, are one digit
    pieces = np.zeros((100, 60), np.float32)
    pieces[10:14, 10:50] = 1.0
    pieces[30:90, 12:48] = 1.0
    assert len(segment_digits(pieces)) == 1


def test_blank_ink_has_no_boxes():
    assert segment_digits(np.zeros((50, 80), np.float32)) == []
