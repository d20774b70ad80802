"""The CLV models: CDNOW reproduces the published estimates and agrees with lifetimes
(summary, parameters, predictions); simulated customers are recovered; degenerate data
is refused with a named reason in English and Chinese."""

from __future__ import annotations

import importlib.resources
import re
import warnings
from datetime import date
from typing import Any

import numpy as np
import pytest

from formwork.value import clv
from formwork.value.clv import BgNbdParams, ClvRefused, GammaGammaParams
from formwork.value.transactions import Summary, parse_date, summarise

END = date(1997, 9, 30)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _quiet_import_lifetimes() -> Any:
    # lifetimes (and pandas under it) warn on import; pytest turns warnings into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        import lifetimes.utils
    return lifetimes


def cdnow_rows() -> list[list[str]]:
    """CDNOW_sample.txt: customer id, master id, YYYYMMDD, number of CDs, dollars."""
    _quiet_import_lifetimes()
    text = (importlib.resources.files("lifetimes") / "datasets" / "CDNOW_sample.txt").read_text()
    return [line.split() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = cdnow_rows()
    ids = np.array([row[0] for row in rows])
    days = np.array([parse_date(row[2]) for row in rows], dtype="datetime64[D]")
    amounts = np.array([float(row[4]) for row in rows])
    return ids, days, amounts


@pytest.fixture(scope="module")
def summary(cdnow: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Summary:
    return summarise(*cdnow, observation_end=END, time_unit="weeks")


@pytest.fixture(scope="module")
def fitted(summary: Summary) -> tuple[BgNbdParams, GammaGammaParams]:
    bg = clv.fit_bgnbd(summary.frequency, summary.recency, summary.T)
    return bg, clv.fit_gamma_gamma(summary.frequency, summary.monetary)


@pytest.fixture(scope="module")
def reference(cdnow: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, Any]:
    """lifetimes' own summary and fits on the same transactions."""
    lifetimes = _quiet_import_lifetimes()
    import pandas as pd

    ids, days, amounts = cdnow
    frame = pd.DataFrame({"id": ids, "day": pd.to_datetime(days), "amount": amounts})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = lifetimes.utils.summary_data_from_transaction_data(
            frame, "id", "day", "amount", observation_period_end=str(END), freq="D"
        )
        table["recency"] /= 7
        table["T"] /= 7
        bg = lifetimes.BetaGeoFitter().fit(table["frequency"], table["recency"], table["T"])
        repeat = table[table["frequency"] > 0]
        gg = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return {"table": table, "bg": bg, "gg": gg}


# -- CDNOW ---------------------------------------------------------------------------------


def test_cdnow_summary_equals_lifetimes_summary(
    summary: Summary, reference: dict[str, Any]
) -> None:
    table = reference["table"].loc[summary.customers]
    assert summary.customers.size == 2357
    assert int(np.count_nonzero(summary.frequency)) == 946
    for ours, theirs in (
        (summary.frequency, "frequency"),
        (summary.recency, "recency"),
        (summary.T, "T"),
        (summary.monetary, "monetary_value"),
    ):
        np.testing.assert_allclose(ours, table[theirs].to_numpy(), rtol=1e-12, atol=1e-12)


def test_cdnow_bgnbd_reproduces_the_published_estimates(
    fitted: tuple[BgNbdParams, GammaGammaParams],
) -> None:
    bg, _ = fitted
    # Fader, Hardie & Lee (2005), Table 1 / section 5: LL = -9582.4.
    for got, published in ((bg.r, 0.243), (bg.alpha, 4.414), (bg.a, 0.793), (bg.b, 2.426)):
        assert got == pytest.approx(published, rel=0.005)
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert bg.customers == 2357


def test_cdnow_gamma_gamma_reproduces_the_published_estimates(
    fitted: tuple[BgNbdParams, GammaGammaParams],
) -> None:
    _, gg = fitted
    # Fader & Hardie, note 025: the 946 repeat buyers' mean repeat-transaction value.
    for got, published in ((gg.p, 6.25), (gg.q, 3.74), (gg.v, 15.44)):
        assert got == pytest.approx(published, rel=0.005)
    assert gg.customers == 946


def test_cdnow_parameters_agree_with_lifetimes(
    fitted: tuple[BgNbdParams, GammaGammaParams], reference: dict[str, Any]
) -> None:
    bg, gg = fitted
    theirs_bg, theirs_gg = reference["bg"].params_, reference["gg"].params_
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bg, name) == pytest.approx(theirs_bg[name], rel=1e-5)
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(theirs_gg[name], rel=1e-5)
    n_repeat = len(reference["gg"].data)
    assert gg.log_likelihood == pytest.approx(-reference["gg"]._negative_log_likelihood_ * n_repeat)


def test_cdnow_predictions_agree_with_lifetimes(
    summary: Summary,
    fitted: tuple[BgNbdParams, GammaGammaParams],
    reference: dict[str, Any],
) -> None:
    bg, gg = fitted
    x, tx, age, m = summary.frequency, summary.recency, summary.T, summary.monetary
    table = reference["table"].loc[summary.customers]
    fx, ftx, fage, fm = (table[c] for c in ("frequency", "recency", "T", "monetary_value"))
    theirs_bg, theirs_gg = reference["bg"], reference["gg"]

    ours = clv.expected_purchases(bg, 39, x, tx, age)
    theirs = theirs_bg.conditional_expected_number_of_purchases_up_to_time(39, fx, ftx, fage)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-5)
    assert ours.sum() == pytest.approx(1653.4, abs=0.5)

    alive = clv.probability_alive(bg, x, tx, age)
    np.testing.assert_allclose(
        alive, theirs_bg.conditional_probability_alive(fx, ftx, fage), atol=1e-6
    )
    assert np.all((alive > 0) & (alive <= 1))

    spend = clv.expected_average_spend(gg, x, m)
    np.testing.assert_allclose(
        spend, theirs_gg.conditional_expected_average_profit(fx, fm).to_numpy(), rtol=1e-6
    )

    # lifetimes: 12 steps of 4.345 weeks at 1 % a month ≡ ours with that step and the
    # monthly rate as an annual one.
    step = 4.345 * 7
    value = clv.customer_value(
        bg,
        gg,
        x,
        tx,
        age,
        m,
        horizon=12 * step,
        discount_rate=1.01 ** (365.25 / step) - 1,
        time_unit="weeks",
        step_days=step,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_value = theirs_gg.customer_lifetime_value(
            theirs_bg, fx, ftx, fage, fm, time=12, discount_rate=0.01, freq="W"
        )
    np.testing.assert_allclose(value, theirs_value.to_numpy(), rtol=1e-5)


def test_fitting_in_days_gives_the_same_model_as_in_weeks(
    cdnow: tuple[np.ndarray, np.ndarray, np.ndarray],
    fitted: tuple[BgNbdParams, GammaGammaParams],
) -> None:
    weeks, _ = fitted
    daily = summarise(*cdnow, observation_end=END, time_unit="days")
    days = clv.fit_bgnbd(daily.frequency, daily.recency, daily.T)
    assert (days.r, days.a, days.b) == pytest.approx((weeks.r, weeks.a, weeks.b), rel=1e-5)
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-5)
    # The likelihood is a density in time: each repeat purchase adds log(7).
    assert days.log_likelihood == pytest.approx(
        weeks.log_likelihood - np.log(7) * daily.frequency.sum(), abs=1e-3
    )
    in_weeks = clv.expected_purchases(weeks, 39, daily.frequency, daily.recency / 7, daily.T / 7)
    in_days = clv.expected_purchases(days, 273, daily.frequency, daily.recency, daily.T)
    np.testing.assert_allclose(in_days, in_weeks, rtol=1e-4)


def test_customer_value_discounts_each_step_from_its_end(
    summary: Summary, fitted: tuple[BgNbdParams, GammaGammaParams]
) -> None:
    bg, gg = fitted
    args = (summary.frequency, summary.recency, summary.T)
    spend = clv.expected_average_spend(gg, summary.frequency, summary.monetary)
    undiscounted = clv.customer_value(
        bg, gg, *args, summary.monetary, horizon=365, discount_rate=0, time_unit="weeks"
    )
    np.testing.assert_allclose(
        undiscounted, spend * clv.expected_purchases(bg, 365 / 7, *args), rtol=1e-9
    )
    # One step of 100 days: discounted once, from day 100, at the annual rate.
    one_step = clv.customer_value(
        bg,
        gg,
        *args,
        summary.monetary,
        horizon=100,
        discount_rate=0.1,
        time_unit="weeks",
        step_days=100,
        margin=0.3,
    )
    expected = 0.3 * spend * clv.expected_purchases(bg, 100 / 7, *args) / 1.1 ** (100 / 365.25)
    np.testing.assert_allclose(one_step, expected, rtol=1e-9)
    discounted = clv.customer_value(
        bg, gg, *args, summary.monetary, horizon=365, discount_rate=0.1, time_unit="weeks"
    )
    assert np.all(discounted < undiscounted) and np.all(discounted > undiscounted / 1.1)


# -- refusals ------------------------------------------------------------------------------


def _population(n: int = 40, repeat: int = 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = np.r_[rng.integers(1, 6, repeat), np.zeros(n - repeat)].astype(float)
    age = rng.uniform(20, 40, n)
    tx = np.where(x > 0, age * rng.uniform(0.1, 1.0, n), 0.0)
    return x, tx, age


def _with(index: int, value: float, array: np.ndarray) -> np.ndarray:
    changed = array.copy()
    changed[index] = value
    return changed


X, TX, AGE = _population()
N = 200
RNG = np.random.default_rng(1)
REPEAT_X = RNG.integers(1, 4, N).astype(float)

REFUSALS: list[tuple[str, Any, str, str | None]] = [
    ("19 customers", lambda: clv.fit_bgnbd(X[:19], TX[:19], AGE[:19]), "clv_too_few_customers",
     None),
    ("9 repeat buyers", lambda: clv.fit_bgnbd(
        _with(slice(9, 20), 0, X), _with(slice(9, 20), 0, TX), AGE), "clv_too_few_repeat", None),
    ("no elapsed time", lambda: clv.fit_bgnbd(X, np.zeros(40), np.zeros(40)),
     "clv_no_elapsed_time", "T"),
    ("NaN recency", lambda: clv.fit_bgnbd(X, _with(4, np.nan, TX), AGE), "clv_not_finite",
     "recency"),
    ("infinite T", lambda: clv.fit_bgnbd(X, TX, _with(0, np.inf, AGE)), "clv_not_finite", "T"),
    ("negative frequency", lambda: clv.fit_bgnbd(_with(30, -1, X), TX, AGE), "clv_negative",
     "frequency"),
    ("fractional frequency", lambda: clv.fit_bgnbd(_with(3, 1.5, X), TX, AGE), "clv_not_whole",
     "frequency"),
    ("recency after T", lambda: clv.fit_bgnbd(X, _with(2, 99.0, TX), AGE),
     "clv_recency_after_age", "recency"),
    ("recency without repeat", lambda: clv.fit_bgnbd(X, _with(30, 3.0, TX), AGE),
     "clv_recency_without_repeat", "recency"),
    ("lengths differ", lambda: clv.fit_bgnbd(X, TX[:-1], AGE), "clv_shape", "recency"),
    ("identical customers", lambda: clv.fit_bgnbd(np.full(N, 2.0), np.full(N, 10.0),
     np.full(N, 20.0)), "clv_runaway", None),
    ("nobody drops out", lambda: clv.fit_bgnbd(REPEAT_X, np.full(N, 20.0), np.full(N, 20.0)),
     "clv_runaway", None),
    ("spend: 9 repeat buyers", lambda: clv.fit_gamma_gamma(X[11:], np.full(29, 5.0)),
     "clv_too_few_repeat", None),
    ("spend: negative", lambda: clv.fit_gamma_gamma(X, _with(1, -5, np.full(40, 5.0))),
     "clv_negative", "monetary"),
    ("spend: all equal", lambda: clv.fit_gamma_gamma(REPEAT_X, np.full(N, 10.0)), "clv_runaway",
     None),
    ("spend: heavy tail", lambda: clv.fit_gamma_gamma(REPEAT_X, RNG.lognormal(3, 2.5, N)),
     "clv_spend_heavy_tail", None),
    ("transactions: negative amount", lambda: summarise(["a", "b"], ["2024-01-01"] * 2,
     [1.0, -2.0], observation_end=date(2024, 2, 1), time_unit="days"),
     "clv_transaction_invalid", "amount"),
    ("transactions: NaN amount", lambda: summarise(["a"], ["2024-01-01"], [np.nan],
     observation_end=date(2024, 2, 1), time_unit="days"), "clv_transaction_invalid", "amount"),
    ("transactions: missing date", lambda: summarise(["a"], [None], [1.0],
     observation_end=date(2024, 2, 1), time_unit="days"), "clv_transaction_invalid", "date"),
    ("transactions: none before the end", lambda: summarise(["a"], ["2024-03-01"], [1.0],
     observation_end=date(2024, 2, 1), time_unit="days"), "clv_no_transactions", None),
    ("transactions: bad unit", lambda: summarise(["a"], ["2024-01-01"], [1.0],
     observation_end=date(2024, 2, 1), time_unit="months"), "clv_bad_option", "time_unit"),
    ("transactions: lengths differ", lambda: summarise(["a", "b"], ["2024-01-01"], [1.0, 2.0],
     observation_end=date(2024, 2, 1), time_unit="days"), "clv_shape", "dates"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "code", "field"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_degenerate_input_is_refused_with_a_named_reason(
    make: Any, code: str, field: str | None
) -> None:
    with pytest.raises(ClvRefused) as caught:
        make()
    assert caught.value.code == code
    assert caught.value.field == field
    english, chinese = caught.value.message_in("en"), caught.value.message_in("zh-CN")
    assert str(caught.value) == english
    assert CJK.search(chinese) and not CJK.search(english)
    assert "{" not in english + chinese
    if field is not None:
        assert field in english and field in chinese


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": float("nan")}, "horizon"),
        ({"discount_rate": -0.1}, "discount_rate"),
        ({"margin": -1}, "margin"),
        ({"horizon": 40000}, "horizon"),
        ({"step_days": 0}, "step_days"),
        ({"step_days": 0.01}, "step_days"),
        ({"discount_rate": float("inf")}, "discount_rate"),
        ({"time_unit": "months"}, "time_unit"),
    ],
)
def test_customer_value_refuses_bad_options(
    summary: Summary,
    fitted: tuple[BgNbdParams, GammaGammaParams],
    options: dict[str, Any],
    field: str,
) -> None:
    settings: dict[str, Any] = {"horizon": 365, "discount_rate": 0.1, "time_unit": "weeks"}
    with pytest.raises(ClvRefused) as caught:
        clv.customer_value(
            *fitted,
            summary.frequency,
            summary.recency,
            summary.T,
            summary.monetary,
            **{**settings, **options},
        )
    assert caught.value.code == "clv_bad_option"
    assert caught.value.field == field
    assert CJK.search(caught.value.message_in("zh-CN"))


def test_an_optimiser_that_stops_early_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stopped:
        x = np.zeros(4)
        success = False
        message = "ABNORMAL: "
        nit = 3

    monkeypatch.setattr(clv, "minimize", lambda *args, **kwargs: Stopped())
    with pytest.raises(ClvRefused) as caught:
        clv.fit_bgnbd(X, TX, AGE)
    assert caught.value.code == "clv_not_converged"
    assert "ABNORMAL, 3 steps" in str(caught.value)


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers drawn from the BG/NBD story itself: Poisson buying at a gamma-distributed
    rate, dropping out after each repeat purchase with a beta-distributed probability."""
    rng = np.random.default_rng(seed)
    rates, drops = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    ages = rng.uniform(27, 39, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        now = 0.0
        while True:
            now += rng.exponential(1 / rates[i])
            if now > ages[i]:
                break
            x[i], tx[i] = x[i] + 1, now
            if rng.random() < drops[i]:
                break
    return x, tx, ages


def test_the_fit_recovers_the_parameters_of_simulated_customers() -> None:
    x, tx, age = simulate_bgnbd(6000, r=0.5, alpha=5.0, a=0.8, b=2.5, seed=11)
    bg = clv.fit_bgnbd(x, tx, age)
    assert (bg.r, bg.alpha) == pytest.approx((0.5, 5.0), rel=0.15)
    assert (bg.a, bg.b) == pytest.approx((0.8, 2.5), rel=0.35)
    assert bg.a / (bg.a + bg.b) == pytest.approx(0.8 / 3.3, rel=0.1)


def test_a_small_but_sound_population_is_fitted() -> None:
    x, tx, age = simulate_bgnbd(150, r=0.5, alpha=5.0, a=0.8, b=2.5, seed=5)
    bg = clv.fit_bgnbd(x, tx, age)
    assert bg.customers == 150
    assert all(np.isfinite([bg.r, bg.alpha, bg.a, bg.b, bg.log_likelihood]))
    alive = clv.probability_alive(bg, x, tx, age)
    assert np.all(alive[x == 0] == 1.0) and np.all((alive > 0) & (alive <= 1))
