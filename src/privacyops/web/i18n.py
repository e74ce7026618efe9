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
        "center.notices": "Notices",
        "center.notices.text": "Security incident notices and updates of this policy.",
        "center.contact": "Contact",
        "center.controller": "Data controller",
        "center.language": "中文",
        "footer.note": "Demo data in this system is synthetic.",
        "notices.title": "Notices",
        "notices.intro": "Security incident notices and policy updates we published.",
        "notices.none": "No notices have been published.",
        "notices.breach": "Security incident",
        "notices.policy": "Policy update",
        "notices.published": "Published",
        "notices.policy_link": "Read this version of the policy",
        "notices.history": "Earlier versions of the policy are available on request and here",
        "notices.back": "All notices",
        "policy.history": "Versions",
        "policy.unpublished": "This policy has not been published yet.",
        "policy.change.major": "major change",
        "policy.change.minor": "minor change",
        "consent.ui.region": "Cookie consent",
        "consent.ui.title": "Your privacy choices",
        "consent.ui.body": (
            "We use necessary cookies to run this site. With your consent we also use "
            "analytics and functional cookies. Accept or reject them, or choose per "
            "category; you can change your mind at any time."
        ),
        "consent.ui.body_opt_out": (
            "We use necessary cookies to run this site, and analytics and functional "
            "cookies unless you turn them off. Accept or reject them, or choose per "
            "category; you can change your mind at any time."
        ),
        "consent.ui.accept": "Accept all",
        "consent.ui.reject": "Reject all",
        "consent.ui.preferences": "Preferences",
        "consent.ui.save": "Save my choices",
        "consent.ui.close": "Close",
        "consent.ui.dialog": "Cookie preferences",
        "consent.ui.dialog_body": (
            "Choose what you allow. Necessary cookies are always on; switch each of "
            "the others on or off."
        ),
        "consent.ui.always_on": "Always on",
        "consent.ui.cookies": "Cookies",
        "consent.ui.gpc": "Opt-Out Preference Signal Honored",
        "consent.ui.renew": (
            "Our privacy policy changed in a way that affects a choice you made. "
            "Please choose again."
        ),
        "consent.ui.policy": "Privacy policy",
        "consent.ui.saved": "Your choices were saved.",
        "consent.sale_sharing.label": "Sale or sharing of personal information, targeted ads",
        "consent.sale_sharing.description": (
            "We do not sell or share your personal information or use it for targeted "
            "advertising. Your choice is kept and honoured should that ever change."
        ),
        "consent.page.intro": (
            "Choose which optional cookies this site may use. Your choice is stored in a "
            "cookie on this device and recorded as proof, under a random identifier "
            "rather than your name."
        ),
        "consent.page.change": "Change my choices",
        "consent.page.current": "Your choices on this device",
        "consent.page.none": "You have not made a choice on this device yet.",
        "consent.page.receipt": "Download my last consent receipt (JSON)",
        "consent.page.categories": "Cookie categories",
        "consent.page.cookies": "Cookies we use",
        "consent.page.noscript": (
            "Changing your choices here needs JavaScript. You can also block or delete "
            "cookies in your browser settings."
        ),
        "consent.ui.on": "allowed",
        "consent.ui.off": "not allowed",
        "demo.shop.title": "FSTSMART demo shop",
        "demo.shop.intro": (
            "A page of the demo website: it loads the consent banner and an analytics tag "
            "that runs only with your consent."
        ),
        "demo.shop.product": "Smart circuit breaker, 2-pole",
        "demo.shop.product.text": "Measures energy and trips remotely. Demo product, not for sale.",
        "demo.shop.prefs": "Cookie preferences",
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
        "center.notices": "公告",
        "center.notices.text": "安全事件公告和本政策的更新。",
        "center.contact": "联系我们",
        "center.controller": "个人信息处理者",
        "center.language": "English",
        "footer.note": "本系统中的演示数据均为虚构。",
        "notices.title": "公告",
        "notices.intro": "我们发布的安全事件公告和隐私政策更新。",
        "notices.none": "暂无公告。",
        "notices.breach": "安全事件",
        "notices.policy": "政策更新",
        "notices.published": "发布时间",
        "notices.policy_link": "阅读该版本的隐私政策",
        "notices.history": "隐私政策的历史版本可应要求提供，也可在此查阅",
        "notices.back": "全部公告",
        "policy.history": "历史版本",
        "policy.unpublished": "本政策尚未发布。",
        "policy.change.major": "重大变更",
        "policy.change.minor": "一般变更",
        "consent.ui.region": "Cookie 同意",
        "consent.ui.title": "您的隐私选择",
        "consent.ui.body": (
            "我们使用必要 Cookie 维持网站运行。经您同意，我们还会使用分析 Cookie 和功能 Cookie。"
            "您可以全部接受、全部拒绝或按类别选择，并可随时更改。"
        ),
        "consent.ui.body_opt_out": (
            "我们使用必要 Cookie 维持网站运行，并使用分析 Cookie 和功能 Cookie，除非您将其关闭。"
            "您可以全部接受、全部拒绝或按类别选择，并可随时更改。"
        ),
        "consent.ui.accept": "全部接受",
        "consent.ui.reject": "全部拒绝",
        "consent.ui.preferences": "偏好设置",
        "consent.ui.save": "保存我的选择",
        "consent.ui.close": "关闭",
        "consent.ui.dialog": "Cookie 偏好设置",
        "consent.ui.dialog_body": (
            "选择您允许的内容。必要 Cookie 始终开启；其他各项可分别开启或关闭。"
        ),
        "consent.ui.always_on": "始终开启",
        "consent.ui.cookies": "Cookie",
        "consent.ui.gpc": "已遵从退出偏好信号（GPC）",
        "consent.ui.renew": "我们的隐私政策发生了影响您此前选择的变更，请重新选择。",
        "consent.ui.policy": "隐私政策",
        "consent.ui.saved": "您的选择已保存。",
        "consent.sale_sharing.label": "出售或共享个人信息、定向广告",
        "consent.sale_sharing.description": (
            "我们不会出售或共享您的个人信息，也不会将其用于定向广告。"
            "如情况发生变化，我们仍会保留并遵从您的选择。"
        ),
        "consent.page.intro": (
            "选择本网站可以使用哪些非必要 Cookie。您的选择保存在本设备的 Cookie 中，"
            "并以随机标识符（而非您的姓名）记录为凭证。"
        ),
        "consent.page.change": "更改我的选择",
        "consent.page.current": "您在本设备上的选择",
        "consent.page.none": "您尚未在本设备上作出选择。",
        "consent.page.receipt": "下载我最近一次的同意凭证（JSON）",
        "consent.page.categories": "Cookie 类别",
        "consent.page.cookies": "我们使用的 Cookie",
        "consent.page.noscript": (
            "在此更改选择需要启用 JavaScript。您也可以在浏览器设置中阻止或删除 Cookie。"
        ),
        "consent.ui.on": "已允许",
        "consent.ui.off": "未允许",
        "demo.shop.title": "FSTSMART 演示商店",
        "demo.shop.intro": (
            "演示网站的一个页面：它加载 Cookie 同意横幅，以及一个仅在您同意后才运行的分析脚本。"
        ),
        "demo.shop.product": "智能断路器（2 极）",
        "demo.shop.product.text": "可计量电能并远程分闸。演示产品，不对外销售。",
        "demo.shop.prefs": "Cookie 偏好设置",
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
