"""Messages the code chooses by key at run time: states, error codes, the home page's cards.

Pages show ``t[key]``; the English text is the catalogue's message id, translated on display.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from privacyops.web.i18n import N_, translations

KEYED: dict[str, str] = {
    "center.policy": N_("Privacy policy"),
    "center.policy.text": N_("What we collect, why, for how long, and who receives it."),
    "center.cookies": N_("Cookie preferences"),
    "center.cookies.text": N_("Choose which optional cookies this site may use."),
    "center.rights": N_("Your rights"),
    "center.rights.text": N_(
        "Access, correction, deletion, restriction, portability, withdrawal of consent, objection "
        "and complaint. We answer data-rights requests within 30 days and general inquiries within"
        " 5-7 business days."
    ),
    "center.delete": N_("Delete my account"),
    "center.delete.text": N_("Start a verified deletion of your account, without the app."),
    "center.notices": N_("Notices"),
    "center.notices.text": N_("Security incident notices and updates of this policy."),
    "forms.error.required": N_("Please fill in this field."),
    "forms.error.invalid": N_("Please check this field."),
    "forms.error.email": N_("Please enter a valid e-mail address, like name@example.com."),
    "forms.error.phone": N_("Please enter a valid phone number, like +86 138 0000 0000."),
    "forms.error.country": N_("Please choose a country or region from the list."),
    "forms.error.contact_needed": N_("Please give an e-mail address or a phone number."),
    "forms.error.conflict": N_(
        "We could not match these details to one person. Please write to us by e-mail."
    ),
    "forms.error.expired": N_(
        "This form expired or was sent from elsewhere. Please send it again."
    ),
    "forms.error.too_many": N_("Too many messages from your network. Please try again later."),
    "notices.breach": N_("Security incident"),
    "notices.policy": N_("Policy update"),
    "policy.change.major": N_("major change"),
    "policy.change.minor": N_("minor change"),
    "request.message.received": N_(
        "We received your request. We sent the details to your e-mail address."
    ),
    "request.message.verified": N_("Thank you: your identity is confirmed."),
    "request.message.sent": N_("A new code is on its way."),
    "request.state.pending_verification": N_("Waiting for you to confirm your identity"),
    "request.state.verified": N_("Identity confirmed: we are handling it"),
    "request.state.in_progress": N_("Being carried out"),
    "request.state.completed": N_("Completed"),
    "request.state.denied": N_("Declined"),
    "request.state.expired": N_("Closed: not confirmed in time"),
    "request.error.generic": N_("We could not accept this. Please check the form and try again."),
    "request.error.code": N_("That code is not right. Please check it and try again."),
    "request.error.code_expired": N_("This code has expired. Ask for a new one below."),
    "request.error.too_many": N_("Too many tries. Please wait an hour and try again."),
    "request.error.email": N_("Please give a valid e-mail address."),
    "request.error.phone": N_("Please give a valid phone number, or an e-mail address."),
    "request.error.country": N_("Please choose a valid country or region, and a valid state code."),
    "request.error.second": N_(
        "The code was right, but the second identifier does not match what we hold. Ask for a new "
        "code and try again."
    ),
    "request.error.details": N_("The details are too long (at most 5,000 characters)."),
    "request.error.link": N_("This link is not valid."),
    "request.link.gone": N_(
        "This download link has expired or the data no longer exists. Make a new request to get a "
        "fresh copy."
    ),
}


class Keyed(Mapping[str, str]):
    """``t[key]`` in templates: the translated text of a keyed message."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        return translations(self.lang).gettext(KEYED[key])

    def __iter__(self) -> Iterator[str]:
        return iter(KEYED)

    def __len__(self) -> int:
        return len(KEYED)


def keyed(lang: str) -> Keyed:
    return Keyed(lang)
