"""The two languages a data subject can read: English and Simplified Chinese."""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("en", "zh-CN")
LANG_COOKIE = "po_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "center.title": "Privacy Center",
        "center.intro": (
            "How we handle your personal information, and how to use your rights: "
            "read the policy, set your cookie choices, ask for a copy of your data, "
            "correct it or delete your account."
        ),
        "center.policy": "Privacy policy",
        "center.policy.text": "What we collect, why, for how long, and who receives it.",
        "center.cookies": "Cookie preferences",
        "center.cookies.text": "Choose which optional cookies this site may use.",
        "center.rights": "Your rights",
        "center.rights.text": (
            "Access, correction, deletion, restriction, portability, withdrawal of "
            "consent, objection and complaint. We answer data-rights requests within "
            "30 days and general inquiries within 5-7 business days."
        ),
        "center.delete": "Delete my account",
        "center.delete.text": "Start a verified deletion of your account, without the app.",
        "center.contact": "Contact",
        "center.controller": "Data controller",
        "center.language": "中文",
        "footer.note": "Demo data in this system is synthetic.",
        "policy.history": "Versions",
        "policy.unpublished": "This policy has not been published yet.",
        "policy.change.major": "major change",
        "policy.change.minor": "minor change",
    },
    "zh-CN": {
        "center.title": "隐私中心",
        "center.intro": (
            "我们如何处理您的个人信息，以及您如何行使权利：阅读隐私政策、设置 Cookie 偏好、"
            "获取您的数据副本、更正数据或注销账号。"
        ),
        "center.policy": "隐私政策",
        "center.policy.text": "我们收集哪些信息、为何收集、保存多久以及向谁提供。",
        "center.cookies": "Cookie 偏好设置",
        "center.cookies.text": "选择本网站可以使用哪些非必要 Cookie。",
        "center.rights": "您的权利",
        "center.rights.text": (
            "查阅、更正、删除、限制处理、数据可携带、撤回同意、反对处理及投诉。"
            "数据权利请求将在 30 天内答复，一般咨询在 5-7 个工作日内答复。"
        ),
        "center.delete": "注销我的账号",
        "center.delete.text": "无需应用即可发起经身份验证的账号注销。",
        "center.contact": "联系我们",
        "center.controller": "个人信息处理者",
        "center.language": "English",
        "footer.note": "本系统中的演示数据均为虚构。",
        "policy.history": "历史版本",
        "policy.unpublished": "本政策尚未发布。",
        "policy.change.major": "重大变更",
        "policy.change.minor": "一般变更",
    },
}


def pick_language(request: Request) -> str:
    """The `lang` query parameter, then the cookie, then Accept-Language, then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "zh-CN" if accept.startswith("zh") else "en"


def translator(lang: str) -> dict[str, str]:
    return MESSAGES.get(lang, MESSAGES["en"])
