"""Predictive CLV on CDNOW: our BG/NBD + Gamma-Gamma fit against ``lifetimes`` on the
same customer summary, in the same run (median of several repetitions).

Rows: the transactions → summary step (ours in numpy; lifetimes' pandas helper), each
fit, both fits, and the predictions (expected purchases, P(alive), expected spend, CLV
over 12 months). ``ratio_vs_lifetimes`` is our fit time ÷ lifetimes' (lower is better).
The default is the 2,357-customer CDNOW sample FHL 2005 used; ``--full`` adds the
23,570-customer master file and more repetitions.

    python bench/clv.py [--full]
"""

from __future__ import annotations

import importlib.resources
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from formwork.value import clv
from formwork.value.transactions import Summary, summarise

END = date(1997, 9, 30)
STEP_DAYS = 4.345 * 7  # lifetimes' month in weeks, so both CLVs are the same quantity


def _lifetimes() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes and pandas warn on import
        import lifetimes
        import lifetimes.utils
    return lifetimes


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CDNOW file from the lifetimes package: customer ids, days, dollar amounts.

    The sample has no header (id, master id, date, CDs, dollars); the master file has
    one (id, date, CDs, dollars): both end with date, CDs, dollars.
    """
    _lifetimes()
    text = (importlib.resources.files("lifetimes") / "datasets" / name).read_text()
    rows = [line.split() for line in text.splitlines() if line.strip()]
    rows = [row for row in rows if row[0].isdigit()]
    ids = np.array([row[0] for row in rows])
    days = np.array([f"{r[-3][:4]}-{r[-3][4:6]}-{r[-3][6:]}" for r in rows], dtype="datetime64[D]")
    return ids, days, np.array([float(row[-1]) for row in rows])


def _median_ms(call: Callable[[], object], repetitions: int) -> tuple[float, Any]:
    call()  # warm-up: imports, caches
    times, result = [], None
    for _ in range(repetitions):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def _ours(summary: Summary) -> tuple[clv.BgNbdParams, clv.GammaGammaParams]:
    bg = clv.fit_bgnbd(summary.frequency, summary.recency, summary.T)
    return bg, clv.fit_gamma_gamma(summary.frequency, summary.monetary)


def _predict(summary: Summary, bg: clv.BgNbdParams, gg: clv.GammaGammaParams) -> object:
    args = (summary.frequency, summary.recency, summary.T)
    clv.expected_purchases(bg, 39, *args)
    clv.probability_alive(bg, *args)
    return clv.customer_value(
        bg,
        gg,
        *args,
        summary.monetary,
        horizon=12 * STEP_DAYS,
        discount_rate=1.01 ** (365.25 / STEP_DAYS) - 1,
        time_unit="weeks",
        step_days=STEP_DAYS,
    )


def run(repetitions: int = 9, dataset: str = "CDNOW_sample.txt") -> dict[str, float]:
    """Time ours and lifetimes on one CDNOW file; the figures of the summary line."""
    lifetimes = _lifetimes()
    import pandas as pd

    ids, days, amounts = load(dataset)
    frame = pd.DataFrame({"id": ids, "day": pd.to_datetime(days), "amount": amounts})

    def their_summary() -> Any:
        table = lifetimes.utils.summary_data_from_transaction_data(
            frame, "id", "day", "amount", observation_period_end=str(END), freq="D"
        )
        table["recency"] /= 7
        table["T"] /= 7
        return table

    def their_fits(table: Any) -> tuple[Any, Any]:
        bg = lifetimes.BetaGeoFitter().fit(table["frequency"], table["recency"], table["T"])
        repeat = table[(table["frequency"] > 0) & (table["monetary_value"] > 0)]
        return bg, lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])

    def their_predictions(table: Any, bg: Any, gg: Any) -> object:
        args = (table["frequency"], table["recency"], table["T"])
        bg.conditional_expected_number_of_purchases_up_to_time(39, *args)
        bg.conditional_probability_alive(*args)
        return gg.customer_lifetime_value(
            bg, *args, table["monetary_value"], time=12, discount_rate=0.01, freq="W"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summarise_ms, summary = _median_ms(
            lambda: summarise(ids, days, amounts, observation_end=END, time_unit="weeks"),
            repetitions,
        )
        their_summarise_ms, table = _median_ms(their_summary, repetitions)
        bg_ms, _ = _median_ms(
            lambda: clv.fit_bgnbd(summary.frequency, summary.recency, summary.T), repetitions
        )
        gg_ms, _ = _median_ms(
            lambda: clv.fit_gamma_gamma(summary.frequency, summary.monetary), repetitions
        )
        fit_ms, (bg, gg) = _median_ms(lambda: _ours(summary), repetitions)
        their_bg_ms, _ = _median_ms(
            lambda: lifetimes.BetaGeoFitter().fit(table["frequency"], table["recency"], table["T"]),
            repetitions,
        )
        repeat = table[(table["frequency"] > 0) & (table["monetary_value"] > 0)]
        their_gg_ms, _ = _median_ms(
            lambda: lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]),
            repetitions,
        )
        their_fit_ms, (their_bg, their_gg) = _median_ms(lambda: their_fits(table), repetitions)
        predict_ms, ours_clv = _median_ms(lambda: _predict(summary, bg, gg), repetitions)
        their_predict_ms, their_clv = _median_ms(
            lambda: their_predictions(table, their_bg, their_gg), repetitions
        )
    theirs = their_clv.loc[summary.customers].to_numpy()
    return {
        "customers": float(summary.customers.size),
        "summarise_ms": summarise_ms,
        "lifetimes_summarise_ms": their_summarise_ms,
        "bgnbd_fit_ms": bg_ms,
        "lifetimes_bgnbd_fit_ms": their_bg_ms,
        "gamma_gamma_fit_ms": gg_ms,
        "lifetimes_gamma_gamma_fit_ms": their_gg_ms,
        "fit_ms": fit_ms,
        "lifetimes_fit_ms": their_fit_ms,
        "ratio_vs_lifetimes": fit_ms / their_fit_ms,
        "predict_ms": predict_ms,
        "lifetimes_predict_ms": their_predict_ms,
        "clv_max_rel_diff": float(np.max(np.abs(ours_clv - theirs) / np.maximum(theirs, 1e-9))),
        "r": bg.r,
        "alpha": bg.alpha,
        "a": bg.a,
        "b": bg.b,
        "p": gg.p,
        "q": gg.q,
        "v": gg.v,
        "log_likelihood": bg.log_likelihood,
    }


def _table(name: str, figures: dict[str, float]) -> None:
    print(f"{name}: {figures['customers']:.0f} customers, observation end {END}, weeks")
    print(f"{'step':34} {'ours ms':>9} {'lifetimes ms':>13} {'ratio':>7}")
    for label, key in (
        ("transactions -> summary", "summarise_ms"),
        ("fit BG/NBD", "bgnbd_fit_ms"),
        ("fit Gamma-Gamma", "gamma_gamma_fit_ms"),
        ("fit both", "fit_ms"),
        ("predict (E[x] 39 wk, P(alive), CLV)", "predict_ms"),
    ):
        ours, theirs = figures[key], figures[f"lifetimes_{key}"]
        print(f"{label:34} {ours:9.2f} {theirs:13.2f} {ours / theirs:7.2f}")
    print(
        f"r={figures['r']:.4f} alpha={figures['alpha']:.4f} a={figures['a']:.4f} "
        f"b={figures['b']:.4f} p={figures['p']:.3f} q={figures['q']:.3f} v={figures['v']:.3f} "
        f"LL={figures['log_likelihood']:.1f}; CLV vs lifetimes: max relative difference "
        f"{figures['clv_max_rel_diff']:.1e}"
    )


def main(argv: list[str]) -> None:
    full = "--full" in argv
    figures = run(repetitions=31 if full else 9)
    _table("CDNOW sample (FHL 2005)", figures)
    if full:
        print()
        _table("CDNOW master", run(repetitions=9, dataset="CDNOW_master.txt"))
    print(
        "bench clv: "
        f"fit_ms={figures['fit_ms']:.2f} "
        f"lifetimes_fit_ms={figures['lifetimes_fit_ms']:.2f} "
        f"ratio_vs_lifetimes={figures['ratio_vs_lifetimes']:.3f} "
        f"r={figures['r']:.4f} alpha={figures['alpha']:.4f} "
        f"a={figures['a']:.4f} b={figures['b']:.4f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
