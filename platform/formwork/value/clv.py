"""Predictive CLV: the BG/NBD model of repeat purchases and the Gamma-Gamma model of
spend, fitted by maximum likelihood with numpy/scipy (no Flask, no database).

BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way";
Gamma-Gamma: Fader & Hardie, "The Gamma-Gamma model of monetary value" (note 025).
Inputs are per-customer summaries (see ``formwork.value.transactions``): ``frequency`` =
repeat purchase days, ``recency`` = first to last purchase, ``T`` = first purchase to the
end of observation, ``monetary`` = mean spend of the repeat purchase days, times in one
unit (days or weeks). Degenerate data raises ``ClvRefused`` instead of a nonsense fit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize  # type: ignore[import-untyped]
from scipy.special import digamma, expit, gammaln, hyp2f1  # type: ignore[import-untyped]

# ClvError and ClvRefused are re-exported: callers catch them from here.
from formwork.value.clv_checks import ClvError as ClvError
from formwork.value.clv_checks import ClvRefused as ClvRefused
from formwork.value.clv_checks import (
    Floats,
    as_floats,
    check_summary,
    enough,
    same_length,
)

TimeUnit = Literal["days", "weeks"]

DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "weeks": 7.0}
DAYS_PER_YEAR = 365.25
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 10
MAX_HORIZON_DAYS = 100 * DAYS_PER_YEAR
MAX_STEPS = 10_000
# Log-parameters are kept within ±LOG_BOUND on a rescaled problem (time and spend divided
# by their largest/mean value), so a legitimate fit sits well inside (CDNOW: |log| < 3);
# one beyond ±LOG_RUNAWAY (a factor 10⁴) is heading for 0 or infinity, where the model
# degenerates (no heterogeneity, or no drop-out), and is refused.
LOG_BOUND = 18.0
LOG_RUNAWAY = math.log(1e4)


@dataclass(frozen=True)
class BgNbdParams:
    """A fitted BG/NBD model; ``alpha`` is in the time unit of the data it was fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


@dataclass(frozen=True)
class GammaGammaParams:
    """A fitted Gamma-Gamma model; ``customers`` counts the repeat buyers it used."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int


def _minimise(
    model: str,
    names: tuple[str, ...],
    scales: tuple[float, ...],
    objective: Any,
    args: tuple[Any, ...],
) -> Floats:
    """Minimise ``objective(theta, *args) -> (value, gradient)`` over log-parameters;
    ``scales`` turn each rescaled parameter back into the caller's units (for messages)."""

    def boxed(theta: Floats, *rest: Any) -> tuple[float, Floats]:
        # BFGS is unbounded; the box keeps exp() finite on a wild line-search step (a
        # fit that ends near it is refused below as a runaway anyway).
        return objective(np.clip(theta, -LOG_BOUND, LOG_BOUND), *rest)  # type: ignore[no-any-return]

    # Plain BFGS rather than L-BFGS-B: on four parameters it needs no BLAS, whose thread
    # pool made L-BFGS-B several times slower on a busy machine. Its line-search warnings
    # are not shown: the result is judged below.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = minimize(
            boxed,
            np.zeros(len(names)),
            args=args,
            jac=True,
            method="BFGS",
            options={"maxiter": 1000, "gtol": 1e-7},
        )
    theta = np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ClvRefused("clv_not_converged", model=model, reason="not a number")
    # A runaway says more than "no convergence", which often follows from it.
    runaway = int(np.argmax(np.abs(theta)))
    if abs(theta[runaway]) > LOG_RUNAWAY:
        raise ClvRefused(
            "clv_runaway",
            model=model,
            parameter=names[runaway],
            value=math.exp(float(theta[runaway])) * scales[runaway],
        )
    _, gradient = objective(theta, *args)
    # BFGS may stop on a line search right at the optimum; a flat gradient is what counts
    # (the objective is a per-customer mean, so 1e-5 is tight).
    if not result.success and float(np.max(np.abs(gradient))) > 1e-5:
        reason = str(result.message).strip(" :") or "line search failed"
        raise ClvRefused("clv_not_converged", model=model, reason=f"{reason}, {result.nit} steps")
    return theta


# -- BG/NBD -------------------------------------------------------------------------------


def _bgnbd_objective(
    theta: Floats,
    xs: Floats,
    x_at: npt.NDArray[np.intp],
    x: Floats,
    tx: Floats,
    age: Floats,
    weights: Floats,
) -> tuple[float, Floats]:
    """Mean negative log-likelihood of BG/NBD and its gradient in log-parameters.

    Gamma functions run on the distinct frequencies only (a few dozen) and are gathered;
    the rest is elementwise over distinct (x, t_x, T) patterns weighted by their count.
    """
    r, alpha, a, b = np.exp(theta)
    repeat = x > 0
    log_a1 = (gammaln(r + xs) - gammaln(r))[x_at] + r * np.log(alpha)
    log_a2 = (gammaln(a + b) + gammaln(b + xs) - gammaln(b) - gammaln(a + b + xs))[x_at]
    log_age = np.log(alpha + age)
    log_rec = np.log(alpha + tx)
    u3 = -(r + x) * log_age
    u4 = np.where(repeat, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * log_rec, -np.inf)
    log_a34 = np.logaddexp(u3, u4)
    w3 = np.exp(u3 - log_a34)
    w4 = np.exp(u4 - log_a34)
    total = float(weights.sum())
    value = -float(weights @ (log_a1 + log_a2 + log_a34)) / total

    d_r = (digamma(r + xs) - digamma(r))[x_at] + np.log(alpha) - w3 * log_age - w4 * log_rec
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + age) + w4 / (alpha + tx))
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xs)[x_at]
    d_a = psi_ab - psi_abx + w4 / a
    d_b = psi_ab + (digamma(b + xs) - digamma(b))[x_at] - psi_abx - w4 / (b + np.maximum(x, 1) - 1)
    gradient = np.array(
        [
            -r * float(weights @ d_r),
            -alpha * float(weights @ d_alpha),
            -a * float(weights @ d_a),
            -b * float(weights @ d_b),
        ]
    )
    return value, gradient / total


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat: int = MIN_REPEAT_CUSTOMERS,
) -> BgNbdParams:
    """Fit BG/NBD (r, alpha, a, b) by maximum likelihood.

    Args:
        frequency: Repeat purchase days per customer (whole numbers ≥ 0).
        recency: Time from first to last purchase (0 when frequency is 0).
        T: Time from first purchase to the end of observation, same unit as recency.
        min_customers: Fewer customers than this are refused.
        min_repeat: Fewer customers with a repeat purchase than this are refused.

    Raises:
        ClvRefused: bad inputs (field and customer named), too few (repeat) customers,
            no elapsed time, no convergence or a parameter running off to 0/infinity.
    """
    x, tx, age = check_summary(frequency, recency, T)
    enough(x.size, int(np.count_nonzero(x)), min_customers, min_repeat)
    horizon = float(age.max())
    if horizon <= 0:
        raise ClvRefused("clv_no_elapsed_time", field="T")
    # Many customers share a pattern (all one-time buyers of a day, for a start).
    patterns, counts = np.unique(np.column_stack([x, tx, age]), axis=0, return_counts=True)
    px, ptx, page = patterns[:, 0], patterns[:, 1] / horizon, patterns[:, 2] / horizon
    xs, x_at = np.unique(px, return_inverse=True)
    weights = counts.astype(np.float64)
    theta = _minimise(
        "BG/NBD",
        ("r", "alpha", "a", "b"),
        (1.0, horizon, 1.0, 1.0),
        _bgnbd_objective,
        (xs, x_at, px, ptx, page, weights),
    )
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    alpha *= horizon
    # The likelihood is a density in time, so report it in the caller's unit.
    full = np.array([math.log(r), math.log(alpha), math.log(a), math.log(b)])
    value, _ = _bgnbd_objective(full, xs, x_at, px, patterns[:, 1], patterns[:, 2], weights)
    return BgNbdParams(r, alpha, a, b, -float(value) * float(weights.sum()), int(x.size))


def expected_purchases(
    bg: BgNbdParams,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> Floats:
    """Expected repeat purchases in the next ``t`` (FHL 2005 eq. 10), per customer."""
    r, alpha, a, b = bg.r, bg.alpha, bg.a, bg.b
    x, tx, age = check_summary(frequency, recency, T)
    span = np.asarray(t, dtype=np.float64)
    z = span / (alpha + age + span)
    big_a, big_b, big_c = r + x, b + x, a + b + x - 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_hyp = np.log(hyp2f1(big_a, big_b, big_c, z))
        # Euler's transformation where the series overflows (large frequencies).
        euler = np.log(hyp2f1(big_c - big_a, big_c - big_b, big_c, z)) + (
            big_c - big_a - big_b
        ) * np.log1p(-z)
    log_hyp = np.where(np.isfinite(log_hyp), log_hyp, euler)
    ratio = (r + x) * np.log((alpha + age) / (alpha + age + span))
    numerator = (a + b + x - 1) / (a - 1) * -np.expm1(log_hyp + ratio)
    odds = np.where(
        x > 0,
        a / (b + np.maximum(x, 1) - 1) * ((alpha + age) / (alpha + tx)) ** (r + x),
        0.0,
    )
    return np.asarray(numerator / (1 + odds), dtype=np.float64)


def probability_alive(
    bg: BgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(the customer has not dropped out), per customer (Hardie's note 021)."""
    x, tx, age = check_summary(frequency, recency, T)
    log_odds = (bg.r + x) * np.log((bg.alpha + age) / (bg.alpha + tx)) + np.log(
        bg.a / (bg.b + np.maximum(x, 1) - 1)
    )
    return np.asarray(np.where(x > 0, expit(-log_odds), 1.0), dtype=np.float64)


# -- Gamma-Gamma --------------------------------------------------------------------------


def _gamma_gamma_objective(theta: Floats, x: Floats, m: Floats) -> tuple[float, Floats]:
    """Mean negative log-likelihood of Gamma-Gamma (note 025, eq. 1a) and its gradient."""
    p, q, v = np.exp(theta)
    px = p * x
    log_total = np.log(x * m + v)
    log_xm = np.log(x) + np.log(m)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + px * log_xm
        - np.log(m)
        - (px + q) * log_total
    )
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + log_xm - log_total)
    d_q = psi - digamma(q) + np.log(v) - log_total
    d_v = q / v - (px + q) / (x * m + v)
    gradient = -np.array([p * d_p.sum(), q * d_q.sum(), v * d_v.sum()]) / x.size
    return -float(ll.sum()) / x.size, gradient


def fit_gamma_gamma(
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    min_repeat: int = MIN_REPEAT_CUSTOMERS,
) -> GammaGammaParams:
    """Fit Gamma-Gamma (p, q, v) on the customers with frequency > 0 and monetary > 0.

    Args:
        frequency: Repeat purchase days per customer.
        monetary: Mean spend of each customer's repeat purchase days.
        min_repeat: Fewer usable repeat buyers than this are refused.

    Raises:
        ClvRefused: bad inputs, too few repeat buyers, no convergence, a runaway
            parameter, or q ≤ 1 (spend with no finite mean).
    """
    x = as_floats(frequency, "frequency")
    m = as_floats(monetary, "monetary")
    same_length(frequency=x, monetary=m)
    used = (x > 0) & (m > 0)
    count = int(np.count_nonzero(used))
    enough(count, count, 0, min_repeat)
    x, m = x[used], m[used]
    scale = float(m.mean())
    theta = _minimise(
        "Gamma-Gamma", ("p", "q", "v"), (1.0, 1.0, scale), _gamma_gamma_objective, (x, m / scale)
    )
    p, q, v = (float(value) for value in np.exp(theta))
    v *= scale
    if q <= 1:
        raise ClvRefused("clv_spend_heavy_tail", q=q)
    value, _ = _gamma_gamma_objective(np.log([p, q, v]), x, m)
    return GammaGammaParams(p, q, v, -value * count, count)


def expected_average_spend(
    gg: GammaGammaParams, frequency: npt.ArrayLike, monetary: npt.ArrayLike
) -> Floats:
    """Expected spend per future purchase (note 025, eq. 5): the customer's own mean
    shrunk towards the population mean, the more so the fewer repeat purchases."""
    x = as_floats(frequency, "frequency")
    m = as_floats(monetary, "monetary")
    same_length(frequency=x, monetary=m)
    own = gg.p * x / (gg.p * x + gg.q - 1)
    population = gg.v * gg.p / (gg.q - 1)
    return np.asarray((1 - own) * population + own * m, dtype=np.float64)


def customer_value(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    horizon: float,
    discount_rate: float,
    time_unit: TimeUnit,
    margin: float = 1.0,
    step_days: float = DAYS_PER_YEAR / 12,
) -> Floats:
    """Discounted expected spend over the next ``horizon`` days, per customer.

    The horizon is cut into steps of ``step_days`` (a month by default; the last step
    ends at the horizon). The purchases expected within step k, times the expected
    spend per purchase and ``margin``, are discounted from the step's end τ_k (days) at
    the annual ``discount_rate``: divided by (1 + discount_rate) ** (τ_k / 365.25). With
    ``step_days`` = 30 or 4.345 weeks and the monthly rate converted to an annual one,
    this is lifetimes' ``customer_lifetime_value``.

    Args:
        horizon: Days ahead (e.g. 365).
        discount_rate: Annual discount rate (0.1 = 10 % a year).
        time_unit: The unit of recency/T, and of the models' fit ("days" or "weeks").
        margin: Share of spend that is profit (1.0 = value as revenue).
        step_days: Length of a discounting step in days.

    Raises:
        ClvRefused: a bad option or bad inputs.
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ClvRefused("clv_bad_option", field="time_unit", expected="unit", value=time_unit)
    for name, number, expected, low, high in (
        ("horizon", horizon, "horizon", 0.0, MAX_HORIZON_DAYS),
        ("step_days", step_days, "step", horizon / MAX_STEPS, math.inf),
        ("discount_rate", discount_rate, "rate", 0.0, math.inf),
        ("margin", margin, "rate", 0.0, math.inf),
    ):
        fits = low < number <= high if expected != "rate" else low <= number < high
        if not (math.isfinite(number) and fits):
            raise ClvRefused("clv_bad_option", field=name, expected=expected, value=number)
    spend = expected_average_spend(gg, frequency, monetary) * margin
    unit = DAYS_PER_UNIT[time_unit]
    steps = math.ceil(horizon / step_days - 1e-9)
    value = np.zeros_like(spend)
    before = np.zeros_like(spend)
    # A loop over a dozen steps, each step vectorised over every customer.
    for k in range(1, steps + 1):
        end = min(k * step_days, horizon)
        cumulative = expected_purchases(bg, end / unit, frequency, recency, T)
        value += spend * (cumulative - before) / (1 + discount_rate) ** (end / DAYS_PER_YEAR)
        before = cumulative
    return value
