# ruff: noqa: RUF001, S311 - Chinese text carries Chinese punctuation; seeded sample data, no secrets
"""Sample data of the Sales Pipeline (``sales_pipeline``).

A year of selling before ``as_of``: about 120 leads from every source (some new or just
contacted, many disqualified for a reason, about half qualified), about 80 opportunities
(most opened from a qualified lead a few days after it came in, some direct from returning
companies) whose stage follows their age — old deals are mostly won or lost, recent ones
still open, a few left without activity for weeks — and about 60 quotes for the deals that
reached a proposal: accepted for won deals, rejected or expired for lost ones, sent or in
draft for the open ones.

The plan (dates, stages, amounts) is drawn from ``random.Random`` with fixed seeds and is
the same in both languages; names, companies and texts come from Faker (fixed seed) and
the word lists below. Computed fields (rollups, lookups, formula, auto-number) and the
``deal_size`` tier (the tier scheme fills it) get no value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker

from templates_library.samples import FAKER_LOCALES, pick, unique_mobile

SEED = 20261102
HISTORY_DAYS = 365
Row = dict[str, Any]

SOURCES = [
    ("website", 9),
    ("referral", 5),
    ("trade_show", 4),
    ("advertising", 5),
    ("social_media", 4),
    ("cold_call", 3),
    ("partner", 3),
]
DISQUALIFY_REASONS = [
    ("no_budget", 5),
    ("no_need", 5),
    ("unreachable", 4),
    ("competitor", 3),
    ("duplicate", 1),
    ("other", 1),
]
LOST_REASONS = [
    ("price", 5),
    ("competitor", 5),
    ("no_budget", 3),
    ("no_decision", 3),
    ("timing", 2),
    ("other", 1),
]
PROBABILITY = {
    "prospecting": 10,
    "qualification": 20,
    "proposal": 50,
    "negotiation": 75,
    "won": 100,
    "lost": 0,
}
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]

TEXTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "products": [
            "CRM rollout",
            "Annual licence",
            "Data migration",
            "Support plan",
            "Team training",
            "Integration project",
            "Hardware refresh",
            "Analytics add-on",
        ],
        "job_titles": [
            "Purchasing Manager",
            "Operations Director",
            "CEO",
            "IT Manager",
            "Head of Sales",
            "Office Manager",
            "CFO",
            "Project Lead",
        ],
        "interests": [
            "Wants a demo for a team of {n} people.",
            "Asked for pricing for {n} seats.",
            "Replacing spreadsheets; about {n} users.",
            "Needs an integration with their ERP; {n} users.",
            "Looking at a pilot with {n} people next quarter.",
        ],
        "next_steps": [
            "Send the proposal",
            "Book a demo with the team",
            "Call the decision maker",
            "Answer the security questionnaire",
            "Agree on the contract terms",
            "Prepare a pilot plan",
        ],
        "quote_notes": [
            "Includes onboarding.",
            "Payment in two instalments.",
            "Price valid for the first year.",
            "Discount for a two-year term.",
        ],
        "tags": ["hot", "budget approved", "needs demo", "long cycle"],
    },
    "zh-CN": {
        "products": [
            "客户管理系统上线",
            "年度软件许可",
            "数据迁移服务",
            "运维支持服务",
            "团队培训",
            "系统集成项目",
            "硬件升级",
            "数据分析模块",
        ],
        "job_titles": [
            "采购经理",
            "运营总监",
            "总经理",
            "信息部经理",
            "销售总监",
            "行政主管",
            "财务总监",
            "项目负责人",
        ],
        "interests": [
            "希望为 {n} 人的团队安排产品演示。",
            "询问 {n} 个账号的报价。",
            "想替换现有的 Excel 表格，约 {n} 人使用。",
            "需要与现有 ERP 系统对接，约 {n} 人使用。",
            "计划下季度先试点，约 {n} 人参与。",
        ],
        "next_steps": [
            "发送方案",
            "安排团队演示",
            "联系决策人",
            "回复信息安全问卷",
            "商定合同条款",
            "制定试点计划",
        ],
        "quote_notes": [
            "含上线实施服务。",
            "分两期付款。",
            "首年价格有效。",
            "签两年合同享受折扣。",
        ],
        "tags": ["高意向", "预算已批", "需要演示", "决策周期长"],
    },
}

ZH_CITIES = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "苏州", "西安"]
ZH_BRANDS = [
    *("恒信", "瑞丰", "华誉", "嘉禾", "鼎盛", "启明", "博远", "润德", "锦程", "天合"),
    *("新源", "安泰", "和美", "宏达", "远航", "明川", "金桥", "盈泰", "云帆", "聚隆"),
]
ZH_TRADES = ["科技", "贸易", "制造", "物流", "医疗器械", "教育科技", "食品", "建材", "咨询"]


@dataclass
class Lead:
    key: str
    received: date
    source: str
    status: str
    disqualify_reason: str | None
    seats: int


@dataclass
class Deal:
    key: str
    lead: Lead | None
    company_index: int
    opened: date
    stage: str
    amount: int
    last_activity: date
    expected_close: date
    lost_reason: str | None
    product: int
    next_step: int


@dataclass
class Quote:
    key: str
    deal: Deal
    amount: float | int
    discount: int | None
    sent: date | None
    valid_until: date
    status: str


# -- the plan (locale-free) ------------------------------------------------------------------


def _leads(as_of: date) -> list[Lead]:
    """About 120 leads over the year, more of them recently (the business grows)."""
    rng = random.Random(SEED + 1)
    leads: list[Lead] = []
    for number in range(1, 121):
        # Skewed towards recent days: age = 365 * u^1.5.
        age = int(HISTORY_DAYS * rng.random() ** 1.5)
        received = as_of - timedelta(days=age)
        if age <= 10:
            status = rng.choice(["new", "new", "contacted"])
        elif age <= 30:
            status = rng.choices(["contacted", "qualified", "disqualified"], [4, 4, 2])[0]
        else:
            status = rng.choices(["qualified", "disqualified", "contacted"], [11, 7, 1])[0]
        reason = pick(rng, DISQUALIFY_REASONS) if status == "disqualified" else None
        leads.append(
            Lead(
                f"l{number}",
                received,
                pick(rng, SOURCES),
                status,
                reason,
                rng.choice([5, 8, 10, 15, 20, 30, 50, 80, 120]),
            )
        )
    leads.sort(key=lambda lead: (lead.received, lead.key))
    for number, lead in enumerate(leads, start=1):
        lead.key = f"l{number}"
    return leads


def _stage_for(age: int, rng: random.Random) -> str:
    """Old deals are mostly closed; young ones are still moving through the stages."""
    stages = ["won", "lost", "negotiation", "proposal", "qualification", "prospecting"]
    if age > 150:
        return rng.choices(stages, [42, 40, 10, 8, 0, 0])[0]
    if age > 60:
        return rng.choices(stages, [22, 20, 22, 20, 12, 4])[0]
    return rng.choices(stages, [3, 4, 15, 25, 28, 25])[0]


def _amount(rng: random.Random) -> int:
    """Deal amounts from ¥8,000 to ¥600,000, most of them small: a log-normal, rounded."""
    value = min(600_000.0, max(8_000.0, rng.lognormvariate(10.9, 0.95)))
    step = 1000 if value < 100_000 else 5000
    return int(round(value / step) * step)


def _deals(leads: list[Lead], as_of: date) -> list[Deal]:
    rng = random.Random(SEED + 2)
    plans: list[tuple[Lead | None, date]] = [
        (lead, lead.received + timedelta(days=rng.randint(1, 12)))
        for lead in leads
        if lead.status == "qualified"
    ]
    # Returning companies buy again without a new lead.
    while len(plans) < 80:
        plans.append((None, as_of - timedelta(days=int(HISTORY_DAYS * rng.random() ** 1.2))))
    deals: list[Deal] = []
    for index, (lead, opened) in enumerate(sorted(plans, key=lambda p: p[1]), start=1):
        opened = min(opened, as_of)
        age = (as_of - opened).days
        stage = _stage_for(age, rng)
        closed = stage in ("won", "lost")
        if closed:
            # Closed 20-110 days after opening, never after as_of.
            close = min(as_of, opened + timedelta(days=rng.randint(20, 110)))
            last_activity = close
            expected = close
        else:
            # Most open deals were touched recently; some are stale (15-60 days).
            stale = rng.random() < 0.25
            gap = rng.randint(15, min(60, max(15, age))) if stale else rng.randint(0, 12)
            last_activity = max(opened, as_of - timedelta(days=gap))
            expected = as_of + timedelta(days=rng.randint(10, 120))
        deals.append(
            Deal(
                key=f"o{index}",
                lead=lead,
                company_index=rng.randrange(1000),
                opened=opened,
                stage=stage,
                amount=_amount(rng),
                last_activity=last_activity,
                expected_close=expected,
                lost_reason=pick(rng, LOST_REASONS) if stage == "lost" else None,
                product=rng.randrange(8),
                next_step=rng.randrange(6),
            )
        )
    return deals


def _quotes(deals: list[Deal], as_of: date) -> list[Quote]:
    """Quotes for deals that reached a proposal: ~60 in all."""
    rng = random.Random(SEED + 3)
    quotes: list[Quote] = []
    for deal in deals:
        if deal.stage in ("prospecting", "qualification"):
            continue
        if deal.stage == "lost" and rng.random() < 0.45:
            continue  # lost before any quote
        rounds = 2 if deal.stage in ("won", "negotiation") and rng.random() < 0.25 else 1
        for round_number in range(rounds):
            final = round_number == rounds - 1
            discount = rng.choice([None, 5, 10, 15]) if final or rng.random() < 0.5 else None
            amount = deal.amount * (1 - (discount or 0) / 100)
            span = max(1, (deal.last_activity - deal.opened).days)
            sent = deal.opened + timedelta(days=min(span, rng.randint(3, 25) + 14 * round_number))
            sent = min(sent, as_of)
            valid_until = sent + timedelta(days=30)
            if not final:
                status = "rejected"
            elif deal.stage == "won":
                status = "accepted"
            elif deal.stage == "lost":
                status = rng.choice(["rejected", "rejected", "expired"])
            elif valid_until < as_of:
                status = "expired" if rng.random() < 0.5 else "sent"
                if status == "sent":
                    # Re-sent recently with a fresh validity.
                    sent = as_of - timedelta(days=rng.randint(1, 25))
                    valid_until = sent + timedelta(days=30)
            else:
                status = "sent" if rng.random() < 0.8 else "draft"
            quotes.append(
                Quote(
                    key=f"q{len(quotes) + 1}",
                    deal=deal,
                    amount=round(amount, 2) if amount % 1 else int(amount),
                    discount=discount,
                    sent=None if status == "draft" else sent,
                    valid_until=valid_until,
                    status=status,
                )
            )
    return quotes


# -- words -----------------------------------------------------------------------------------


class _Words:
    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.texts = TEXTS[locale]
        self.fake = Faker(FAKER_LOCALES[locale])
        self.fake.seed_instance(SEED)
        self.rng = random.Random(SEED + 10)

    def person(self) -> tuple[str, str]:
        """A person's name and the user part of their e-mail address."""
        if self.locale == "zh-CN":
            return str(self.fake.name()), str(self.fake.user_name())
        first, last = str(self.fake.first_name()), str(self.fake.last_name())
        user = "".join(c for c in f"{first}.{last}".lower() if c.isalpha() or c == ".")
        return f"{first} {last}", user

    def company(self) -> str:
        if self.locale == "en":
            return str(self.fake.company())
        rng = self.rng
        return f"{rng.choice(ZH_CITIES)}{rng.choice(ZH_BRANDS)}{rng.choice(ZH_TRADES)}有限公司"

    def email(self, user: str) -> str:
        return f"{user}{self.rng.randrange(1, 100)}@{self.rng.choice(MAIL_DOMAINS)}"


# -- rows ------------------------------------------------------------------------------------


def _lead_rows(leads: list[Lead], words: _Words, companies: dict[str, str]) -> list[Row]:
    rng = random.Random(SEED + 4)
    phones: set[str] = set()
    texts = words.texts
    rows: list[Row] = []
    for lead in leads:
        name, user = words.person()
        company = words.company()
        companies[lead.key] = company
        tags = rng.sample(texts["tags"], rng.choice([0, 0, 1, 1, 2]))
        rows.append(
            {
                "_key": lead.key,
                "name": name,
                "company": company,
                "job_title": rng.choice(texts["job_titles"]),
                "phone": unique_mobile(rng, phones) if rng.random() < 0.9 else None,
                "email": words.email(user) if rng.random() < 0.8 else None,
                "source": lead.source,
                "status": lead.status,
                "disqualify_reason": lead.disqualify_reason,
                "received_on": lead.received.isoformat(),
                "interest": rng.choice(texts["interests"]).format(n=lead.seats),
                "tags": tags or None,
            }
        )
    return rows


def _deal_rows(deals: list[Deal], words: _Words, companies: dict[str, str]) -> list[Row]:
    texts = words.texts
    returning = [words.company() for _ in range(12)]
    rows: list[Row] = []
    for deal in deals:
        if deal.lead is not None:
            company = companies[deal.lead.key]
        else:
            company = returning[deal.company_index % len(returning)]
        companies[deal.key] = company
        product = texts["products"][deal.product]
        open_deal = deal.stage not in ("won", "lost")
        rows.append(
            {
                "_key": deal.key,
                "title": f"{company} — {product}",
                "lead": deal.lead.key if deal.lead is not None else None,
                "company": company,
                "stage": deal.stage,
                "amount": deal.amount,
                "probability": PROBABILITY[deal.stage],
                "expected_close": deal.expected_close.isoformat(),
                "last_activity_on": deal.last_activity.isoformat(),
                "next_step": texts["next_steps"][deal.next_step] if open_deal else None,
                "lost_reason": deal.lost_reason,
            }
        )
    return rows


def _quote_rows(quotes: list[Quote], words: _Words) -> list[Row]:
    rng = random.Random(SEED + 5)
    return [
        {
            "_key": quote.key,
            "opportunity": quote.deal.key,
            "amount": quote.amount,
            "discount": quote.discount,
            "valid_until": quote.valid_until.isoformat(),
            "status": quote.status,
            "sent_on": quote.sent.isoformat() if quote.sent else None,
            "notes": rng.choice(words.texts["quote_notes"]) if rng.random() < 0.4 else None,
        }
        for quote in quotes
    ]


def generate(locale: str, as_of: date) -> dict[str, list[dict[str, Any]]]:
    leads = _leads(as_of)
    deals = _deals(leads, as_of)
    quotes = _quotes(deals, as_of)
    words = _Words(locale)
    companies: dict[str, str] = {}
    return {
        "leads": _lead_rows(leads, words, companies),
        "opportunities": _deal_rows(deals, words, companies),
        "quotes": _quote_rows(quotes, words),
    }
