"""Words the renderers add around the declaration's own text, in both languages.

Only interface words (table headings, yes/no) and sentences built from
numbers in the declaration (retention periods, deadlines, dates) live here;
every statement of the policy itself comes from the declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from privacyops.policy.base import Lang
from privacyops.policy.retention import AccountLife, ConsentLife, Fixed, Legal

Pair = tuple[str, str]

LABELS: dict[str, Pair] = {
    "version": ("Version", "版本"),
    "colon": (": ", "："),
    "effective": ("Effective date", "生效日期"),
    "updated": ("Last updated", "更新日期"),
    "controller": ("Data controller", "个人信息处理者"),
    "address": ("Address", "地址"),
    "website": ("Website", "网站"),
    "email": ("E-mail", "电子邮件"),
    "category": ("Data category", "信息类别"),
    "description": ("Description", "说明"),
    "fields": ("Fields", "字段"),
    "source": ("Source", "来源"),
    "methods": ("Collected through", "收集方式"),
    "purposes": ("Purposes", "使用目的"),
    "purpose": ("Purpose", "目的"),
    "sensitive": ("Sensitive", "敏感信息"),
    "retention": ("Retention", "保存期限"),
    "storage": ("Stored in", "存储地点"),
    "consent": ("Needs your consent", "需经您同意"),
    "essential": ("Essential", "必要"),
    "basis_gdpr": ("Legal basis (GDPR)", "法律依据（GDPR）"),
    "basis_pipl": ("Legal basis (PIPL)", "法律依据（个人信息保护法）"),
    "recipient": ("Recipient", "接收方"),
    "data_shared": ("Data shared", "共享的信息"),
    "location": ("Location", "所在地"),
    "safeguard": ("Safeguard", "保护措施"),
    "ground": ("Ground", "共享依据"),
    "transfer": ("Transfer", "跨境传输"),
    "mechanisms": ("Mechanisms", "传输机制"),
    "cookie": ("Cookie", "Cookie"),
    "cookie_category": ("Type", "类型"),
    "provider": ("Provider", "提供方"),
    "duration": ("Duration", "有效期"),
    "right": ("Right", "权利"),
    "channels": ("How to reach us", "联系方式"),
    "deadlines": ("Response times", "答复时限"),
    "permission": ("Permission", "权限"),
    "why": ("Why we ask", "申请原因"),
    "stores": ("Stores", "应用商店"),
    "laws": ("Laws", "法律"),
    "yes": ("Yes", "是"),
    "no": ("No", "否"),
    "session": ("Until you close the browser", "浏览器关闭时失效"),
    "first_party": ("First party", "第一方"),
    "third_party": ("Third party", "第三方"),
}

SOURCES: dict[str, Pair] = {
    "user_provided": ("Provided by you", "您主动提供"),
    "automatic": ("Collected automatically", "自动收集"),
    "hardware": ("Reported by smart hardware", "智能硬件上报"),
    "third_party": ("From authorised third parties", "经授权的第三方"),
}

GDPR_BASES: dict[str, Pair] = {
    "consent": ("Consent", "同意"),
    "contract": ("Performance of a contract", "履行合同所必需"),
    "legal_obligation": ("Legal obligation", "履行法定义务"),
    "vital_interests": ("Vital interests", "保护重大利益"),
    "public_task": ("Public task", "履行公共职责"),
    "legitimate_interests": ("Legitimate interests", "正当利益"),
}

PIPL_BASES: dict[str, Pair] = {
    "consent": ("Consent", "取得个人同意"),
    "separate_consent": ("Separate consent", "取得个人单独同意"),
    "contract": ("Necessary for a contract", "订立、履行合同所必需"),
    "hr_management": ("Human resources management", "人力资源管理所必需"),
    "legal_obligation": ("Statutory duty or obligation", "履行法定职责或法定义务所必需"),
    "emergency": (
        "Public health emergency or protection of life",
        "应对突发公共卫生事件或保护生命健康",
    ),
    "public_interest_reporting": (
        "News reporting in the public interest",
        "为公共利益实施新闻报道",
    ),
    "publicly_disclosed": ("Information already made public", "处理已合法公开的个人信息"),
    "other_law": ("Other circumstances set by law", "法律、行政法规规定的其他情形"),
}

MECHANISMS: dict[str, Pair] = {
    "pipl_standard_contract": ("PIPL standard contract", "个人信息出境标准合同"),
    "pipl_security_assessment": ("CAC security assessment", "数据出境安全评估"),
    "pipl_certification": ("Personal information protection certification", "个人信息保护认证"),
    "pipl_exemption": ("Exemption under China's cross-border data rules", "依数据跨境流动规定豁免"),
    "gdpr_scc": ("EU standard contractual clauses", "欧盟标准合同条款"),
    "gdpr_adequacy": ("EU adequacy decision", "欧盟充分性认定"),
    "uk_idta": (
        "UK international data transfer agreement or addendum",
        "英国国际数据传输协议或附录",
    ),
    "contractual_safeguards": ("Equivalent contractual safeguards", "同等合同保护措施"),
}


def pick(pair: Pair, lang: Lang) -> str:
    return pair[0] if lang == "en" else pair[1]


def label(key: str, lang: Lang) -> str:
    return pick(LABELS[key], lang)


def labels(lang: Lang) -> dict[str, str]:
    return {key: pick(pair, lang) for key, pair in LABELS.items()}


def yes_no(value: bool, lang: Lang) -> str:
    return label("yes" if value else "no", lang)


def long_date(day: date, lang: Lang) -> str:
    if lang == "en":
        return f"{day:%B} {day.day}, {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def days(count: int, lang: Lang) -> str:
    if lang == "en":
        return f"{count} day" if count == 1 else f"{count} days"
    return f"{count}天"


def retention(rule: AccountLife | ConsentLife | Fixed | Legal, lang: Lang) -> str:
    match rule:
        case AccountLife(grace_days=grace):
            if lang == "en":
                return f"While your account exists, then {days(grace, lang)}"
            return f"账户存续期间及注销后{grace}天"
        case ConsentLife(grace_days=grace):
            if lang == "en":
                return f"Until you withdraw consent, then {days(grace, lang)}"
            return f"至您撤回同意后{grace}天"
        case Fixed(days=count):
            if lang == "en":
                return f"{days(count, lang)} from collection"
            return f"自收集之日起{count}天"
        case Legal(years=years, law=law):
            if lang == "en":
                return f"{years} years, as required by {law}"
            return f"依据 {law} 保存{years}年"


def join(items: Iterable[str], lang: Lang) -> str:
    """Join phrases that may contain commas themselves."""
    return ("; " if lang == "en" else "；").join(items)


def series(items: Iterable[str], lang: Lang) -> str:
    """Join short names into a list."""
    return (", " if lang == "en" else "、").join(items)


COUNTRIES: dict[str, Pair] = {
    "CN": ("Mainland China", "中国大陆"),
    "*": ("other countries and regions where needed", "其他确有需要的国家和地区"),
}


def countries(codes: list[str], lang: Lang) -> str:
    return series((pick(COUNTRIES[c], lang) if c in COUNTRIES else c for c in codes), lang)


def sentence(key: str, lang: Lang, **values: object) -> str:
    return pick(SENTENCES[key], lang).format(**values)


SENTENCES: dict[str, Pair] = {
    "data_rights_sla": (
        "Data rights requests: answered within {days} {counting} days.",
        "数据权利请求：{days}个{counting}日内答复。",
    ),
    "inquiry_sla": (
        "General inquiries: answered within {min_days} to {max_days} {counting} days.",
        "一般咨询：{min_days}至{max_days}个{counting}日内答复。",
    ),
    "minimum_age": (
        "Minimum age: {age}, or the higher age that local law sets.",
        "最低年龄：{age}周岁；当地法律规定更高年龄的，从其规定。",
    ),
    "account_deletion": (
        "Delete your account and its data at {url}.",
        "您可以在 {url} 删除账户及其数据。",
    ),
    "age_signals": (
        "Age Signals API adaptation applies from {date}.",
        "自{date}起适配 Age Signals API。",
    ),
    "breach_clock": (
        "Regulator reporting deadline where the GDPR applies: {hours} hours.",
        "适用 GDPR 时向监管机构报告的时限：{hours}小时。",
    ),
    "version_line": ("Version {label}", "版本 {label}"),
}

COUNTING: dict[str, Pair] = {"calendar": ("calendar", "自然"), "business": ("business", "工作")}


def counting(kind: str, lang: Lang) -> str:
    return pick(COUNTING[kind], lang)


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("privacyops.policy", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
