"""Names shared by every part of customer value: the metrics tier conditions and reports
can use, the RFM segments with their default grid, and the churn statuses."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

# How tier conditions name a metric: {"var": "metrics.total_spent"} (never a form field,
# whose keys cannot contain a dot).
METRIC_PREFIX = "metrics."


@dataclass(frozen=True)
class Metric:
    """One column of ``customer_metrics`` offered to tier conditions and reports.

    ``kind`` is the condition language's SQL kind: number, text or date.
    """

    name: str
    kind: str
    label: LazyString


METRICS: tuple[Metric, ...] = (
    Metric("order_count", "number", _l("Orders")),
    Metric("total_spent", "number", _l("Total spent")),
    Metric("avg_order_value", "number", _l("Average order value")),
    Metric("first_order_on", "date", _l("First order date")),
    Metric("last_order_on", "date", _l("Last order date")),
    Metric("recency_days", "number", _l("Days since last order")),
    Metric("purchases_per_year", "number", _l("Purchases per year")),
    Metric("usual_interval_days", "number", _l("Usual days between orders")),
    Metric("orders_90d", "number", _l("Orders, last 90 days")),
    Metric("spent_90d", "number", _l("Spent, last 90 days")),
    Metric("orders_365d", "number", _l("Orders, last 365 days")),
    Metric("spent_365d", "number", _l("Spent, last 365 days")),
    Metric("complaints_90d", "number", _l("Complaints, last 90 days")),
    Metric("open_complaints", "number", _l("Unresolved complaints")),
    Metric("latest_nps", "number", _l("Latest NPS score")),
    Metric("last_follow_up_on", "date", _l("Last follow-up date")),
    Metric("r_score", "number", _l("R score (recency)")),
    Metric("f_score", "number", _l("F score (frequency)")),
    Metric("m_score", "number", _l("M score (monetary)")),
    Metric("rfm_segment", "text", _l("RFM segment")),
    Metric("clv_historical", "number", _l("CLV (historical)")),
    Metric("clv_predicted", "number", _l("CLV (predictive)")),
    Metric("p_alive", "number", _l("Probability still active")),
    Metric("expected_purchases", "number", _l("Expected purchases (horizon)")),
    Metric("churn_status", "text", _l("Churn status")),
)
METRICS_BY_NAME = {metric.name: metric for metric in METRICS}


def metric_var(name: str) -> str:
    """The condition variable of a metric: ``metrics.<name>``."""
    return METRIC_PREFIX + METRICS_BY_NAME[name].name


# RFM segments, best first (the standard map; GLOSSARY names the Chinese ones users know).
SEGMENTS: dict[str, LazyString] = {
    "champions": _l("Champions"),
    "loyal": _l("Loyal"),
    "potential_loyalist": _l("Potential Loyalist"),
    "new": _l("New Customers"),
    "promising": _l("Promising"),
    "need_attention": _l("Need Attention"),
    "about_to_sleep": _l("About to Sleep"),
    "at_risk": _l("At Risk"),
    "cant_lose": _l("Can't Lose Them"),
    "hibernating": _l("Hibernating"),
    "lost": _l("Lost"),
}

# The default segment of each (R score, F score) cell, keyed "RF" (e.g. "51": R=5, F=1).
# This is the widely used R-by-F grid; M is scored and shown but does not pick the segment,
# since it tracks F closely. Admins edit the grid in the settings.
DEFAULT_SEGMENT_GRID: dict[str, str] = {
    f"{r}{f}": segment
    for r, f, segment in [
        (1, 1, "lost"), (1, 2, "hibernating"), (2, 1, "hibernating"), (2, 2, "hibernating"),
        (1, 3, "at_risk"), (1, 4, "at_risk"), (2, 3, "at_risk"), (2, 4, "at_risk"),
        (1, 5, "cant_lose"), (2, 5, "cant_lose"),
        (3, 1, "about_to_sleep"), (3, 2, "about_to_sleep"),
        (3, 3, "need_attention"),
        (3, 4, "loyal"), (3, 5, "loyal"), (4, 4, "loyal"), (4, 5, "loyal"),
        (4, 1, "promising"),
        (5, 1, "new"),
        (4, 2, "potential_loyalist"), (4, 3, "potential_loyalist"),
        (5, 2, "potential_loyalist"), (5, 3, "potential_loyalist"),
        (5, 4, "champions"), (5, 5, "champions"),
    ]
}  # fmt: skip

# Churn statuses (tier changes of the built-in scheme "churn" raise tier_changed events).
CHURN_SCHEME_KEY = "churn"
CHURN_STATUSES: dict[str, LazyString] = {
    "none": _l("No orders yet"),
    "active": _l("Active"),
    "at_risk": _l("At risk"),
    "dormant": _l("Dormant"),
}
