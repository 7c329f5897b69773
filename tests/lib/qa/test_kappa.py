"""Cohen's and Fleiss' kappa against the worked examples of the Wikipedia articles
"Cohen's kappa" (50 proposals, 20/5/10/15 → κ = 0.4) and "Fleiss' kappa" (10 items, 14 raters, κ ≈ 0.210)."""

import pytest

from lib.qa.kappa import cohen_kappa, fleiss_kappa, kappa


def test_cohen_wikipedia_example():
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_fleiss_wikipedia_example():
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert fleiss_kappa(table) == pytest.approx(0.210, abs=0.0005)


def test_perfect_agreement_is_one_and_a_single_category_is_undefined():
    assert cohen_kappa(["p", "f", "p"], ["p", "f", "p"]) == pytest.approx(1.0)
    assert cohen_kappa(["p", "p"], ["p", "p"]) is None
    assert kappa([["p", "p", "p"], ["p", "p", "p"]]) == ("fleiss", None)


def test_two_raters_use_cohen_more_use_fleiss():
    assert kappa([["p", "f"], ["f", "f"], ["p", "p"]])[0] == "cohen"
    method, k = kappa([["p", "p", "f"], ["f", "f", "f"], ["p", "p", "p"]])
    assert method == "fleiss" and -1 <= k <= 1


def test_fleiss_needs_equal_rater_counts():
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 1], [2, 1]])
