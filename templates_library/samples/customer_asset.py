# ruff: noqa: RUF001, S311 - Chinese text carries Chinese punctuation; seeded sample data, no secrets
"""Sample data of the Customer Asset CRM (``customer_asset``).

About 150 customers over the two years before ``as_of``, of six kinds that make the
customer-value figures meaningful at first open: a few loyal big spenders (most of the
revenue), regulars, occasional buyers, lapsed customers (last order 120+ days ago: at
risk or dormant), new customers and some who never ordered. Around them: contacts,
~1,500 orders (delivered a few days after ordering, the last few still open),
follow-ups and interactions clustered on the customers that matter, complaints in every
status (a few open for more than two days), satisfaction surveys answered a few days
after delivery with a realistic NPS spread and comments that match the score, referrals
(mostly by promoters; the converted ones are customers with source "referral") and a
loyalty points ledger that never goes below zero.

Every table draws from its own ``random.Random`` seeded with a fixed number, and names
come from Faker with a fixed seed, so the output is identical on every run and the same
in both languages apart from the words: the tiers, segments and report figures agree.
``tier`` and ``segment`` stay empty (the tier schemes fill them); computed fields
(rollups, formula, autonumbers, lookup) get no value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from faker import Faker

from templates_library.samples import FAKER_LOCALES, pick, unique_mobile

SEED = 20261101
HISTORY_DAYS = 730
LOYALTY_START_DAYS = 365  # the points programme started a year before as_of

Row = dict[str, Any]

# kind: (count, first order days ago, last activity days ago, orders a year, usual spend)
KINDS: dict[str, tuple[int, tuple[int, int], tuple[int, int], tuple[float, float], float]] = {
    "vip": (18, (420, 730), (0, 25), (18.0, 28.0), 1500.0),
    "regular": (36, (240, 730), (0, 75), (9.0, 15.0), 1400.0),
    "occasional": (48, (90, 730), (0, 150), (2.5, 5.0), 850.0),
    "lapsed": (24, (330, 730), (120, 420), (5.0, 10.0), 1200.0),
    "new": (12, (8, 70), (0, 6), (4.0, 12.0), 1000.0),
    "never": (12, (0, 0), (0, 0), (0.0, 0.0), 0.0),
}

PRODUCTS = [
    ("starter_kit", 6),
    ("standard_pack", 10),
    ("premium_pack", 5),
    ("refill", 8),
    ("accessory", 6),
    ("service_plan", 3),
    ("training", 2),
]
INDUSTRIES = [
    ("retail", 9),
    ("manufacturing", 7),
    ("technology", 7),
    ("healthcare", 4),
    ("education", 4),
    ("finance", 3),
    ("hospitality", 5),
    ("other", 3),
]
SOURCES = [
    ("website", 8),
    ("referral", 5),
    ("trade_show", 4),
    ("advertising", 4),
    ("cold_call", 3),
    ("partner", 3),
    ("walk_in", 3),
]
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]

CITIES = {
    "en": [
        ("New York", 9),
        ("Los Angeles", 7),
        ("Chicago", 6),
        ("Houston", 5),
        ("Phoenix", 3),
        ("Philadelphia", 3),
        ("San Diego", 3),
        ("Dallas", 4),
        ("Austin", 3),
        ("Seattle", 4),
        ("Boston", 4),
        ("Denver", 3),
        ("Atlanta", 3),
        ("Miami", 3),
    ],
    "zh-CN": [
        ("上海", 9),
        ("北京", 8),
        ("广州", 6),
        ("深圳", 7),
        ("杭州", 6),
        ("成都", 5),
        ("南京", 4),
        ("武汉", 4),
        ("苏州", 4),
        ("西安", 3),
        ("重庆", 3),
        ("天津", 3),
        ("长沙", 3),
        ("厦门", 2),
    ],
}

# Chinese company names: city + brand + trade + 有限公司 (made up from these parts).
ZH_BRANDS = [
    *("恒信", "瑞丰", "华誉", "嘉禾", "鼎盛", "启明", "博远", "润德", "锦程", "天合"),
    *("新源", "安泰", "和美", "宏达", "诚硕", "远航", "明川", "金桥", "盈泰", "睿智"),
    *("青禾", "晨光", "星河", "汇通", "中睿", "佳禾", "云帆", "聚隆", "卓越", "同辉"),
]
ZH_TRADES = {
    "retail": ["商贸", "百货", "零售连锁"],
    "manufacturing": ["机械制造", "精密工业", "包装材料"],
    "technology": ["信息技术", "网络科技", "软件"],
    "healthcare": ["医疗器械", "健康管理", "生物科技"],
    "education": ["教育咨询", "培训学校", "文化传播"],
    "finance": ["投资咨询", "财务顾问", "融资租赁"],
    "hospitality": ["餐饮管理", "酒店管理", "茶饮连锁"],
    "other": ["实业", "服务", "贸易"],
}

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "tags": [
            "VIP",
            "Wholesale",
            "Key account",
            "Price sensitive",
            "Early adopter",
            "Public sector",
        ],
        "customer_notes": [
            "Prefers delivery on weekday mornings.",
            "Invoice to head office, not to the branch.",
            "Asked for a quote on volume pricing.",
            "Interested in the premium pack for a second site.",
            "Pays reliably; decisions take a few weeks.",
        ],
        "job_titles": [
            "Purchasing Manager",
            "Operations Director",
            "Finance Manager",
            "IT Manager",
            "Store Manager",
            "Office Manager",
            "CEO",
            "Procurement Specialist",
        ],
        "order_notes": [
            "Deliver to the loading dock.",
            "Gift wrapping requested.",
            "Split invoice across two cost centres.",
            "Urgent: needed before the weekend.",
        ],
        "follow_up": {
            "positive": [
                "Reviewed the last order; happy with {product} and planning the next one.",
                "Discussed volume pricing for {product}; they will send a forecast.",
                "Shared the new catalogue; interested in {product}.",
                "Quarterly review went well; renewal of the {product} looks likely.",
            ],
            "neutral": [
                "Checked in after delivery of {product}; no new needs right now.",
                "Sent pricing for {product}; they are comparing suppliers.",
                "Asked about their plans for next quarter; budget not decided yet.",
            ],
            "negative": [
                "Unhappy with the delivery time of {product}; promised to follow up.",
                "Budget cut this quarter; orders paused.",
                "Complained about the price of {product} compared with competitors.",
            ],
            "no_answer": [
                "Called twice, no answer; left a message.",
                "No reply to the e-mail about {product}.",
            ],
        },
        "next_steps": [
            "Send a quote",
            "Call again next week",
            "Arrange a product demo",
            "Invite to the customer event",
            "Check the delivery schedule",
            "Offer a trial of the service plan",
        ],
        "interaction": {
            "visit": "Visited the showroom",
            "call": "Phone call about an order",
            "product_view": "Viewed the product page",
            "email_open": "Opened the newsletter",
            "event": "Attended the customer day",
            "message": "Asked a question in chat",
        },
        "complaint": {
            "product_quality": [
                "Several units arrived damaged",
                "Quality worse than the previous batch",
                "Product stopped working after a week",
            ],
            "delivery": [
                "Order arrived four days late",
                "Wrong items delivered",
                "Courier did not call before delivery",
            ],
            "service": [
                "No reply to two e-mails",
                "Support agent was unfriendly",
                "Promised call-back never came",
            ],
            "billing": ["Charged twice for one order", "Invoice shows the wrong price"],
            "other": ["Packaging waste is excessive", "Website checkout kept failing"],
        },
        "resolutions": {
            "product_quality": [
                "Replacement sent and a discount applied to the next order.",
                "Faulty units collected and refunded.",
            ],
            "delivery": [
                "Explained the cause and fixed the process with the courier.",
                "Missing items re-sent by express at our cost.",
            ],
            "service": [
                "Account manager called to apologise; follow-up agreed.",
                "Assigned a dedicated contact for future requests.",
            ],
            "billing": [
                "Duplicate charge refunded; customer confirmed it is settled.",
                "Credit note issued for the price difference.",
            ],
            "other": [
                "Feedback passed on to the team; customer thanked.",
                "Issue fixed; customer informed.",
            ],
        },
        "survey": {
            "promoter": [
                "Fast delivery and great quality, as always.",
                "Our account manager is very helpful.",
                "Excellent products, we recommend you to partners.",
                "Easy ordering and reliable service.",
                "",
            ],
            "passive": [
                "Good overall, but delivery could be faster.",
                "Products are fine; prices are a bit high.",
                "Service is OK, nothing special.",
                "",
            ],
            "detractor": [
                "The order arrived late and nobody told us.",
                "Quality was worse than the last batch.",
                "Hard to reach anyone when there is a problem.",
                "Too expensive for what we get.",
            ],
            "after_complaint": [
                "Our complaint took far too long to resolve.",
                "Still waiting for a proper answer to our complaint.",
            ],
        },
        "referral_notes": [
            "Met at the customer day.",
            "Needs a quote for the standard pack.",
            "Colleague of the referrer.",
            "",
        ],
        "loyalty": {
            "purchase": "Points for order",
            "redemption": "Redeemed for a gift",
            "birthday": "Birthday bonus",
            "referral": "Thanks for the referral",
            "survey": "Thanks for answering the survey",
            "adjustment": "Goodwill points after a complaint",
            "expiry": "Points expired",
        },
    },
    "zh-CN": {
        "tags": ["VIP", "批发", "重点客户", "价格敏感", "尝鲜用户", "政企"],
        "customer_notes": [
            "希望工作日上午送货。",
            "发票开给总部，不开给分公司。",
            "询问批量采购价格。",
            "有意为第二个门店采购高级套装。",
            "付款及时，决策周期较长。",
        ],
        "job_titles": [
            "采购经理",
            "运营总监",
            "财务经理",
            "IT 经理",
            "店长",
            "行政经理",
            "总经理",
            "采购专员",
        ],
        "order_notes": [
            "送到仓库卸货区。",
            "需要礼品包装。",
            "发票分两个成本中心开具。",
            "加急：周末前需要。",
        ],
        "follow_up": {
            "positive": [
                "回顾了上一笔订单，对{product}很满意，正在计划下一单。",
                "沟通了{product}的批量价格，客户会发来采购预测。",
                "分享了新产品目录，客户对{product}感兴趣。",
                "季度回顾顺利，{product}大概率续订。",
            ],
            "neutral": [
                "{product}签收后回访，目前没有新需求。",
                "发送了{product}报价，客户在比较供应商。",
                "了解下季度计划，预算尚未确定。",
            ],
            "negative": [
                "客户对{product}的配送时间不满意，已承诺跟进。",
                "本季度预算削减，暂停下单。",
                "客户反映{product}价格比竞品高。",
            ],
            "no_answer": ["打了两次电话未接通，已留言。", "关于{product}的邮件未回复。"],
        },
        "next_steps": [
            "发送报价",
            "下周再次致电",
            "安排产品演示",
            "邀请参加客户活动",
            "确认配送计划",
            "提供服务套餐试用",
        ],
        "interaction": {
            "visit": "到展厅参观",
            "call": "来电咨询订单",
            "product_view": "浏览了产品页面",
            "email_open": "打开了会员月刊邮件",
            "event": "参加了客户开放日",
            "message": "在线咨询问题",
        },
        "complaint": {
            "product_quality": ["多件商品到货破损", "质量不如上一批", "产品使用一周后故障"],
            "delivery": ["订单晚到四天", "发错货", "快递送货前未电话联系"],
            "service": ["两封邮件均未回复", "客服态度不好", "承诺的回电一直没有"],
            "billing": ["一笔订单被重复扣款", "发票价格有误"],
            "other": ["包装过度", "官网下单多次失败"],
        },
        "resolutions": {
            "product_quality": ["已补发新品，并在下一单给予折扣。", "已回收故障商品并退款。"],
            "delivery": ["已说明原因，并与快递公司改进流程。", "缺件已由我方承担运费加急补发。"],
            "service": ["客户经理已致电道歉，并约定后续跟进。", "已为客户指定专属对接人。"],
            "billing": ["重复扣款已退回，客户确认问题解决。", "已就差价开具红字发票。"],
            "other": ["意见已转交相关团队，并感谢客户反馈。", "问题已修复并告知客户。"],
        },
        "survey": {
            "promoter": [
                "发货快，质量好，一如既往。",
                "客户经理非常专业，响应及时。",
                "产品很好，已推荐给合作伙伴。",
                "下单方便，服务可靠。",
                "",
            ],
            "passive": [
                "整体不错，但配送可以再快一些。",
                "产品还可以，价格略高。",
                "服务一般，没有特别之处。",
                "",
            ],
            "detractor": [
                "订单晚到了，也没有人通知我们。",
                "质量不如上一批。",
                "出了问题很难联系到人。",
                "价格偏贵，性价比不高。",
            ],
            "after_complaint": ["我们的投诉处理得太慢了。", "投诉到现在还没有明确答复。"],
        },
        "referral_notes": ["在客户开放日认识。", "需要标准套装的报价。", "推荐人的同事。", ""],
        "loyalty": {
            "purchase": "订单消费积分",
            "redemption": "兑换礼品",
            "birthday": "生日礼遇",
            "referral": "感谢您的推荐",
            "survey": "感谢填写问卷",
            "adjustment": "投诉补偿积分",
            "expiry": "积分到期清零",
        },
    },
}
PRODUCT_NAMES = {
    "en": {
        "starter_kit": "the starter kit",
        "standard_pack": "the standard pack",
        "premium_pack": "the premium pack",
        "refill": "refills",
        "accessory": "accessories",
        "service_plan": "the service plan",
        "training": "the training course",
    },
    "zh-CN": {
        "starter_kit": "入门套装",
        "standard_pack": "标准套装",
        "premium_pack": "高级套装",
        "refill": "补充装",
        "accessory": "配件",
        "service_plan": "服务套餐",
        "training": "培训课程",
    },
}


@dataclass
class Customer:
    key: str
    kind: str
    since: date
    level: float
    company: bool
    source: str
    orders: list[Order] = field(default_factory=list)


@dataclass
class Order:
    key: str
    customer: Customer
    ordered_on: date
    amount: float | int
    product: str
    quantity: int
    status: str
    delivered_on: date | None


def _moment(day: date, rng: random.Random, locale: str) -> str:
    """A business-hours moment of ``day`` as UTC text (09:00-18:00 local: Beijing for
    zh-CN, US Central for en)."""
    hour = rng.randrange(9, 18) + (-8 if locale == "zh-CN" else 5)
    return f"{day.isoformat()}T{hour:02d}:{rng.choice((0, 10, 15, 20, 30, 40, 45, 50)):02d}:00Z"


def _money(value: float) -> float | int:
    """Prices as people write them: whole yuan mostly, sometimes with jiao."""
    if value >= 200:
        return round(value / 10) * 10 if value >= 2000 else round(value)
    return round(value, 1)


# -- the plan (locale-free numbers and dates) -----------------------------------------------


def _customers(as_of: date) -> list[Customer]:
    rng = random.Random(SEED + 1)
    customers: list[Customer] = []
    kinds = [kind for kind, spec in KINDS.items() for _ in range(spec[0])]
    rng.shuffle(kinds)
    for number, kind in enumerate(kinds, start=1):
        _count, first, _last, _rate, spend = KINDS[kind]
        if kind == "never":
            since = as_of - timedelta(days=rng.randrange(5, 240))
        else:
            since = as_of - timedelta(days=rng.randrange(first[0], first[1] + 1))
        level = spend * rng.lognormvariate(0, 0.45) if spend else 0.0
        source = pick(rng, SOURCES)
        customers.append(Customer(f"c{number:03d}", kind, since, level, rng.random() < 0.7, source))
    return customers


def _orders(customers: list[Customer], as_of: date) -> list[Order]:
    rng = random.Random(SEED + 2)
    planned: list[tuple[date, Customer, float, str, int]] = []
    for customer in customers:
        _count, _first, last, rate, _spend = KINDS[customer.kind]
        if customer.kind == "never":
            continue
        start = (as_of - customer.since).days
        stop = min(rng.randrange(last[0], last[1] + 1), start)
        span = start - stop
        yearly = rng.uniform(*rate)
        count = max(1, round(yearly * max(span, 30) / 365 * rng.uniform(0.8, 1.2)))
        if customer.kind == "new":
            count = min(count, 3)
        days = [start, *(rng.randrange(stop, start + 1) for _ in range(count - 1))]
        if count > 1:
            days[-1] = stop  # active up to `stop`
        for back in days:
            product = pick(rng, PRODUCTS)
            amount = customer.level * rng.lognormvariate(0, 0.35)
            quantity = (
                max(1, min(20, round(amount / 400)))
                if product == "refill"
                else rng.choice((1, 1, 1, 2, 2, 3))
            )
            planned.append((as_of - timedelta(days=back), customer, amount, product, quantity))
    planned.sort(key=lambda item: (item[0], item[1].key))
    orders = []
    for number, (day, customer, amount, product, quantity) in enumerate(planned, start=1):
        lag = rng.randrange(2, 7)
        delivered = day + timedelta(days=lag)
        if delivered <= as_of:
            status, delivered_on = "delivered", delivered
        else:
            age = (as_of - day).days
            status = "pending" if age <= 2 else "paid" if age <= 3 else "shipped"
            delivered_on = None
        order = Order(
            f"o{number:04d}",
            customer,
            day,
            _money(amount),
            product,
            quantity,
            status,
            delivered_on,
        )
        customer.orders.append(order)
        orders.append(order)
    return orders


@dataclass
class Complaint:
    key: str
    customer: Customer
    order: Order | None
    opened_on: date
    category: str
    severity: str
    status: str
    resolved_on: date | None


def _complaints(customers: list[Customer], as_of: date) -> list[Complaint]:
    rng = random.Random(SEED + 3)
    buyers = [c for c in customers if c.orders]
    # (status, how many, age range in days)
    plan = [
        ("open", 4, (3, 12)),
        ("open", 2, (0, 1)),
        ("in_progress", 5, (2, 30)),
        ("resolved", 15, (20, 600)),
        ("closed", 14, (40, 700)),
    ]
    complaints = []
    for status, count, (low, high) in plan:
        for _ in range(count):
            customer = rng.choices(buyers, [len(c.orders) ** 0.5 for c in buyers])[0]
            opened = max(
                as_of - timedelta(days=rng.randrange(low, high + 1)),
                customer.orders[0].ordered_on + timedelta(days=3),
            )
            opened = min(opened, as_of)
            earlier = [o for o in customer.orders if o.delivered_on and o.delivered_on <= opened]
            order = rng.choice(earlier[-3:]) if earlier and rng.random() < 0.8 else None
            category = rng.choices(
                ["product_quality", "delivery", "service", "billing", "other"], [5, 5, 3, 2, 1]
            )[0]
            severity = rng.choices(["low", "medium", "high", "critical"], [3, 5, 3, 1])[0]
            resolved_on = None
            if status in ("resolved", "closed"):
                resolved_on = min(opened + timedelta(days=rng.randrange(0, 9)), as_of)
            complaints.append(
                Complaint("", customer, order, opened, category, severity, status, resolved_on)
            )
    complaints.sort(key=lambda c: (c.opened_on, c.customer.key))
    for number, complaint in enumerate(complaints, start=1):
        complaint.key = f"cp{number:03d}"
    return complaints


@dataclass
class Survey:
    key: str
    order: Order
    score: int
    answered_on: date
    bucket: str
    after_complaint: bool


def _surveys(orders: list[Order], complaints: list[Complaint], as_of: date) -> list[Survey]:
    rng = random.Random(SEED + 4)
    delivered = [
        o for o in orders if o.delivered_on and o.delivered_on + timedelta(days=3) <= as_of
    ]
    # Recent orders are surveyed more often (the survey automation is newer than the data).
    weights = [1.0 / (1 + (as_of - o.ordered_on).days / 200) for o in delivered]
    chosen: dict[str, Order] = {}
    while len(chosen) < 180:
        order = rng.choices(delivered, weights)[0]
        chosen.setdefault(order.key, order)
    surveys = []
    for order in sorted(chosen.values(), key=lambda o: (o.delivered_on, o.key)):
        assert order.delivered_on is not None
        answered = min(order.delivered_on + timedelta(days=3 + rng.randrange(0, 6)), as_of)
        complained = any(
            c.customer is order.customer
            and timedelta(0) <= answered - c.opened_on
            and answered - c.opened_on <= timedelta(days=90)
            for c in complaints
        )
        # Base spread, nudged up for loyal customers and down after a complaint.
        mood = rng.random() + {"vip": 0.12, "regular": 0.05}.get(order.customer.kind, 0.0)
        if complained:
            mood -= 0.45
        if mood < 0.14:
            score = rng.randrange(0, 7)
        elif mood < 0.2:
            score = rng.choice((5, 6))
        elif mood < 0.48:
            score = rng.choice((7, 8, 8))
        else:
            score = rng.choice((9, 9, 10, 10, 10)) if mood > 0.8 else rng.choice((9, 9, 10))
        bucket = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        surveys.append(Survey("", order, score, answered, bucket, complained and score <= 6))
    for number, survey in enumerate(surveys, start=1):
        survey.key = f"s{number:03d}"
    return surveys


# -- the rows, in the locale's words --------------------------------------------------------


class _Words:
    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.texts = TEXTS[locale]
        self.fake = Faker(FAKER_LOCALES[locale])

    def reseed(self, offset: int) -> None:
        """Each table draws its names from its own seed, so tables stay independent."""
        self.fake.seed_instance(SEED + offset)

    def person(self) -> tuple[str, str]:
        """A person's name and the user part of their e-mail address."""
        if self.locale == "zh-CN":
            return str(self.fake.name()), str(self.fake.user_name())
        first, last = str(self.fake.first_name()), str(self.fake.last_name())
        user = "".join(c for c in f"{first}.{last}".lower() if c.isalpha() or c == ".")
        return f"{first} {last}", user

    def email(self, rng: random.Random, user: str) -> str:
        return f"{user}{rng.randrange(1, 100)}@{rng.choice(MAIL_DOMAINS)}"

    def company(self, rng: random.Random, city: str, industry: str) -> str:
        if self.locale == "en":
            return str(self.fake.company())
        return f"{city}{rng.choice(ZH_BRANDS)}{rng.choice(ZH_TRADES[industry])}有限公司"


def _customer_rows(
    customers: list[Customer], words: _Words, surveys: list[Survey], phones: set[str]
) -> list[Row]:
    rng = random.Random(SEED + 11)
    words.reseed(11)
    texts = words.texts
    low_score = {s.order.customer.key for s in surveys if s.score <= 6}
    rows = []
    for customer in customers:
        name, hint = words.person()
        city = pick(rng, CITIES[words.locale])
        industry = pick(rng, INDUSTRIES) if customer.company else None
        company = words.company(rng, city, industry) if industry else None
        tags = []
        if customer.kind == "vip":
            tags.append(texts["tags"][0])
        tags += rng.sample(texts["tags"][1:], rng.choice((0, 0, 1, 1, 2)))
        rows.append(
            {
                "_key": customer.key,
                "name": name,
                "company": company,
                "phone": unique_mobile(rng, phones) if rng.random() < 0.92 else None,
                "email": words.email(rng, hint) if rng.random() < 0.88 else None,
                "city": city,
                "industry": industry,
                "source": customer.source,
                "customer_since": customer.since.isoformat(),
                "tier": None,
                "segment": None,
                "tags": tags or None,
                "flagged": True if customer.key in low_score else None,
                "notes": rng.choice(texts["customer_notes"]) if rng.random() < 0.2 else None,
            }
        )
    return rows


def _contact_rows(customers: list[Customer], words: _Words, as_of: date) -> list[Row]:
    rng = random.Random(SEED + 12)
    words.reseed(12)
    rows: list[Row] = []
    roles = ["decision_maker", "purchaser", "finance", "technical", "user", "other"]
    for customer in customers:
        count = rng.choice((1, 1, 2, 2, 2, 3)) if customer.company else rng.choice((0, 0, 0, 1, 1))
        if customer.kind == "vip" and customer.company:
            count += 1
        for index in range(count):
            name, hint = words.person()
            born = as_of - timedelta(days=rng.randrange(25 * 365, 60 * 365))
            rows.append(
                {
                    "_key": f"ct{len(rows) + 1:03d}",
                    "customer": customer.key,
                    "name": name,
                    "job_title": rng.choice(words.texts["job_titles"]),
                    "role": roles[0] if index == 0 else rng.choice(roles[1:]),
                    "phone": unique_mobile(rng, set()) if rng.random() < 0.85 else None,
                    "email": words.email(rng, hint) if rng.random() < 0.7 else None,
                    "is_primary": index == 0,
                    "birthday": born.isoformat() if rng.random() < 0.4 else None,
                    "notes": None,
                }
            )
    return rows


def _order_rows(orders: list[Order], words: _Words) -> list[Row]:
    rng = random.Random(SEED + 13)
    rows = []
    for order in orders:
        channel = rng.choices(
            ["online", "store", "sales_rep", "distributor"],
            [4, 2, 5, 1] if order.customer.company else [6, 4, 1, 0],
        )[0]
        payment = rng.choices(
            ["bank_transfer", "alipay", "wechat_pay", "card", "cash"],
            [6, 3, 3, 1, 0] if order.customer.company else [0, 4, 5, 2, 1],
        )[0]
        rows.append(
            {
                "_key": order.key,
                "customer": order.customer.key,
                "product": order.product,
                "quantity": order.quantity,
                "amount": order.amount,
                "ordered_on": order.ordered_on.isoformat(),
                "status": order.status,
                "delivered_on": order.delivered_on.isoformat() if order.delivered_on else None,
                "payment_method": payment,
                "channel": channel,
                "notes": rng.choice(words.texts["order_notes"]) if rng.random() < 0.05 else None,
            }
        )
    return rows


def _follow_up_rows(customers: list[Customer], words: _Words, as_of: date) -> list[Row]:
    rng = random.Random(SEED + 14)
    per_kind = {"vip": 5, "regular": 2.6, "occasional": 1.1, "lapsed": 1.5, "new": 1.5, "never": 1}
    planned: list[tuple[str, Customer, str]] = []
    for customer in customers:
        count = int(per_kind[customer.kind] + rng.random())
        for _ in range(count):
            back = rng.randrange(0, max(1, (as_of - customer.since).days + 1))
            if customer.kind == "lapsed" and rng.random() < 0.6:
                back = rng.randrange(0, 60)  # reactivation attempts
            planned.append((_moment(as_of - timedelta(days=back), rng, words.locale), customer, ""))
    planned.sort(key=lambda item: (item[0], item[1].key))
    rows = []
    channels = ["phone", "wechat", "email", "visit", "meeting"]
    channel_weights = [5, 4, 2, 2, 1] if words.locale == "zh-CN" else [5, 0, 4, 2, 2]
    for number, (moment, customer, _) in enumerate(planned, start=1):
        day = date.fromisoformat(moment[:10])
        if customer.kind == "lapsed":
            outcome = rng.choices(["positive", "neutral", "negative", "no_answer"], [1, 2, 2, 3])[0]
        else:
            outcome = rng.choices(["positive", "neutral", "negative", "no_answer"], [5, 3, 1, 1])[0]
        product = PRODUCT_NAMES[words.locale][pick(rng, PRODUCTS)]
        summary = rng.choice(words.texts["follow_up"][outcome]).format(product=product)
        planned_next = outcome != "negative" and rng.random() < 0.7
        rows.append(
            {
                "_key": f"f{number:03d}",
                "customer": customer.key,
                "followed_at": moment,
                "channel": rng.choices(channels, channel_weights)[0],
                "summary": summary,
                "outcome": outcome,
                "next_step": rng.choice(words.texts["next_steps"]) if planned_next else None,
                "next_follow_up_on": (day + timedelta(days=rng.randrange(5, 31))).isoformat()
                if planned_next
                else None,
            }
        )
    return rows


def _interaction_rows(customers: list[Customer], words: _Words, as_of: date) -> list[Row]:
    rng = random.Random(SEED + 15)
    weight = {"vip": 7, "regular": 3.5, "occasional": 1.6, "lapsed": 1.0, "new": 3, "never": 1.2}
    types = ["visit", "call", "product_view", "email_open", "event", "message"]
    planned: list[tuple[str, Customer, str]] = []
    for customer in customers:
        for _ in range(int(weight[customer.kind] + rng.random())):
            life = max(1, (as_of - customer.since).days + 1)
            back = rng.randrange(0, min(life, 365))
            if customer.kind == "lapsed":
                back = min(life - 1, back + 150)
            kind = rng.choices(types, [2, 3, 6, 3, 1, 3])[0]
            moment = _moment(as_of - timedelta(days=back), rng, words.locale)
            planned.append((moment, customer, kind))
    planned.sort(key=lambda item: (item[0], item[1].key))
    rows = []
    for number, (moment, customer, kind) in enumerate(planned, start=1):
        with_product = kind in ("product_view", "visit", "message")
        minutes = {"visit": (20, 90), "call": (3, 25), "event": (60, 180)}.get(kind)
        rows.append(
            {
                "_key": f"i{number:03d}",
                "customer": customer.key,
                "type": kind,
                "occurred_at": moment,
                "product": pick(rng, PRODUCTS) if with_product else None,
                "duration_minutes": rng.randrange(*minutes) if minutes else None,
                "note": words.texts["interaction"][kind],
            }
        )
    return rows


def _complaint_rows(complaints: list[Complaint], words: _Words, as_of: date) -> list[Row]:
    rng = random.Random(SEED + 16)
    rows = []
    for complaint in complaints:
        done = complaint.resolved_on
        handled_days = ((done or as_of) - complaint.opened_on).days
        rows.append(
            {
                "_key": complaint.key,
                "customer": complaint.customer.key,
                "order": complaint.order.key if complaint.order else None,
                "opened_on": complaint.opened_on.isoformat(),
                "category": complaint.category,
                "severity": complaint.severity,
                "status": complaint.status,
                "summary": rng.choice(words.texts["complaint"][complaint.category]),
                "resolution": rng.choice(words.texts["resolutions"][complaint.category])
                if done
                else None,
                "resolved_on": done.isoformat() if done else None,
                # Escalated at 48 hours by the automation; still-open ones are left to it.
                "escalated": handled_days > 2 and complaint.status != "open",
            }
        )
    return rows


def _survey_rows(surveys: list[Survey], words: _Words) -> list[Row]:
    rng = random.Random(SEED + 17)
    rows = []
    for survey in surveys:
        texts = words.texts["survey"]
        pool = texts["after_complaint"] if survey.after_complaint else texts[survey.bucket]
        comment = rng.choice(pool)
        score = survey.score
        satisfaction = min(5, max(1, round(score / 2.2) + rng.choice((0, 0, 1))))
        rows.append(
            {
                "_key": survey.key,
                "customer": survey.order.customer.key,
                "order": survey.order.key,
                "score": score,
                "satisfaction": satisfaction if rng.random() < 0.9 else None,
                "comment": comment or None,
                "answered_on": survey.answered_on.isoformat(),
            }
        )
    return rows


# -- 1.1.0: referrals and the points ledger (nothing above reads these) --------------------


def _referral_rows(
    customers: list[Customer],
    customer_rows: list[Row],
    surveys: list[Survey],
    words: _Words,
    as_of: date,
    phones: set[str],
) -> list[Row]:
    rng = random.Random(SEED + 21)
    words.reseed(21)
    by_key = {row["_key"]: row for row in customer_rows}
    promoters = [s for s in surveys if s.score >= 9]
    rows: list[Row] = []

    def referrer_before(day: date) -> Customer:
        earlier = [s.order.customer for s in promoters if s.answered_on < day]
        if earlier:
            return rng.choice(earlier)
        return rng.choice([c for c in customers if c.kind in ("vip", "regular")])

    # Converted: the customers who came through a referral.
    joined = [c for c in customers if c.source == "referral" and c.since > as_of - timedelta(600)]
    for customer in sorted(joined, key=lambda c: c.since)[-9:]:
        day = customer.since - timedelta(days=rng.randrange(3, 21))
        row = by_key[customer.key]
        rows.append(
            {
                "referrer": referrer_before(day).key,
                "referred_name": row["name"],
                "referred_phone": row["phone"],
                "referred_company": row["company"],
                "referred_on": day.isoformat(),
                "status": "converted",
                "notes": None,
            }
        )
    for status, count, (low, high) in (
        ("new", 5, (0, 20)),
        ("contacted", 6, (10, 90)),
        ("lost", 5, (60, 500)),
    ):
        for _ in range(count):
            day = as_of - timedelta(days=rng.randrange(low, high + 1))
            city = pick(rng, CITIES[words.locale])
            industry = pick(rng, INDUSTRIES)
            rows.append(
                {
                    "referrer": referrer_before(day).key,
                    "referred_name": words.person()[0],
                    "referred_phone": unique_mobile(rng, phones) if rng.random() < 0.9 else None,
                    "referred_company": words.company(rng, city, industry)
                    if rng.random() < 0.7
                    else None,
                    "referred_on": day.isoformat(),
                    "status": status,
                    "notes": rng.choice(words.texts["referral_notes"]) or None,
                }
            )
    rows.sort(key=lambda row: (row["referred_on"], row["referrer"]))
    return [{"_key": f"r{n:03d}", **row} for n, row in enumerate(rows, start=1)]


def _loyalty_rows(
    customers: list[Customer],
    surveys: list[Survey],
    complaints: list[Complaint],
    referrals: list[Row],
    words: _Words,
    as_of: date,
) -> list[Row]:
    """Points since the programme started: 1 point per 10 yuan, birthday and referral
    bonuses, survey thank-yous, goodwill after complaints; redemptions and expiries only
    out of the balance at the time."""
    rng = random.Random(SEED + 22)
    start = as_of - timedelta(days=LOYALTY_START_DAYS)
    labels = words.texts["loyalty"]
    members = [c for c in customers if any(o.ordered_on >= start for o in c.orders)]
    rng.shuffle(members)
    # Referrers of converted referrals are members (they earned the referral reward).
    referrers = {r["referrer"] for r in referrals if r["status"] == "converted"}
    members.sort(key=lambda c: c.key not in referrers)
    events: list[tuple[date, str, str, int, str | None]] = []
    purchase_rows = 0
    chosen: set[str] = set()
    for customer in members:
        recent = [o for o in customer.orders if o.ordered_on >= start]
        if purchase_rows + len(recent) > 300:
            continue
        purchase_rows += len(recent)
        chosen.add(customer.key)
        for order in recent:
            events.append(
                (order.ordered_on, customer.key, "purchase", int(order.amount // 10), order.key)
            )
        if rng.random() < 0.3:
            events.append(
                (start + timedelta(days=rng.randrange(0, 365)), customer.key, "birthday", 200, None)
            )
    for survey in surveys:
        if survey.order.customer.key in chosen and survey.answered_on >= start:
            events.append((survey.answered_on, survey.order.customer.key, "survey", 50, None))
    for complaint in complaints:
        if (
            complaint.customer.key in chosen
            and complaint.resolved_on
            and complaint.resolved_on >= start
        ):
            events.append((complaint.resolved_on, complaint.customer.key, "adjustment", 300, None))
    for referral in referrals:
        day = date.fromisoformat(referral["referred_on"])
        if referral["status"] == "converted" and referral["referrer"] in chosen and day >= start:
            events.append((day + timedelta(days=7), referral["referrer"], "referral", 500, None))
    events = [e for e in events if e[0] <= as_of]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    # Spending: walk each member's movements in time order, redeeming out of the balance.
    balance: dict[str, int] = {}
    rows: list[tuple[date, str, str, int, str | None]] = []
    for day, customer_key, reason, points, order_key in events:
        rows.append((day, customer_key, reason, points, order_key))
        balance[customer_key] = balance.get(customer_key, 0) + points
        if balance[customer_key] >= 1000 and rng.random() < 0.35:
            spend = rng.choice((500, 1000, 1000, 2000, 3000))
            spend = min(spend, balance[customer_key] // 500 * 500)
            redeem_on = min(day + timedelta(days=rng.randrange(1, 20)), as_of)
            rows.append((redeem_on, customer_key, "redemption", -spend, None))
            balance[customer_key] -= spend
    expiry_day = start + timedelta(days=LOYALTY_START_DAYS - 30)
    for customer_key in sorted(balance):
        # Points unused for a long while expire (a few members).
        last = max(day for day, key, *_ in rows if key == customer_key)
        if (
            balance[customer_key] > 0
            and last < expiry_day - timedelta(days=120)
            and rng.random() < 0.6
        ):
            rows.append((expiry_day, customer_key, "expiry", -balance[customer_key], None))
            balance[customer_key] = 0
    rows.sort(key=lambda r: (r[0], r[1], r[3] < 0))
    return [
        {
            "_key": f"p{number:03d}",
            "customer": customer_key,
            "points": points,
            "reason": reason,
            "order": order_key,
            "occurred_on": day.isoformat(),
            "note": labels[reason],
        }
        for number, (day, customer_key, reason, points, order_key) in enumerate(rows, start=1)
    ]


def generate(locale: str, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """Every sample table of the template in ``locale`` (``en`` or ``zh-CN``), dated up
    to ``as_of``."""
    customers = _customers(as_of)
    orders = _orders(customers, as_of)
    complaints = _complaints(customers, as_of)
    surveys = _surveys(orders, complaints, as_of)
    words = _Words(locale)
    phones: set[str] = set()
    customer_rows = _customer_rows(customers, words, surveys, phones)
    referrals = _referral_rows(customers, customer_rows, surveys, words, as_of, phones)
    return {
        "customers": customer_rows,
        "contacts": _contact_rows(customers, words, as_of),
        "orders": _order_rows(orders, words),
        "follow_ups": _follow_up_rows(customers, words, as_of),
        "interactions": _interaction_rows(customers, words, as_of),
        "complaints": _complaint_rows(complaints, words, as_of),
        "satisfaction_surveys": _survey_rows(surveys, words),
        "referrals": referrals,
        "loyalty_points": _loyalty_rows(customers, surveys, complaints, referrals, words, as_of),
    }
