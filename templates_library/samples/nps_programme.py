# ruff: noqa: RUF001, S311 - Chinese text carries Chinese punctuation; seeded sample data, no secrets
"""Sample data of the NPS Programme (``nps_programme``).

About 120 customers of four kinds — fans who mostly score 9 or 10, content customers who
mostly score 7 or 8, unhappy ones who mostly score 6 or below, and a few who started
unhappy and came round — plus a dozen who have not been surveyed yet. About 300 answers
over the twelve months before ``as_of`` (one to five per customer, roughly quarterly, most
of them by e-mail) give an NPS of about +25; every comment matches its score and the
topic it is about. Every detractor answer has a follow-up opened a day or two later;
the older ones are closed with an outcome, the recent ones still open. Customers with an
e-mail address have their next survey planned within the next three months.

The plan (kinds, dates, scores) comes from ``random.Random`` with fixed seeds and is the
same in both languages; names come from Faker (fixed seed). ``tier`` stays empty (the
tier scheme fills it) and the rollups get no value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker

from templates_library.samples import FAKER_LOCALES, pick, unique_mobile

SEED = 20261103
HISTORY_DAYS = 365
Row = dict[str, Any]

# kind: (customers, P(promoter), P(passive)); the rest of each answer is a detractor.
KINDS: dict[str, tuple[int, float, float]] = {
    "fan": (43, 0.8, 0.15),
    "content": (38, 0.3, 0.55),
    "unhappy": (19, 0.05, 0.25),
    "improving": (8, 0.0, 0.0),  # detractor first, then passive, then promoter
    "unsurveyed": (12, 0.0, 0.0),
}
SEGMENTS = [("individual", 55), ("small_business", 30), ("enterprise", 15)]
CHANNELS = [("email", 55), ("sms", 10), ("wechat", 15), ("in_store", 12), ("phone", 8)]
TOPICS = ["product_quality", "service", "price", "delivery", "after_sales"]
OUTCOMES = [("resolved", 6), ("partly_resolved", 3), ("not_resolved", 2), ("no_response", 2)]
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]

# Comments per group and topic: what a customer with that score says about that topic.
COMMENTS: dict[str, dict[str, dict[str, list[str]]]] = {
    "en": {
        "promoter": {
            "product_quality": [
                "The product is excellent and has never let me down.",
                "Great quality, I have already recommended it to two friends.",
            ],
            "service": [
                "Your team is always friendly and quick to help.",
                "Outstanding service, they remembered exactly what I needed.",
            ],
            "price": ["Very good value for money.", "Fair prices for this quality."],
            "delivery": [
                "Delivered the next day, perfectly packed.",
                "Always on time, very reliable delivery.",
            ],
            "after_sales": [
                "A problem was fixed within hours. Impressive.",
                "After-sales support is the best I have dealt with.",
            ],
        },
        "passive": {
            "product_quality": [
                "Good product overall, a few small things could be better.",
                "It does the job, nothing special.",
            ],
            "service": [
                "Service is fine, but it took a while to get an answer.",
                "Friendly staff, sometimes hard to reach.",
            ],
            "price": [
                "Decent, but a bit more expensive than others.",
                "The price is OK, a loyalty discount would be nice.",
            ],
            "delivery": [
                "Arrived a couple of days later than promised.",
                "Delivery was fine, tracking could be clearer.",
            ],
            "after_sales": [
                "Support solved it in the end, it just took a few calls.",
                "After-sales is okay but slow.",
            ],
        },
        "detractor": {
            "product_quality": [
                "The product broke after two weeks.",
                "Quality has gone down since last year.",
            ],
            "service": [
                "Nobody answered my e-mails for a week.",
                "The staff were rude when I asked for help.",
            ],
            "price": [
                "Far too expensive for what you get.",
                "Prices went up without any notice.",
            ],
            "delivery": [
                "My order arrived ten days late and damaged.",
                "Delivery was missed twice.",
            ],
            "after_sales": [
                "My refund still has not arrived.",
                "I had to explain the problem to four different people.",
            ],
        },
    },
    "zh-CN": {
        "promoter": {
            "product_quality": ["产品质量非常好，一直很放心。", "质量很棒，已经推荐给两个朋友了。"],
            "service": ["你们的团队总是热情又高效。", "服务太贴心了，完全记得我的需求。"],
            "price": ["性价比很高。", "这个品质，价格很公道。"],
            "delivery": ["第二天就送到了，包装也很好。", "每次都准时送达，很靠谱。"],
            "after_sales": ["问题几个小时就解决了，很专业。", "售后是我遇到过最好的。"],
        },
        "passive": {
            "product_quality": ["整体不错，有些小细节还可以改进。", "能满足需求，但没什么惊喜。"],
            "service": ["服务还可以，就是回复有点慢。", "客服态度好，但有时联系不上。"],
            "price": ["还行，就是比别家稍贵一点。", "价格可以接受，希望老客户能有优惠。"],
            "delivery": ["比承诺的晚到了两天。", "配送还行，物流信息可以更清楚些。"],
            "after_sales": ["售后最后解决了，只是打了好几次电话。", "售后还可以，就是慢。"],
        },
        "detractor": {
            "product_quality": ["用了两周就坏了。", "质量比去年差了很多。"],
            "service": ["发了邮件一个星期都没人回。", "咨询问题时客服态度很差。"],
            "price": ["太贵了，不值这个价。", "价格说涨就涨，也没提前通知。"],
            "delivery": ["订单晚到了十天，还有破损。", "两次约好的配送都没送到。"],
            "after_sales": ["退款到现在还没到账。", "同一个问题要跟四个人重复解释。"],
        },
    },
}
NOTES: dict[str, dict[str, list[str]]] = {
    "en": {
        "resolved": [
            "Called back, apologised and replaced the item. Customer happy now.",
            "Refund processed the same day; customer thanked us.",
        ],
        "partly_resolved": [
            "Offered a discount on the next order; still unhappy about the delay.",
            "Fixed the main issue, a second one is pending with the supplier.",
        ],
        "not_resolved": [
            "Customer wants a full refund outside the policy; escalated.",
            "Could not agree on a solution.",
        ],
        "no_response": [
            "Called three times and left a message; no answer.",
            "E-mailed twice, no reply.",
        ],
        "open": ["Call scheduled.", "Waiting for the customer to call back."],
    },
    "zh-CN": {
        "resolved": ["已回电致歉并换货，客户表示满意。", "当天办理了退款，客户表示感谢。"],
        "partly_resolved": [
            "提供了下次购买的优惠券，客户对延误仍有不满。",
            "主要问题已解决，另一个问题还在等供应商处理。",
        ],
        "not_resolved": ["客户要求超出政策的全额退款，已升级处理。", "未能与客户达成一致方案。"],
        "no_response": ["打了三次电话并留言，客户未接听。", "发了两次邮件，客户未回复。"],
        "open": ["已约好回电时间。", "等待客户回电。"],
    },
}
CITIES = {
    "en": ["Seattle", "Portland", "Denver", "Austin", "Chicago", "Boston", "Atlanta", "Miami"],
    "zh-CN": ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉"],
}


@dataclass
class Customer:
    key: str
    kind: str
    segment: str
    has_email: bool
    next_survey_in: int | None


@dataclass
class Answer:
    key: str
    customer: Customer
    day: date
    score: int
    topic: str
    topics: list[str]
    channel: str
    variant: int


def group_of(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


# -- the plan (locale-free) ------------------------------------------------------------------


def _customers() -> list[Customer]:
    rng = random.Random(SEED + 1)
    kinds = [kind for kind, spec in KINDS.items() for _ in range(spec[0])]
    rng.shuffle(kinds)
    customers = []
    for number, kind in enumerate(kinds, start=1):
        has_email = rng.random() < 0.92
        customers.append(
            Customer(
                key=f"c{number}",
                kind=kind,
                segment=pick(rng, SEGMENTS),
                has_email=has_email,
                next_survey_in=rng.randint(3, 90) if has_email else None,
            )
        )
    return customers


def _score(rng: random.Random, group: str) -> int:
    if group == "promoter":
        return 10 if rng.random() < 0.55 else 9
    if group == "passive":
        return 8 if rng.random() < 0.55 else 7
    return rng.choices(range(7), [2, 1, 2, 4, 6, 9, 10])[0]


def _answers(customers: list[Customer], as_of: date) -> list[Answer]:
    rng = random.Random(SEED + 2)
    answers: list[Answer] = []
    for customer in customers:
        if customer.kind == "unsurveyed":
            continue
        count = rng.choices([1, 2, 3, 4, 5], [3, 6, 7, 6, 2])[0]
        if customer.kind == "improving":
            count = max(count, 3)
        # Roughly quarterly, spread over the year, oldest first.
        first = rng.randint(0, HISTORY_DAYS // count)
        days = sorted(
            as_of
            - timedelta(
                days=max(0, HISTORY_DAYS - first - i * HISTORY_DAYS // count - rng.randint(0, 20))
            )
            for i in range(count)
        )
        _, promoter, passive = KINDS[customer.kind]
        for index, day in enumerate(days):
            if customer.kind == "improving":
                group = ("detractor", "passive", "promoter")[min(2, index * 3 // count)]
            else:
                roll = rng.random()
                group = (
                    "promoter"
                    if roll < promoter
                    else "passive"
                    if roll < promoter + passive
                    else "detractor"
                )
            topic = rng.choice(TOPICS)
            extra = [t for t in TOPICS if t != topic and rng.random() < 0.12]
            answers.append(
                Answer(
                    key="",
                    customer=customer,
                    day=day,
                    score=_score(rng, group),
                    topic=topic,
                    topics=[topic, *extra],
                    channel=pick(rng, CHANNELS) if customer.has_email else "in_store",
                    variant=rng.randrange(2),
                )
            )
    answers.sort(key=lambda a: (a.day, a.customer.key))
    for number, answer in enumerate(answers, start=1):
        answer.key = f"s{number}"
    return answers


# -- rows ------------------------------------------------------------------------------------


def _customer_rows(customers: list[Customer], locale: str, as_of: date) -> list[Row]:
    fake = Faker(FAKER_LOCALES[locale])
    fake.seed_instance(SEED)
    rng = random.Random(SEED + 3)
    phones: set[str] = set()
    rows: list[Row] = []
    for customer in customers:
        if locale == "zh-CN":
            name, user = str(fake.name()), str(fake.user_name())
        else:
            first, last = str(fake.first_name()), str(fake.last_name())
            name = f"{first} {last}"
            user = "".join(c for c in f"{first}.{last}".lower() if c.isalpha() or c == ".")
        email = f"{user}{rng.randrange(1, 100)}@{rng.choice(MAIL_DOMAINS)}"
        next_survey = (
            (as_of + timedelta(days=customer.next_survey_in)).isoformat()
            if customer.next_survey_in is not None
            else None
        )
        rows.append(
            {
                "_key": customer.key,
                "name": name,
                "phone": unique_mobile(rng, phones) if rng.random() < 0.9 else None,
                "email": email if customer.has_email else None,
                "city": rng.choice(CITIES[locale]),
                "segment": customer.segment,
                "next_survey_on": next_survey,
            }
        )
    return rows


def _answer_rows(answers: list[Answer], locale: str) -> list[Row]:
    comments = COMMENTS[locale]
    rng = random.Random(SEED + 4)
    rows: list[Row] = []
    for answer in answers:
        group = group_of(answer.score)
        # Some people only give the score.
        silent = rng.random() < (0.1 if group == "detractor" else 0.3)
        rows.append(
            {
                "_key": answer.key,
                "customer": answer.customer.key,
                "score": answer.score,
                "reason": None if silent else comments[group][answer.topic][answer.variant],
                "topics": None if silent else answer.topics,
                "channel": answer.channel,
                "answered_on": answer.day.isoformat(),
            }
        )
    return rows


def _follow_up_rows(answers: list[Answer], locale: str, as_of: date) -> list[Row]:
    rng = random.Random(SEED + 5)
    notes = NOTES[locale]
    rows: list[Row] = []
    for answer in answers:
        if answer.score > 6:
            continue
        day = min(as_of, answer.day + timedelta(days=rng.choice([0, 1, 1, 2])))
        # Most old ones are closed; a few are overdue, the recent ones mostly open.
        closed = rng.random() < (0.9 if (as_of - day).days > 21 else 0.25)
        outcome = pick(rng, OUTCOMES) if closed else None
        rows.append(
            {
                "_key": f"f{len(rows) + 1}",
                "customer": answer.customer.key,
                "survey": answer.key,
                "follow_up_on": day.isoformat(),
                "closed": closed,
                "outcome": outcome,
                "notes": rng.choice(notes[outcome or "open"]),
            }
        )
    return rows


def generate(locale: str, as_of: date) -> dict[str, list[dict[str, Any]]]:
    customers = _customers()
    answers = _answers(customers, as_of)
    return {
        "customers": _customer_rows(customers, locale, as_of),
        "nps_surveys": _answer_rows(answers, locale),
        "follow_ups": _follow_up_rows(answers, locale, as_of),
    }
