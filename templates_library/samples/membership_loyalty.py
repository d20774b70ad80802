# ruff: noqa: RUF001, S311 - Chinese text carries Chinese punctuation; seeded sample data, no secrets
"""Sample data of Membership and Loyalty (``membership_loyalty``).

About 150 members who joined over the two years before ``as_of`` (the programme's start),
of five kinds: a few big spenders who buy every week or two, frequent and regular
shoppers, occasional ones and new members from the last two months. Their points ledger
(about 1,200 lines) is written in date order — a welcome bonus on joining, points on
every purchase (one point per yuan), a birthday bonus on each birthday since joining,
now and then a goodwill adjustment, points of long-idle members expiring, and about 100
redemptions whose points are deducted the same day. The balance never goes below zero:
a member only redeems or loses points they have.

The plan (dates, amounts, rewards) comes from ``random.Random`` with fixed seeds and is
the same in both languages; names come from Faker (fixed seed). ``level`` stays empty
(the tier scheme fills it from the points earned); computed fields (member number,
rollups, formulas, lookup) get no value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from faker import Faker

from templates_library.samples import FAKER_LOCALES, pick, unique_mobile

SEED = 20261104
HISTORY_DAYS = 730
WELCOME_POINTS = 100
BIRTHDAY_POINTS = 200
Row = dict[str, Any]

# kind: (members, joined days ago (min, max), purchases a year, usual spend in yuan,
#        chance to redeem when they can afford a reward)
KINDS: dict[str, tuple[int, tuple[int, int], float, float, float]] = {
    "big_spender": (12, (400, 730), 18.0, 560.0, 0.08),
    "frequent": (28, (250, 730), 8.0, 480.0, 0.08),
    "regular": (44, (120, 730), 4.0, 420.0, 0.1),
    "occasional": (46, (60, 730), 1.2, 300.0, 0.12),
    "new": (20, (3, 60), 5.0, 350.0, 0.0),
}
# Rewards: (points, English, Chinese)
REWARDS = [
    (200, "Free delivery voucher", "免运费券"),
    (300, "Free coffee", "免费咖啡一杯"),
    (500, "¥20 voucher", "20 元代金券"),
    (800, "Canvas tote bag", "帆布托特包"),
    (1000, "¥50 voucher", "50 元代金券"),
    (2000, "¥100 voucher", "100 元代金券"),
    (3000, "Thermos flask", "保温杯"),
]
CHANNELS = [("store", 6), ("online", 3), ("mini_program", 4)]
EXPIRE_AFTER_IDLE_DAYS = 365
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "welcome": "Welcome bonus",
        "birthday": "Birthday bonus",
        "purchase": "Purchase of ¥{amount}",
        "redeemed": "Redeemed: {reward}",
        "expired": "Points expired after a year without purchases",
        "adjust_up": ["Goodwill for a late delivery", "Points missed on a purchase"],
        "adjust_down": ["Correction of a duplicate entry", "Returned goods"],
        "notes": ["Picked up in store.", "Gift for a friend.", "Asked for gift wrapping."],
        "cities": ["Seattle", "Portland", "Denver", "Austin", "Chicago", "Boston", "Miami"],
        "tags": ["coffee lover", "weekend shopper", "prefers online", "family"],
    },
    "zh-CN": {
        "welcome": "入会礼积分",
        "birthday": "生日积分",
        "purchase": "消费 {amount} 元",
        "redeemed": "兑换：{reward}",
        "expired": "一年未消费，积分过期",
        "adjust_up": ["配送延误补偿", "补录漏记的消费积分"],
        "adjust_down": ["更正重复录入", "退货扣回积分"],
        "notes": ["门店自提。", "送给朋友的礼物。", "需要礼品包装。"],
        "cities": ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉"],
        "tags": ["咖啡爱好者", "周末购物", "偏好线上", "家庭客户"],
    },
}


@dataclass
class Entry:
    """One ledger line of the plan; ``points`` is always positive except for an
    adjustment that deducts."""

    day: date
    kind: str
    points: int
    reason: str  # a TEXTS key
    detail: Any = None
    redemption: str | None = None


@dataclass
class Redemption:
    key: str
    member: str
    day: date
    reward: int
    channel: str
    note: int | None


@dataclass
class Member:
    key: str
    kind: str
    joined: date
    birthday: date | None
    entries: list[Entry] = field(default_factory=list)
    last_greeted: date | None = None


def _birthdays(birthday: date, start: date, end: date) -> list[date]:
    """The member's birthdays in ``start``..``end`` (29 February: 1 March otherwise)."""
    days = []
    for year in range(start.year, end.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = date(year, 3, 1)
        if start <= day <= end:
            days.append(day)
    return days


# -- the plan (locale-free) ------------------------------------------------------------------


def _plan(as_of: date) -> tuple[list[Member], list[Redemption]]:
    rng = random.Random(SEED + 1)
    kinds = [kind for kind, spec in KINDS.items() for _ in range(spec[0])]
    rng.shuffle(kinds)
    members: list[Member] = []
    redemptions: list[Redemption] = []
    for kind in kinds:
        _, (low, high), _, _, _ = KINDS[kind]
        joined = as_of - timedelta(days=rng.randint(low, high))
        birthday = (
            date(rng.randint(1958, 2004), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.85
            else None
        )
        members.append(Member(key="", kind=kind, joined=joined, birthday=birthday))
    members.sort(key=lambda m: m.joined)
    for number, member in enumerate(members, start=1):
        member.key = f"m{number}"
        _Account(member, as_of).walk(_events(member, rng, as_of), rng, redemptions)
    redemptions.sort(key=lambda r: (r.day, r.key))
    return members, redemptions


def _events(member: Member, rng: random.Random, as_of: date) -> list[Entry]:
    """What earns or adjusts points, in date order; purchases stop early for some
    (members who went idle)."""
    _, _, per_year, spend, _ = KINDS[member.kind]
    events: list[Entry] = [Entry(member.joined, "earn", WELCOME_POINTS, "welcome")]
    idle_from = as_of
    if member.kind in ("occasional", "regular") and rng.random() < 0.3:
        idle_from = as_of - timedelta(days=rng.randint(200, 500))
    day = member.joined
    while True:
        day += timedelta(days=max(1, int(rng.expovariate(per_year / 365))))
        if day > min(as_of, idle_from):
            break
        amount = max(20, round(rng.lognormvariate(0, 0.5) * spend))
        events.append(Entry(day, "earn", amount, "purchase", amount))
        if rng.random() < 0.03:
            up = rng.random() < 0.6
            events.append(
                Entry(
                    day + timedelta(days=rng.randint(1, 5)),
                    "adjust",
                    rng.choice([20, 50, 100]) * (1 if up else -1),
                    "adjust_up" if up else "adjust_down",
                    rng.randrange(2),
                )
            )
    if member.birthday is not None:
        greeted = _birthdays(member.birthday, member.joined, as_of)
        events += [Entry(d, "earn", BIRTHDAY_POINTS, "birthday") for d in greeted]
        member.last_greeted = greeted[-1] if greeted else None
    return sorted((e for e in events if e.day <= as_of), key=lambda e: e.day)


class _Account:
    """A member's points over time: redeems when a reward is affordable (at the till, the
    same day) and lets the balance expire after a year without purchases, so the balance
    never goes below zero."""

    def __init__(self, member: Member, as_of: date) -> None:
        self.member = member
        self.as_of = as_of
        self.balance = 0
        self.last_purchase = member.joined
        self.expired = False  # once per idle spell: later bonus points stay

    def expire_until(self, day: date) -> None:
        expires = self.last_purchase + timedelta(days=EXPIRE_AFTER_IDLE_DAYS)
        if self.balance > 0 and expires <= day and not self.expired:
            # Never before a line already written (a bonus after the idle year began).
            expires = max(expires, self.member.entries[-1].day)
            self.member.entries.append(Entry(expires, "expire", self.balance, "expired"))
            self.balance, self.expired = 0, True

    def walk(self, events: list[Entry], rng: random.Random, redemptions: list[Redemption]) -> None:
        member = self.member
        _, _, _, _, redeem_chance = KINDS[member.kind]
        for entry in events:
            self.expire_until(entry.day)
            if entry.kind == "adjust" and entry.points < 0 and self.balance + entry.points < 0:
                continue  # nothing to take back
            self.balance += entry.points
            member.entries.append(entry)
            if entry.reason == "purchase":
                self.last_purchase, self.expired = entry.day, False
            affordable = [i for i, reward in enumerate(REWARDS) if reward[0] <= self.balance]
            if affordable and rng.random() < redeem_chance:
                choice = rng.choice(affordable[-3:])
                key = f"r{len(redemptions) + 1}"
                note = rng.randrange(3) if rng.random() < 0.15 else None
                redemptions.append(
                    Redemption(key, member.key, entry.day, choice, pick(rng, CHANNELS), note)
                )
                cost = REWARDS[choice][0]
                member.entries.append(Entry(entry.day, "spend", cost, "redeemed", choice, key))
                self.balance -= cost
        self.expire_until(self.as_of)
        member.entries.sort(key=lambda e: e.day)


# -- rows ------------------------------------------------------------------------------------


def _member_rows(members: list[Member], locale: str) -> list[Row]:
    fake = Faker(FAKER_LOCALES[locale])
    fake.seed_instance(SEED)
    rng = random.Random(SEED + 2)
    texts = TEXTS[locale]
    phones: set[str] = set()
    rows: list[Row] = []
    for member in members:
        if locale == "zh-CN":
            name, user = str(fake.name()), str(fake.user_name())
        else:
            first, last = str(fake.first_name()), str(fake.last_name())
            name = f"{first} {last}"
            user = "".join(c for c in f"{first}.{last}".lower() if c.isalpha() or c == ".")
        tags = rng.sample(texts["tags"], rng.choice([0, 0, 0, 1, 1, 2]))
        rows.append(
            {
                "_key": member.key,
                "name": name,
                "phone": unique_mobile(rng, phones),
                "email": f"{user}{rng.randrange(1, 100)}@{rng.choice(MAIL_DOMAINS)}"
                if rng.random() < 0.7
                else None,
                "birthday": member.birthday.isoformat() if member.birthday else None,
                "joined_on": member.joined.isoformat(),
                "city": rng.choice(texts["cities"]),
                "birthday_greeted_on": member.last_greeted.isoformat()
                if member.last_greeted
                else None,
                "marketing_opt_in": rng.random() < 0.6,
                "tags": tags or None,
            }
        )
    return rows


def _redemption_rows(redemptions: list[Redemption], locale: str) -> list[Row]:
    column = 1 if locale == "en" else 2
    notes = TEXTS[locale]["notes"]
    return [
        {
            "_key": redemption.key,
            "member": redemption.member,
            "reward": REWARDS[redemption.reward][column],
            "points": REWARDS[redemption.reward][0],
            "redeemed_on": redemption.day.isoformat(),
            "channel": redemption.channel,
            "notes": notes[redemption.note] if redemption.note is not None else None,
        }
        for redemption in redemptions
    ]


def _reason(entry: Entry, locale: str) -> str:
    texts = TEXTS[locale]
    if entry.reason == "purchase":
        return str(texts["purchase"]).format(amount=entry.detail)
    if entry.reason == "redeemed":
        reward = REWARDS[entry.detail][1 if locale == "en" else 2]
        return str(texts["redeemed"]).format(reward=reward)
    if entry.reason in ("adjust_up", "adjust_down"):
        return str(texts[entry.reason][entry.detail])
    return str(texts[entry.reason])


def _ledger_rows(members: list[Member], locale: str) -> list[Row]:
    lines = sorted(
        ((entry, member) for member in members for entry in member.entries),
        key=lambda pair: (pair[0].day, pair[1].key),
    )
    return [
        {
            "_key": f"p{number}",
            "member": member.key,
            "kind": entry.kind,
            "points": entry.points,
            "reason": _reason(entry, locale),
            "posted_on": entry.day.isoformat(),
            "redemption": entry.redemption,
        }
        for number, (entry, member) in enumerate(lines, start=1)
    ]


def generate(locale: str, as_of: date) -> dict[str, list[dict[str, Any]]]:
    members, redemptions = _plan(as_of)
    return {
        "members": _member_rows(members, locale),
        "redemptions": _redemption_rows(redemptions, locale),
        "points_ledger": _ledger_rows(members, locale),
    }
