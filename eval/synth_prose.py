"""Prose of a synthetic report: agency, title, headings, paragraphs.

Sentences are written for this generator (none are taken from real
reports) and filled with numbers that are *not* table figures — dates,
phone numbers, counts of web posts — so an extractor must find the tables
instead of grabbing the first numbers it sees. A few narrative sentences do
state table figures, as real reports do, for the narrative checks.
"""

from __future__ import annotations

import random

PROVINCES = (
    "河北省", "山西省", "辽宁省", "吉林省", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省",
    "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省",
)
PLACE_SYLLABLES = (
    "临", "安", "青", "东", "永", "白", "清", "宁", "平", "新", "长", "丰", "泰", "华", "兴", "广", "南", "北",
    "江", "河", "山", "岭", "阳", "源", "川", "溪", "湖", "城", "桥", "林", "台", "石", "云", "龙", "凤", "金",
)
DEPARTMENTS = (
    "自然资源", "生态环境", "住房和城乡建设", "交通运输", "农业农村", "卫生健康", "市场监督管理",
    "教育", "财政", "人力资源和社会保障", "民政", "水利", "文化和旅游", "应急管理", "公安",
)
PROVINCE_DEPTS = ("教育厅", "财政厅", "民政厅", "水利厅", "交通运输厅", "自然资源厅", "生态环境厅", "商务厅")


def place_name(rng: random.Random) -> str:
    a, b = rng.sample(PLACE_SYLLABLES, 2)
    return a + b


def make_agency(rng: random.Random) -> tuple[str, str, str]:
    """(full name as printed in the title, level, short self-reference)."""
    level = rng.choices(("province", "city", "county"), weights=(2, 4, 5))[0]
    prov = rng.choice(PROVINCES)
    if level == "province":
        kind = rng.choice(("gov", "office", "dept"))
        if kind == "gov":
            return f"{prov}人民政府", level, "省政府"
        if kind == "office":
            return f"{prov}人民政府办公厅", level, "省政府办公厅"
        dept = rng.choice(PROVINCE_DEPTS)
        return f"{prov}{dept}", level, f"省{dept}"
    if level == "city":
        city = place_name(rng) + "市"
        kind = rng.choice(("gov", "office", "bureau"))
        prefix = prov if rng.random() < 0.2 else ""
        if kind == "gov":
            return f"{prefix}{city}人民政府", level, "市政府"
        if kind == "office":
            return f"{prefix}{city}人民政府办公室", level, "市政府办公室"
        return f"{prefix}{city}{rng.choice(DEPARTMENTS)}局", level, "本局"
    county = place_name(rng) + rng.choice(("县", "县", "区"))
    kind = rng.choice(("gov", "gov", "office", "bureau"))
    if kind == "gov":
        return f"{county}人民政府", level, f"{county[-1]}政府"
    if kind == "office":
        return f"{county}人民政府办公室", level, f"{county[-1]}政府办"
    return f"{county}{rng.choice(DEPARTMENTS)}局", level, "本局"


def spaced(text: str) -> str:
    return " ".join(text)


def title_lines(rng: random.Random, agency: str, year: int) -> tuple[list[str], str]:
    """The title as printed (one or two lines) and the style used."""
    style = rng.choices(("plain", "year_first", "spaced", "split", "portal", "nianDu"), weights=(5, 3, 2, 2, 1, 1))[0]
    base = f"{agency}{year}年政府信息公开工作年度报告"
    # "…人民政府" + "政府信息公开" is often printed once: "…人民政府信息公开"
    tail = "信息公开工作" if agency.endswith("政府") and rng.random() < 0.5 else "政府信息公开工作"
    if style == "year_first":
        return [f"{year}年{agency}{tail}年度报告"], style
    if style == "spaced":
        return [f"{year} 年{agency}{tail} {spaced('年度报告')}"], style
    if style == "split":
        return [f"{agency}{year}年政府信息公开工作", "年度报告"], style
    if style == "portal":
        portal = place_name(rng) + "政府门户网站"
        return [f"{portal}-{base}", "", base, "", f"发布时间：{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"], style
    if style == "nianDu":
        return [f"{agency}{year}年度政府信息公开工作年度报告"], style
    return [base], style


SECTION_TITLES = (
    "总体情况",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "政府信息公开行政复议、行政诉讼情况",
    "存在的主要问题及改进情况",
    "其他需要报告的事项",
)
NUMERALS = "一二三四五六七八九十"
HEADING_STYLES = ("plain", "markdown", "bold", "spaced", "arabic", "chapter")


# Heading forms by style: {c} Chinese numeral, {n} arabic number, {t} title, {h} markdown hashes.
_HEADING_FORMS = {
    "markdown": "{h} {c}、{t}",
    "bold": "**{c}、{t}**",
    "arabic": "{n}．{t}",
    "chapter": "第{c}部分 {t}",
    # variations (synth_variations.CHAPTER_STYLES)
    "paren": "（{c}）{t}",
    "part": "第{c}部分\u3000{t}",
    "zhang": "第{c}章 {t}",
    "dot": "{n}.{t}",
    "dunhao": "{n}、{t}",
    "markdown_plain": "{h} {t}",
    "bold_plain": "**{t}**",
    "none": "{t}",
}


def heading(style: str, index: int, title: str, level: int = 2) -> str:
    """Section heading ``index`` (0-based) in one of the styles seen in reports."""
    if style == "spaced":
        return spaced(f"{NUMERALS[index]}、{title}")
    form = _HEADING_FORMS.get(style, "{c}、{t}")
    return form.format(c=NUMERALS[index], n=index + 1, t=title, h="#" * level)


SUBHEADINGS = (
    "强化组织领导", "健全工作机制", "抓实主动公开", "规范依申请公开办理", "加强政策解读",
    "做好回应关切", "完善公开平台", "加强监督考核", "推进基层公开", "提升人员能力",
)

_GENERAL = (
    "{year}年，{short}围绕年度重点任务，把政务公开与日常业务同步谋划、同步推进。",
    "全年召开专题会议{n1}次，研究部署公开工作，明确{n2}名同志具体负责。",
    "通过门户网站发布各类信息{n3}条，其中工作动态{n4}条，通知公告{n5}条。",
    "政务新媒体账号全年推送内容{n4}篇，累计阅读量约{n6}万人次。",
    "组织业务培训{n1}场，参训人员{n7}人次，覆盖所属单位全部联络员。",
    "对栏目设置进行了梳理，新增专题栏目{n1}个，清理过期信息{n5}条。",
    "建立信息发布审核台账，坚持先审后发，全年未发生泄密事件。",
    "对照考核指标逐项自查，发现并整改问题{n2}个。",
    "围绕群众关注的教育、医疗、住房等事项，集中发布解读材料{n5}篇。",
    "通过线上问卷征集意见建议{n7}条，采纳合理建议{n2}条。",
    "完成公开指南和公开目录的修订，并在{month}月底前上网公布。",
    "举办在线访谈{n1}期，负责同志走进直播间回答网民提问。",
)
_PROBLEMS = (
    "一是部分单位对公开工作的重视程度仍有差距；二是信息更新的及时性有待提高；三是解读形式还比较单一。",
    "工作中还存在公开内容不够全面、个别栏目更新滞后、基层工作人员业务能力参差不齐等问题。",
    "下一步，{short}将进一步完善制度，加强培训指导，推动公开工作提质增效。",
    "针对上述问题，将通过定期检查、通报讲评等方式督促整改，确保问题逐项销号。",
    "今后将更多运用图表、短视频等方式开展解读，增强公开效果。",
)
_OTHER = (
    "无。",
    "本年度未收取信息处理费。",
    "{year}年度未发生需要说明的其他事项。",
    "本年度共办理人大代表建议{n1}件、政协提案{n2}件，办理结果均已按规定公开。",
)


def _fill(rng: random.Random, text: str, short: str, year: int) -> str:
    return text.format(
        short=short,
        year=year,
        month=rng.randint(3, 11),
        n1=rng.randint(2, 12),
        n2=rng.randint(2, 40),
        n3=rng.randint(200, 9000),
        n4=rng.randint(50, 3000),
        n5=rng.randint(10, 600),
        n6=rng.randint(2, 300),
        n7=rng.randint(30, 900),
    )


def intro(rng: random.Random, agency: str, year: int) -> list[str]:
    phone = f"0{rng.randint(310, 999)}-{rng.randint(2000000, 8999999)}"
    code = rng.randint(100000, 850000)
    return [
        f"本报告根据《中华人民共和国政府信息公开条例》要求编制，由{agency}负责汇总。"
        f"报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。",
        f"如对本报告有疑问，请与{agency}联系（邮政编码：{code}，电话：{phone}）。",
    ]


def general_paragraphs(rng: random.Random, short: str, year: int, sub_style: str, arabic_subs: bool = False) -> list[str]:
    """The 总体情况 section: a lead sentence, then （一）… sub-parts."""
    out = [_fill(rng, _GENERAL[0], short, year)]
    for i, sub in enumerate(rng.sample(SUBHEADINGS, rng.randint(2, 5))):
        body = "".join(_fill(rng, s, short, year) for s in rng.sample(_GENERAL[1:], rng.randint(1, 3)))
        mark = f"{i + 1}.{sub}" if arabic_subs else f"（{NUMERALS[i]}）{sub}"
        if sub_style == "inline":
            out.append(f"{mark}。{body}")
        elif sub_style == "markdown":
            out += [f"### {mark}", body]
        else:
            out += [mark, body]
    return out


def problems(rng: random.Random, short: str, year: int) -> list[str]:
    return [_fill(rng, s, short, year) for s in rng.sample(_PROBLEMS, rng.randint(2, 3))]


def other_matters(rng: random.Random, short: str, year: int) -> list[str]:
    return [_fill(rng, rng.choice(_OTHER), short, year)]


def narrative_applications(rng: random.Random, truth: dict, year: int) -> list[str]:
    """A sentence stating table 三 figures (sometimes loosely, as reports do)."""
    new = truth["new_received"]["total"]
    old = truth["carried_over"]["total"]
    if new is None or old is None:
        return []
    kind = rng.choice(("exact", "exact", "sum", "none"))
    if kind == "none":
        return []
    if kind == "sum":
        return [f"{year}年共受理政府信息公开申请{new + old}件（含上年结转{old}件），均在法定期限内答复。"]
    return [f"本年度新收政府信息公开申请{new}件，上年结转{old}件。"]


def narrative_review(rng: random.Random, truth: dict) -> list[str]:
    r = truth["review"]["total"]
    lit = [truth[k]["total"] for k in ("litigation_direct", "litigation_after_review")]
    if r is None or None in lit:
        return []
    if rng.random() < 0.5:
        return [f"本年度因政府信息公开被申请行政复议{r}件，被提起行政诉讼{sum(lit)}件。"]
    return []


def legacy_paragraphs(rng: random.Random, ind: dict, short: str, year: int) -> dict[str, list[str]]:
    """Sections of a pre-2019 report, with its own narrative figures."""
    rec = ind.get("applications_received")
    online = ind.get("received_online")
    narrative = []
    if rec is not None and online is not None:
        narrative.append(f"{year}年共收到政府信息公开申请{rec}件，其中网络申请{online}件。")
    return {
        "概述": [_fill(rng, s, short, year) for s in rng.sample(_GENERAL, 3)],
        "主动公开政府信息情况": [_fill(rng, s, short, year) for s in rng.sample(_GENERAL[1:], 2)],
        "依申请公开政府信息情况": narrative + ["所有申请均按规定程序登记、审核和答复。"],
        "政府信息公开的收费及减免情况": ["本年度依申请提供政府信息未收取费用。" if not ind.get("fees_collected") else "本年度按规定收取了少量检索复制费用。"],
        "因政府信息公开申请行政复议、提起行政诉讼的情况": ["具体数字见附表。"],
        "存在的主要问题及改进措施": problems(rng, short, year),
    }


# --- variations (synth_variations) ------------------------------------------------


def title_variant(rng: random.Random, name: str, agency: str, year: int) -> list[str]:
    """Title lines of a ``title_*`` variation; the agency stays as printed."""
    if name == "title_guanyu":
        return [rng.choice((f"{agency}关于{year}年度政府信息公开工作的报告", f"{agency}关于{year}年政府信息公开工作情况的报告"))]
    if name == "title_portal":
        portal = rng.choice((f"{place_name(rng)}市人民政府门户网站", f"{place_name(rng)}县人民政府网", "中国政府网"))
        sep = rng.choice(("-", "—", "_", " - "))
        title = rng.choice((f"{agency}{year}年政府信息公开工作年度报告", f"{agency}{year}年度政府信息公开工作年度报告"))
        return [f"{portal}{sep}{title}"]
    if name == "title_split":
        full = f"{agency}{year}年度政府信息公开工作年度报告"
        k = rng.choice((2, 3))
        if k == 2:
            cut = len(agency) if rng.random() < 0.5 else len(agency) + len(f"{year}年度")
            return [full[:cut], full[cut:]]
        return [agency, f"{year}年度政府信息公开", "工作年度报告"]
    raise ValueError(name)


def meta_lines(rng: random.Random, agency: str, year: int) -> list[str]:
    """Lines under the title: 发布机构/来源 and a date."""
    date = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(10, 28):02d}"
    src = rng.choice((f"发布机构：{agency}", f"来源：{agency}", f"信息来源：{agency}"))
    parts = [src, f"发布日期：{date}", f"（{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日）"]
    if rng.random() < 0.5:
        return [f"{parts[0]}　　{parts[1]}"]
    return [parts[0], rng.choice(parts[1:])] if rng.random() < 0.6 else [rng.choice(parts[1:]), parts[0]]


def signature(rng: random.Random, agency: str, year: int) -> list[str]:
    pad = " " * rng.randint(10, 30)
    return ["", pad + agency, pad + f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"]


OVERVIEW_SUBS = (
    ("主动公开情况", "{short}全年主动公开政府信息{n3}条，其中政策文件{n5}件。"),
    ("依申请公开情况", "{short}严格落实依申请公开办理制度，按时答复率100%，全年受理咨询{n5}人次。"),
    ("政府信息管理", "对{n1}件现行有效规范性文件进行了清理，公布清理结果。"),
    ("政府信息公开平台建设", "门户网站全年访问量{n6}万人次，政务新媒体发布信息{n4}条。"),
    ("监督保障", "开展政务公开培训{n1}次，参训{n7}人次。"),
    ("政府信息公开行政复议、行政诉讼情况", "{short}高度重视行政复议、行政诉讼工作，依法履行答复义务。"),
)


def overview_subheadings(rng: random.Random, short: str, year: int) -> list[str]:
    """总体情况 sub-parts named like the chapters (1.主动公开情况 …)."""
    style = rng.choice(("dot", "paren", "dunhao"))
    picks = sorted(rng.sample(range(len(OVERVIEW_SUBS)), rng.randint(3, 6)))
    out = []
    for i, k in enumerate(picks):
        name, body = OVERVIEW_SUBS[k]
        mark = {"dot": f"{i + 1}.", "paren": f"（{NUMERALS[i]}）", "dunhao": f"{i + 1}、"}[style]
        if rng.random() < 0.4:
            out.append(f"{mark}{name}。" + _fill(rng, body, short, year))
        else:
            out += [f"{mark}{name}", _fill(rng, body, short, year)]
    return out


def mention_active(rng: random.Random, template: str) -> str:
    items = "第（一）项、第（五）项、第（六）项、第（八）项" + ("、第（九）项" if template == "2019" else "")
    return rng.choice((
        f"根据《条例》第二十条{items}的规定，主动公开政府信息情况如下：",
        "本年度制发规章和行政规范性文件、行政许可、行政处罚、行政强制及行政事业性收费情况统计如下。",
        f"按照《中华人民共和国政府信息公开条例》第二十条要求，对{items}的信息予以主动公开，具体数据见下表。",
    ))


def mention_applications(rng: random.Random, apps: dict) -> list[str]:
    g = lambda r: apps[r]["total"]  # noqa: E731
    vals = {k: g(k) for k in ("new_received", "carried_over", "total_handled", "carried_forward", "granted")}
    if any(v is None for v in vals.values()):
        return ["收到和处理政府信息公开申请情况详见下表。"]
    out = [
        rng.choice((
            f"本年新收政府信息公开申请{vals['new_received']}件，上年结转政府信息公开申请{vals['carried_over']}件，"
            f"办结{vals['total_handled']}件，结转下年度继续办理{vals['carried_forward']}件。",
            f"{rng.choice(('全年', '本年度'))}共收到政府信息公开申请{vals['new_received']}件，其中予以公开{vals['granted']}件；"
            f"上年结转{vals['carried_over']}件。",
        ))
    ]
    if rng.random() < 0.5:
        nat = apps["new_received"]["natural_person"]
        out.append(f"从申请主体看，自然人申请{nat}件，法人或其他组织申请{vals['new_received'] - nat if nat is not None else 0}件。")
    return out


def mention_review(rng: random.Random, rl: dict) -> list[str]:
    r = rl["review"]
    lit = [rl[k] for k in ("litigation_direct", "litigation_after_review")]
    if r["total"] is None or any(x["total"] is None for x in lit):
        return ["本年度政府信息公开行政复议、行政诉讼情况如下。"]
    lt = sum(x["total"] for x in lit)
    return [rng.choice((
        f"本年度发生政府信息公开行政复议{r['total']}件、行政诉讼{lt}件，其中行政复议结果维持{r['upheld']}件，结果纠正{r['corrected']}件。",
        f"全年共办理行政复议{r['total']}件，结果维持{r['upheld']}件；行政诉讼{lt}件，尚未审结{sum(x['pending'] or 0 for x in lit)}件。",
        f"行政复议{r['total']}件、行政诉讼{lt}件，均依法按时答复。",
    ))]
