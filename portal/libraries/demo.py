"""Demo worker libraries: two in Harbin's districts (香坊区, 道里区) and one in 通河县, with
realistic opening hours, partner rest stations, about 2,000 generated titles (plausible Chinese
titles and authors, valid ISBNs), and — once people exist — visits with a waiting list, holds in a
queue and loans due and overdue (``seed_activity``)."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from portal.core.isbn import isbn13_check_digit
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryPartnerStation
from portal.libraries.services import books, directory
from portal.stations.models import Station

LIBRARIES = [
    # union code, name, address, lat, lng, hours, slot minutes, places per slot, phone, titles
    (
        "230110",
        "香坊区总工会职工书屋",
        "黑龙江省哈尔滨市香坊区通天街126号 区工人文化宫二楼",
        45.7160,
        126.6690,
        "Mon-Fri 09:00-20:00; Sat-Sun 09:00-17:00",
        60,
        12,
        "0451-82345678",
        900,
    ),
    (
        "230102",
        "道里区中央大街职工书屋",
        "黑龙江省哈尔滨市道里区中央大街89号 职工之家三楼",
        45.7725,
        126.6175,
        "Tue-Sun 10:00-18:00",
        90,
        8,
        "0451-84671234",
        700,
    ),
    (
        "230128",
        "通河县总工会职工书屋",
        "黑龙江省哈尔滨市通河县中央街58号 县工会一楼",
        45.9905,
        128.7460,
        "Mon-Fri 08:30-11:30; Mon-Fri 13:30-17:00",
        60,
        6,
        "0451-57321100",
        400,
    ),
]

# Words that Chinese book titles are made of, by kind, and a few real-looking patterns.
_SUBJECTS = [
    "平凡的世界",
    "黑土地",
    "松花江",
    "北方的河",
    "人间烟火",
    "城市骑手",
    "远方",
    "春天",
    "老街",
    "小城故事",
    "父亲的背影",
    "冰城",
    "劳动者",
    "匠心",
    "灯火",
    "归途",
    "大地",
    "路上",
    "山河",
    "岁月",
]
_FORMS = ["{s}", "{s}的故事", "我的{s}", "{s}纪事", "走过{s}", "{s}之歌", "{s}往事", "致{s}"]
_HOWTO = [
    "电动车维修入门",
    "家常菜一百例",
    "劳动合同法解读",
    "职工权益保护手册",
    "急救知识图解",
    "中医养生常识",
    "Python编程：从入门到实践",
    "Excel办公技巧",
    "普通话水平测试指南",
    "安全生产知识问答",
    "心理健康自助手册",
    "小学数学辅导",
    "育儿百科",
    "法律常识100问",
    "家庭理财入门",
    "摄影构图基础",
    "汽车驾驶技巧",
    "英语口语900句",
]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = [
    "建国",
    "秀英",
    "志强",
    "丽华",
    "海燕",
    "晓东",
    "文博",
    "雪梅",
    "永胜",
    "春生",
    "玉兰",
    "立新",
    "红军",
    "淑珍",
    "国庆",
    "学文",
    "桂芳",
    "德明",
    "思远",
    "一鸣",
    "子涵",
    "浩然",
    "欣怡",
    "静",
    "磊",
    "敏",
    "军",
    "洋",
]
_PUBLISHERS = [
    "人民文学出版社",
    "北方文艺出版社",
    "黑龙江人民出版社",
    "中国工人出版社",
    "机械工业出版社",
    "人民邮电出版社",
    "法律出版社",
    "中信出版社",
    "作家出版社",
    "上海译文出版社",
]
_CLC = {"fiction": ["I247.5", "I247.7", "I267"], "howto": ["TS972.1", "D922.5", "R459.7", "TP311.56", "F830.59"]}


def generated_titles(count: int, seed: int) -> list[books.EntryData]:
    rng = random.Random(seed)
    made, seen = [], set()
    while len(made) < count:
        if rng.random() < 0.3:
            title = rng.choice(_HOWTO)
            if rng.random() < 0.5:
                title = f"{title}（第{rng.randint(2, 5)}版）"
            clc = rng.choice(_CLC["howto"])
        else:
            title = rng.choice(_FORMS).format(s=rng.choice(_SUBJECTS))
            if rng.random() < 0.4:
                title = f"{title}{rng.choice(['', '：', '·'])}{rng.choice(_SUBJECTS)}"
            clc = rng.choice(_CLC["fiction"])
        body = f"9787{rng.randint(0, 99_999_999):08d}"
        isbn = body + isbn13_check_digit(body)
        if isbn in seen:
            continue
        seen.add(isbn)
        author = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        made.append(
            books.EntryData(
                isbn=isbn,
                title=title[:200],
                author=author + (" 著" if rng.random() < 0.7 else " 编"),
                publisher=rng.choice(_PUBLISHERS),
                year=rng.randint(1995, 2026),
                clc=clc,
                copies=rng.choice([1, 1, 1, 2, 2, 3]),
            )
        )
    return made


def seed() -> None:
    """The three libraries, their partner stations and catalogues (once: skipped when any exist)."""
    if db.session.scalar(select(func.count(Library.id))):
        return
    for n, (code, name, address, lat, lng, hours, minutes, places, phone, titles) in enumerate(LIBRARIES):
        library = directory.create_library(
            None,
            {
                "name": name,
                "address": address,
                "lat": lat,
                "lng": lng,
                "open_hours": hours,
                "slot_minutes": minutes,
                "places_per_slot": places,
                "phone": phone,
                "union_code": code,
            },
        )
        # The nearest stations of the library's own district take its reserved books.
        nearby = db.session.scalars(
            select(Station.id)
            .join(Station.union)
            .where(Station.is_active.is_(True), Station.union.has(code=code))
            .order_by(func.abs(Station.lat - lat) + func.abs(Station.lng - lng))
            .limit(3)
        ).all()
        for station_id in nearby:
            db.session.add(LibraryPartnerStation(library_id=library.id, station_id=station_id))
        for entry in generated_titles(titles, seed=2026 + n):
            books.save_entry(library.id, entry)
    db.session.flush()


def demo_entry(library_name: str, title_part: str) -> LibraryBook | None:
    return db.session.scalar(
        select(LibraryBook)
        .join(Library)
        .where(Library.name == library_name, LibraryBook.title.contains(title_part))
        .order_by(LibraryBook.id)
        .limit(1)
    )


def _next_open_slots(library: Library, now, *, skip_days: int = 1) -> list:
    """The bookable slots of the first day (from ``skip_days`` on) the library opens."""
    from datetime import timedelta

    from portal.core.time import local_today
    from portal.libraries.services import slots

    today = local_today(now)
    for ahead in range(skip_days, 8):
        found = [s for s in slots.slots_for_day(library, today + timedelta(days=ahead), now) if s.state == "bookable"]
        if found:
            return found
    return []


def seed_activity() -> None:
    """Visits (one slot full, with a waiting list), holds in a queue, ready and being prepared,
    loans due soon and overdue — made through the services, as people and staff would, once."""
    from datetime import timedelta

    from portal.accounts.models import User
    from portal.core.db import utcnow
    from portal.libraries.models import LibraryVisit
    from portal.libraries.services import hold_board, holds, loans, visits

    if db.session.scalar(select(func.count(LibraryVisit.id))):
        return
    libraries = {lib.name: lib for lib in db.session.scalars(select(Library))}
    people = {u.phone: u for u in db.session.scalars(select(User))}
    xiangfang, tonghe = libraries.get(LIBRARIES[0][1]), libraries.get(LIBRARIES[2][1])
    zhang, county = people.get("13800000001"), people.get("13900000002")
    readers = [
        people[p] for p in ("13700000001", "13700000002", "13700000003", "13700000004", "13700000005") if p in people
    ]
    tonghe_people = [
        people[p]
        for p in (
            "13700000006",
            "13700000007",
            "13700000008",
            "13700000009",
            "13600000006",
            "13800000002",
            "13900000001",
            "13700000001",
        )
        if p in people
    ]
    if None in (xiangfang, tonghe, zhang, county) or len(readers) < 5 or len(tonghe_people) < 8:
        return  # the demo people or libraries are not all there (real data): nothing to add
    now = utcnow()
    # 张伟 has a visit booked at 香坊; 通河's first slot is full (6 places) with two people in line.
    first = _next_open_slots(xiangfang, now)
    if first:
        visits.book(zhang, xiangfang.id, first[min(1, len(first) - 1)].start, now)
    full = _next_open_slots(tonghe, now)
    if full:
        for person in tonghe_people:
            visits.book(person, tonghe.id, full[0].start, now)
    # Holds and loans at 香坊 (staff: 刘洋, county staff of 香坊区).
    titles = list(
        db.session.scalars(
            select(LibraryBook).where(LibraryBook.library_id == xiangfang.id).order_by(LibraryBook.id).limit(40)
        )
    )
    one_copy = [t for t in titles if t.copies == 1]
    if len(one_copy) < 6:
        return
    popular, prepared, ready, soon, late, mine = one_copy[:6]
    # A popular title: lent 20 days ago; two members in line (张伟 second).
    loans.lend(county, xiangfang.id, readers[0], popular.isbn, now=now - timedelta(days=20))
    holds.reserve(readers[1], popular.id, now=now - timedelta(days=3))
    holds.reserve(zhang, popular.id, now=now - timedelta(days=2))
    # 张伟's reservation to collect at a partner rest station: staff are preparing it.
    partners = directory.partner_stations(xiangfang.id)
    holds.reserve(zhang, prepared.id, partners[0].id if partners else None, now=now - timedelta(hours=5))
    # Another member's reservation is ready at the library.
    hold = holds.reserve(readers[2], ready.id, now=now - timedelta(days=1))
    hold_board.mark_ready(county, hold.id, library_id=xiangfang.id, now=now - timedelta(hours=20))
    # Loans: 张伟's is due in three days; two others are overdue.
    loans.lend(county, xiangfang.id, zhang, soon.isbn, now=now - timedelta(days=27))
    loans.lend(county, xiangfang.id, readers[3], late.isbn, now=now - timedelta(days=41))
    loans.lend(county, xiangfang.id, readers[4], mine.isbn, now=now - timedelta(days=33))
    db.session.flush()
