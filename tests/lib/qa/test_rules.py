"""The §3 rules at their edges: daily point, bonus tiers, short months, the rubric verdict."""

from decimal import Decimal

import pytest

from lib import settings as settings_mod
from lib.qa.rules import Criterion, bonus_tier, day_point, month_points, verdict

S = settings_mod.defaults()


class Tweaked(dict):
    def __getitem__(self, k):
        return dict.get(self, k, S[k])


def test_three_unqualified_keep_the_point_four_lose_it():
    assert day_point(20, 3, S) == 1
    assert day_point(20, 4, S) == 0
    assert day_point(4, 4, S) == 0
    assert day_point(5, 0, S) == 1


def test_a_day_without_a_reviewed_sample_is_no_point_at_all():
    assert day_point(0, 0, S) is None


def test_the_unqualified_limit_is_a_setting():
    s = Tweaked({"qa.unqualified_limit": 2})
    assert day_point(10, 1, s) == 1
    assert day_point(10, 2, s) == 0


@pytest.mark.parametrize("points, tier, fen, no_bonus", [
    (26, "full", 0, False),
    (25, "standard", 0, False),
    (20, "standard", 0, False),
    (19, "deduct1", 5000, False),
    (15, "deduct1", 5000, False),
    (14, "deduct2", 10000, False),
    (12, "deduct2", 10000, False),
    (11, "no_bonus", 0, True),
    (0, "no_bonus", 0, True),
])
def test_bonus_tiers_at_every_edge_of_a_26_day_month(points, tier, fen, no_bonus):
    t = bonus_tier(points, 26, S)
    assert (t.tier, t.deduction_fen, t.no_bonus) == (tier, fen, no_bonus)


def test_inclusive_reading_of_yixia_makes_12_lose_the_bonus():
    s = Tweaked({"qa.no_bonus_inclusive": True})
    assert bonus_tier(12, 26, s).tier == "no_bonus"
    assert bonus_tier(13, 26, s).tier == "deduct2"


def test_a_22_working_day_month_scales_nothing_but_the_maximum():
    assert bonus_tier(22, 22, S).tier == "full"
    assert bonus_tier(21, 22, S).tier == "standard"
    assert bonus_tier(20, 22, S).tier == "standard"
    assert bonus_tier(19, 22, S).deduction_fen == 5000
    assert bonus_tier(14, 22, S).deduction_fen == 10000
    assert bonus_tier(11, 22, S).no_bonus


def test_thresholds_and_amounts_are_settings():
    s = Tweaked({"qa.tier1_below": 24, "qa.tier1_deduction_yuan": 80})
    assert bonus_tier(23, 26, s).deduction_fen == 8000
    assert bonus_tier(24, 26, s).tier == "standard"


def test_month_points_count_days_without_sample_and_cap_at_the_maximum():
    assert month_points([1, 0, None, 1, None], 5) == (2, 2)
    assert month_points([1] * 30, 26) == (26, 0)


CRIT = [Criterion(1, "greeting", Decimal(10), False), Criterion(2, "closing", Decimal(10), False),
        Criterion(3, "attitude", Decimal(20), True), Criterion(4, "wording", Decimal(15), True),
        Criterion(5, "knowledge", Decimal(15), False), Criterion(6, "response_60s", Decimal(15), False),
        Criterion(7, "handling", Decimal(15), False)]
ALL_PASS = {c.code: "pass" for c in CRIT}


def test_all_pass_scores_100_and_is_qualified():
    assert verdict(CRIT, ALL_PASS, 90) == (Decimal("100.00"), True)


def test_a_critical_failure_makes_the_chat_unqualified_whatever_the_score():
    score, ok = verdict(CRIT, ALL_PASS | {"attitude": "fail"}, 0)
    assert score == Decimal("80.00") and ok is False


def test_na_criteria_leave_the_denominator():
    # response N/A (no timestamps): 85 weight left, greeting failed -> 75/85
    score, ok = verdict(CRIT, ALL_PASS | {"response_60s": "na", "greeting": "fail"}, 88)
    assert score == Decimal("88.24") and ok is True
    score, ok = verdict(CRIT, ALL_PASS | {"greeting": "fail"}, 90.01)
    assert score == Decimal("90.00") and ok is False


def test_pass_mark_edge_is_inclusive():
    assert verdict(CRIT, ALL_PASS | {"greeting": "fail"}, 90) == (Decimal("90.00"), True)


def test_every_criterion_na_has_no_score():
    assert verdict(CRIT, {c.code: "na" for c in CRIT}, 90) == (None, True)


def test_a_missing_result_is_refused():
    with pytest.raises(ValueError):
        verdict(CRIT, {"greeting": "pass"}, 90)
