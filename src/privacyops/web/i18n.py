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
        "contact.title": "Contact us",
        "contact.intro": (
            "Questions about our products, your orders or your personal information: "
            "write to us and we answer within 5-7 business days. For a copy of your data, "
            "a correction or a deletion, use Your rights instead."
        ),
        "contact.form": "Your message",
        "contact.name": "Your name",
        "contact.email": "E-mail address",
        "contact.phone": "Phone number",
        "contact.company": "Company",
        "contact.country": "Country or region",
        "contact.country.none": "Choose…",
        "contact.message": "Message",
        "contact.message.hint": "Please do not include passwords, ID numbers or bank details.",
        "contact.submit": "Send message",
        "contact.sent.title": "Thank you: we received your message",
        "contact.sent.text": (
            "We answer within 5-7 business days at the e-mail address or phone number you gave."
        ),
        "contact.link": "Contact us",
        "contact.link.text": "Questions about products, orders or your information.",
        "cooperation.title": "Key-account cooperation",
        "cooperation.intro": (
            "Utilities, distributors and installers who want to work with us on larger "
            "projects: tell us about your company and what you have in mind, and our "
            "key-account team will contact you."
        ),
        "cooperation.form": "Your cooperation request",
        "cooperation.company_name": "Company name",
        "cooperation.contact_name": "Contact person",
        "cooperation.job_title": "Job title",
        "cooperation.email": "Business e-mail address",
        "cooperation.phone": "Business phone number",
        "cooperation.details": "What would you like to do with us?",
        "cooperation.details.hint": "Products, quantities, time frame, region.",
        "cooperation.retention": (
            "Cooperation records are contract records: we keep them for the period the "
            "law requires (3 years under the PRC Civil Code)."
        ),
        "cooperation.submit": "Send request",
        "cooperation.sent.title": "Thank you: we received your request",
        "cooperation.sent.text": "Our key-account team will contact you within 5-7 business days.",
        "cooperation.link": "Key-account cooperation",
        "cooperation.link.text": "Larger projects with utilities, distributors and installers.",
        "forms.optional": "optional",
        "forms.reach_you": "Give an e-mail address or a phone number (or both) so we can answer.",
        "forms.notice": (
            "We use these details only for: {purpose} ({category}), stored primarily in "
            "mainland China. How long we keep them and your rights are in the privacy policy."
        ),
        "forms.policy_link": "Privacy policy",
        "forms.errors_intro": "Please correct the fields marked below.",
        "forms.back": "Back to the Privacy Center",
        "forms.send_another": "Send another",
        "forms.error.required": "Please fill in this field.",
        "forms.error.too_long": "This is too long (at most {limit} characters).",
        "forms.error.invalid": "Please check this field.",
        "forms.error.email": "Please enter a valid e-mail address, like name@example.com.",
        "forms.error.phone": "Please enter a valid phone number, like +86 138 0000 0000.",
        "forms.error.country": "Please choose a country or region from the list.",
        "forms.error.contact_needed": "Please give an e-mail address or a phone number.",
        "forms.error.conflict": (
            "We could not match these details to one person. Please write to us by e-mail."
        ),
        "forms.error.expired": (
            "This form expired or was sent from elsewhere. Please send it again."
        ),
        "forms.error.too_many": "Too many messages from your network. Please try again later.",
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
        "request.title": "Make a privacy request",
        "request.intro": (
            "Use your rights under our privacy policy. We answer data-rights requests "
            "within 30 days and general inquiries within 5-7 business days. Before we "
            "act, we confirm it is you with a code sent to your e-mail address."
        ),
        "request.form": "Your request",
        "request.type": "What would you like us to do?",
        "request.type.inquiry": "Ask a question",
        "request.type.inquiry.text": "A general question about how we handle your information.",
        "request.contact": "E-mail address or phone number",
        "request.contact.hint": (
            "The one you use with us. We send the code to the e-mail address we have on file."
        ),
        "request.country": "Country or region",
        "request.country.other": "Other / not listed",
        "request.state": "State or province (US, Canada)",
        "request.details": "Details (optional)",
        "request.details.hint": (
            "For a correction, tell us what is wrong and what it should be. Do not "
            "include passwords or ID numbers."
        ),
        "request.submit": "Send my request",
        "request.how": "What happens next",
        "request.how.1": (
            "You get an e-mail with your reference number and a private link to follow the request."
        ),
        "request.how.2": (
            "You confirm it is you with the code we send (opt-outs and complaints need no code)."
        ),
        "request.how.3": "We carry out the request and tell you what we did, what we kept and why.",
        "request.delete.link": "Delete my account instead",
        "request.delete.title": "Delete my account",
        "request.delete.intro": (
            "Ask us to delete your account and the personal information linked to it, "
            "without the app. We first confirm it is you: a code goes to the e-mail "
            "address on your account, and we ask for one more identifier (phone number, "
            "account ID or device serial number)."
        ),
        "request.delete.form": "Start the deletion",
        "request.delete.contact.hint": "The e-mail address or phone number of your account.",
        "request.delete.submit": "Start the deletion",
        "request.delete.what": "What is deleted, and what is kept",
        "request.delete.deleted": (
            "Deleted: your account, profile and contact details, support history, "
            "consent choices' link to you, device links and the device readings linked "
            "to you."
        ),
        "request.delete.kept": (
            "Kept: only records a law requires us to keep (such as contract and invoice "
            "records), for the period the law sets. We tell you what we kept and why."
        ),
        "request.delete.when": "We complete the deletion within 30 days of your request.",
        "request.status.title": "Your request",
        "request.status.private": (
            "Keep this link private: with it anyone can see the status of your request "
            "(never your data)."
        ),
        "request.message.received": (
            "We received your request. We sent the details to your e-mail address."
        ),
        "request.message.verified": "Thank you: your identity is confirmed.",
        "request.message.sent": "A new code is on its way.",
        "request.what": "Request",
        "request.received": "Received",
        "request.due": "We answer by",
        "request.closed": "Closed",
        "request.extension_reason": "Why we need more time",
        "request.state.pending_verification": "Waiting for you to confirm your identity",
        "request.state.verified": "Identity confirmed: we are handling it",
        "request.state.in_progress": "Being carried out",
        "request.state.completed": "Completed",
        "request.state.denied": "Declined",
        "request.state.expired": "Closed: not confirmed in time",
        "request.verify.title": "Confirm it is you",
        "request.verify.text": (
            "We sent a 6-digit code to your e-mail address. It is valid for {minutes} minutes."
        ),
        "request.verify.code": "Code",
        "request.verify.second": "One more identifier we hold for you",
        "request.verify.second.text": (
            "For a copy of your data or a deletion we must be more certain it is you: "
            "also give your phone number, account ID or device serial number."
        ),
        "request.verify.second.phone": "Phone number",
        "request.verify.second.account_id": "Account ID",
        "request.verify.second.device_serial": "Device serial number",
        "request.verify.second.value": "Its value",
        "request.verify.submit": "Confirm",
        "request.verify.resend": "Send a new code",
        "request.verify.awaiting_staff": (
            "Your code was right. We need one more check of your identity: our privacy "
            "team will contact you."
        ),
        "request.working": "We are handling your request and will e-mail you when it is done.",
        "request.outcome": "What we did",
        "request.kept": "What we kept, and why",
        "request.until": "until",
        "request.download_sent": (
            "We sent the download link to your e-mail address. It works for 14 days."
        ),
        "request.denied_reason": "Why we declined your request",
        "request.expired.text": (
            "This request was closed because it was not confirmed in time. Nothing was "
            "done with it. You can make a new request at any time."
        ),
        "request.new": "Make another request",
        "request.error.generic": "We could not accept this. Please check the form and try again.",
        "request.error.code": "That code is not right. Please check it and try again.",
        "request.error.code_expired": "This code has expired. Ask for a new one below.",
        "request.error.too_many": "Too many tries. Please wait an hour and try again.",
        "request.error.email": "Please give a valid e-mail address.",
        "request.error.phone": "Please give a valid phone number, or an e-mail address.",
        "request.error.country": "Please choose a valid country or region, and a valid state code.",
        "request.error.second": (
            "The code was right, but the second identifier does not match what we hold. "
            "Ask for a new code and try again."
        ),
        "request.error.details": "The details are too long (at most 5,000 characters).",
        "request.error.link": "This link is not valid.",
        "request.link.title": "Download your data",
        "request.link.gone": (
            "This download link has expired or the data no longer exists. "
            "Make a new request to get a fresh copy."
        ),
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
        "contact.title": "联系我们",
        "contact.intro": (
            "关于产品、订单或您的个人信息的问题，请给我们留言，我们将在 5-7 个工作日内答复。"
            "如需获取数据副本、更正或删除，请使用“您的权利”页面。"
        ),
        "contact.form": "您的留言",
        "contact.name": "您的姓名",
        "contact.email": "电子邮箱",
        "contact.phone": "电话号码",
        "contact.company": "公司",
        "contact.country": "国家或地区",
        "contact.country.none": "请选择…",
        "contact.message": "留言内容",
        "contact.message.hint": "请勿填写密码、身份证号或银行账户信息。",
        "contact.submit": "发送留言",
        "contact.sent.title": "谢谢，我们已收到您的留言",
        "contact.sent.text": "我们将在 5-7 个工作日内通过您提供的电子邮箱或电话号码答复。",
        "contact.link": "联系我们",
        "contact.link.text": "关于产品、订单或您的个人信息的问题。",
        "cooperation.title": "大客户合作",
        "cooperation.intro": (
            "希望与我们开展较大规模项目合作的电力公司、经销商和安装商："
            "请介绍贵公司及合作设想，我们的大客户团队将与您联系。"
        ),
        "cooperation.form": "您的合作申请",
        "cooperation.company_name": "公司名称",
        "cooperation.contact_name": "联系人",
        "cooperation.job_title": "职务",
        "cooperation.email": "工作电子邮箱",
        "cooperation.phone": "工作电话",
        "cooperation.details": "您希望与我们开展哪些合作？",
        "cooperation.details.hint": "产品、数量、时间安排、地区。",
        "cooperation.retention": (
            "合作记录属于合同记录：我们按法律要求的期限保存（《民法典》规定的 3 年）。"
        ),
        "cooperation.submit": "提交申请",
        "cooperation.sent.title": "谢谢，我们已收到您的申请",
        "cooperation.sent.text": "我们的大客户团队将在 5-7 个工作日内与您联系。",
        "cooperation.link": "大客户合作",
        "cooperation.link.text": "与电力公司、经销商和安装商开展的较大规模项目。",
        "forms.optional": "选填",
        "forms.reach_you": "请填写电子邮箱或电话号码（或两者），以便我们答复。",
        "forms.notice": (
            "这些信息仅用于：{purpose}（{category}），主要存储于中国大陆。"
            "保存期限及您的权利详见隐私政策。"
        ),
        "forms.policy_link": "隐私政策",
        "forms.errors_intro": "请更正下方标出的字段。",
        "forms.back": "返回隐私中心",
        "forms.send_another": "再发送一条",
        "forms.error.required": "请填写此项。",
        "forms.error.too_long": "内容过长（最多 {limit} 个字符）。",
        "forms.error.invalid": "请检查此项。",
        "forms.error.email": "请填写有效的电子邮箱，例如 name@example.com。",
        "forms.error.phone": "请填写有效的电话号码，例如 +86 138 0000 0000。",
        "forms.error.country": "请从列表中选择国家或地区。",
        "forms.error.contact_needed": "请填写电子邮箱或电话号码。",
        "forms.error.conflict": "无法将这些信息对应到同一个人，请通过电子邮件与我们联系。",
        "forms.error.expired": "表单已过期或来自其他网站，请重新提交。",
        "forms.error.too_many": "来自您网络的留言过多，请稍后再试。",
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
        "request.title": "提交隐私请求",
        "request.intro": (
            "依据我们的隐私政策行使您的权利。数据权利请求将在 30 天内答复，一般咨询在 "
            "5-7 个工作日内答复。在处理前，我们会向您的电子邮箱发送验证码以确认是您本人。"
        ),
        "request.form": "您的请求",
        "request.type": "您希望我们做什么？",
        "request.type.inquiry": "咨询问题",
        "request.type.inquiry.text": "关于我们如何处理您信息的一般问题。",
        "request.contact": "电子邮箱或手机号码",
        "request.contact.hint": (
            "请填写您在我们这里使用的邮箱或号码。验证码将发送至我们存档的电子邮箱。"
        ),
        "request.country": "国家或地区",
        "request.country.other": "其他 / 未列出",
        "request.state": "州或省（美国、加拿大）",
        "request.details": "详细说明（可选）",
        "request.details.hint": "如需更正，请说明哪里有误以及正确内容。请勿填写密码或证件号码。",
        "request.submit": "提交请求",
        "request.how": "接下来会发生什么",
        "request.how.1": "您会收到一封电子邮件，其中包含您的请求编号和用于查看进度的专属链接。",
        "request.how.2": "您使用我们发送的验证码确认身份（退出处理和投诉无需验证码）。",
        "request.how.3": "我们执行您的请求，并告知您我们做了什么、保留了什么以及原因。",
        "request.delete.link": "改为注销我的账号",
        "request.delete.title": "注销我的账号",
        "request.delete.intro": (
            "无需使用应用，即可要求我们注销您的账号并删除与之关联的个人信息。"
            "我们会先确认是您本人：验证码将发送至您账号的电子邮箱，"
            "并请您再提供一项身份信息（手机号码、账户 ID 或设备序列号）。"
        ),
        "request.delete.form": "开始注销",
        "request.delete.contact.hint": "您账号的电子邮箱或手机号码。",
        "request.delete.submit": "开始注销",
        "request.delete.what": "删除哪些信息，保留哪些信息",
        "request.delete.deleted": (
            "删除：您的账号、个人资料和联系方式、客服记录、同意记录与您的关联、设备绑定以"
            "及与您关联的设备数据。"
        ),
        "request.delete.kept": (
            "保留：仅保留法律要求我们保存的记录（例如合同和发票记录），保存期限以法律规定"
            "为准。我们会告知您保留了哪些信息以及原因。"
        ),
        "request.delete.when": "我们将在收到您的请求后 30 天内完成注销。",
        "request.status.title": "您的请求",
        "request.status.private": (
            "请妥善保管此链接：任何持有该链接的人都可以查看您请求的状态（但无法查看您的数据）。"
        ),
        "request.message.received": "我们已收到您的请求，并已将详情发送至您的电子邮箱。",
        "request.message.verified": "谢谢，您的身份已验证。",
        "request.message.sent": "新的验证码已发送。",
        "request.what": "请求",
        "request.received": "收到时间",
        "request.due": "答复期限",
        "request.closed": "关闭时间",
        "request.extension_reason": "需要延长时间的原因",
        "request.state.pending_verification": "等待您验证身份",
        "request.state.verified": "身份已验证，正在处理",
        "request.state.in_progress": "正在执行",
        "request.state.completed": "已完成",
        "request.state.denied": "已拒绝",
        "request.state.expired": "已关闭：未在期限内完成验证",
        "request.verify.title": "验证您的身份",
        "request.verify.text": "我们已向您的电子邮箱发送了 6 位验证码，{minutes} 分钟内有效。",
        "request.verify.code": "验证码",
        "request.verify.second": "我们持有的另一项身份信息",
        "request.verify.second.text": (
            "查阅数据副本或删除数据需要更高的确定性：请同时提供您的手机号码、账户 ID 或设备序列号。"
        ),
        "request.verify.second.phone": "手机号码",
        "request.verify.second.account_id": "账户 ID",
        "request.verify.second.device_serial": "设备序列号",
        "request.verify.second.value": "具体内容",
        "request.verify.submit": "确认",
        "request.verify.resend": "重新发送验证码",
        "request.verify.awaiting_staff": (
            "验证码正确。我们还需要再核验一次您的身份，我们的隐私团队将与您联系。"
        ),
        "request.working": "我们正在处理您的请求，完成后将通过电子邮件通知您。",
        "request.outcome": "处理结果",
        "request.kept": "我们保留的信息及原因",
        "request.until": "至",
        "request.download_sent": "我们已将下载链接发送至您的电子邮箱，链接 14 天内有效。",
        "request.denied_reason": "我们拒绝您请求的原因",
        "request.expired.text": (
            "由于未在期限内完成验证，此请求已关闭，我们未对其进行任何处理。您可以随时提交新的请求。"
        ),
        "request.new": "提交新的请求",
        "request.error.generic": "无法受理。请检查表单后重试。",
        "request.error.code": "验证码不正确，请检查后重试。",
        "request.error.code_expired": "验证码已过期，请在下方重新获取。",
        "request.error.too_many": "尝试次数过多，请一小时后再试。",
        "request.error.email": "请填写有效的电子邮箱。",
        "request.error.phone": "请填写有效的手机号码或电子邮箱。",
        "request.error.country": "请选择有效的国家或地区，并填写有效的州代码。",
        "request.error.second": (
            "验证码正确，但第二项身份信息与我们持有的不符。请重新获取验证码后再试。"
        ),
        "request.error.details": "详细说明过长（最多 5000 个字符）。",
        "request.error.link": "此链接无效。",
        "request.link.title": "下载您的数据",
        "request.link.gone": "此下载链接已过期或数据已不存在。请提交新的请求以获取最新副本。",
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
