"""The provable draw and the even spread over reviewers."""

from collections import Counter

from lib.qa.sampling_rules import draw, spread


def test_same_seed_and_pool_give_the_same_sample_in_any_listing_order():
    pool = list(range(100, 160))
    a = draw(pool, 20, "abc")
    assert a == draw(list(reversed(pool)), 20, "abc")
    assert len(a) == 20 and len(set(a)) == 20 and set(a) <= set(pool) and a == sorted(a)


def test_another_seed_gives_another_sample():
    pool = list(range(60))
    assert draw(pool, 20, "a") != draw(pool, 20, "b")


def test_fewer_chats_than_the_sample_size_takes_them_all():
    assert draw([5, 3, 9], 20, "x") == [3, 5, 9]
    assert draw(list(range(20)), 20, "x") == list(range(20))
    assert len(draw(list(range(21)), 20, "x")) == 20


def test_spread_is_even_over_reviewers():
    c = Counter(spread(list(range(47)), [7, 8, 9]))
    assert sorted(c.values()) == [15, 16, 16]
    assert spread([1, 2], []) == [None, None]
