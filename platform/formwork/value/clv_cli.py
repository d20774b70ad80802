"""``formwork clv fit``: fit BG/NBD and Gamma-Gamma on a transactions CSV, print the
parameters as JSON, optionally write per-customer predictions.

The models are imported when the command runs, so other commands do not pay for scipy.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import click

from form_engine.messages import normalise_locale

PREDICTION_COLUMNS = (
    "customer",
    "frequency",
    "recency",
    "T",
    "monetary",
    "expected_purchases",
    "p_alive",
    "expected_average_spend",
    "clv",
)


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    from formwork.value.transactions import parse_date

    day = parse_date(value)
    if day is None:
        raise click.BadParameter(f"“{value}” is not a date (use YYYY-MM-DD)")
    return day


def _default_locale() -> str:
    # The message language follows the terminal's, like other command-line tools.
    return normalise_locale(os.environ.get("LC_ALL") or os.environ.get("LANG"))


@click.group("clv")
def clv_group() -> None:
    """Predictive customer lifetime value (BG/NBD + Gamma-Gamma)."""


@clv_group.command("fit")
@click.argument("transactions_csv", metavar="TRANSACTIONS.csv", type=click.Path(dir_okay=False))
@click.option("--customer-col", required=True, help="Column holding the customer id.")
@click.option("--date-col", required=True, help="Column holding the purchase date.")
@click.option("--amount-col", required=True, help="Column holding the amount.")
@click.option(
    "--observation-end",
    callback=_day,
    help="Last day observed, YYYY-MM-DD (default: the last transaction's day); later "
    "transactions are ignored.",
)
@click.option(
    "--time-unit",
    type=click.Choice(["days", "weeks"]),
    default="weeks",
    show_default=True,
    help="Unit of recency, T and alpha.",
)
@click.option(
    "--horizon",
    type=click.FloatRange(min=0, min_open=True),
    default=365.0,
    show_default=True,
    help="Days ahead for expected purchases and CLV.",
)
@click.option(
    "--discount-rate",
    type=click.FloatRange(min=0),
    default=0.1,
    show_default=True,
    help="Annual discount rate for CLV (0.1 = 10%).",
)
@click.option(
    "--margin",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Share of spend that is profit.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write per-customer predictions to this CSV file.",
)
@click.option(
    "--locale",
    type=click.Choice(["en", "zh-CN"]),
    default=_default_locale,
    help="Language of error messages (default: from LANG).",
)
def fit_command(
    transactions_csv: str,
    customer_col: str,
    date_col: str,
    amount_col: str,
    observation_end: date | None,
    time_unit: str,
    horizon: float,
    discount_rate: float,
    margin: float,
    out: str | None,
    locale: str,
) -> None:
    """Fit the models on TRANSACTIONS.csv (a header line, one line per transaction)."""
    from formwork.value.clv import ClvError

    try:
        result = _fit(
            Path(transactions_csv),
            (customer_col, date_col, amount_col),
            observation_end,
            time_unit,
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margin,
            out=Path(out) if out else None,
        )
    except ClvError as exc:
        raise click.ClickException(exc.message_in(locale)) from exc
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


def _fit(
    path: Path,
    columns: tuple[str, str, str],
    observation_end: date | None,
    time_unit: Any,
    *,
    horizon: float,
    discount_rate: float,
    margin: float,
    out: Path | None,
) -> dict[str, Any]:
    from formwork.value import clv
    from formwork.value.transactions import read_csv, summarise

    found = read_csv(path, *columns)
    end = observation_end or date.fromisoformat(str(found.dates.max()))
    summary = summarise(
        found.customers,
        found.dates,
        found.amounts,
        observation_end=end,
        time_unit=time_unit,
    )
    x, tx, age, m = summary.frequency, summary.recency, summary.T, summary.monetary
    bg = clv.fit_bgnbd(x, tx, age)
    gg = clv.fit_gamma_gamma(x, m)
    if out is not None:
        unit_days = clv.DAYS_PER_UNIT[time_unit]
        columns_out = (
            summary.customers,
            x,
            tx,
            age,
            m,
            clv.expected_purchases(bg, horizon / unit_days, x, tx, age),
            clv.probability_alive(bg, x, tx, age),
            clv.expected_average_spend(gg, x, m),
            clv.customer_value(
                bg,
                gg,
                x,
                tx,
                age,
                m,
                horizon=horizon,
                discount_rate=discount_rate,
                time_unit=time_unit,
                margin=margin,
            ),
        )
        _write_predictions(out, columns_out)
    return {
        "r": bg.r,
        "alpha": bg.alpha,
        "a": bg.a,
        "b": bg.b,
        "p": gg.p,
        "q": gg.q,
        "v": gg.v,
        "log_likelihood": bg.log_likelihood,
        "customers": bg.customers,
        "gamma_gamma_log_likelihood": gg.log_likelihood,
        "gamma_gamma_customers": gg.customers,
        "time_unit": time_unit,
        "observation_end": end.isoformat(),
    }


def _write_predictions(out: Path, columns: tuple[Any, ...]) -> None:
    from formwork.value.clv import ClvError

    try:
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PREDICTION_COLUMNS)
            for row in zip(*columns, strict=True):
                writer.writerow([row[0], *(f"{float(value):.10g}" for value in row[1:])])
    except OSError as exc:
        raise ClvError("clv_out_unwritable", path=str(out), reason=exc.strerror or exc) from exc
