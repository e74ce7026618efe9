"""notify domain: outbound e-mail and in-app messages to people, in English and Chinese.

Module map:

- ``service``: the API the other domains call (queue, status, requeue, forget a
  subject), re-exporting ``delivery``, ``suppression`` and ``inbox``.
- ``delivery``: ``deliver_due``, the crash-safe delivery step, retries and backoff.
- ``suppression``: the bounce list (blind indexes); ``inbox``: the apps' in-app messages.
- ``backends``: ``OutboxBackend`` (.eml files) and ``SmtpBackend``, chosen by
  ``email_backend``.
- ``templates`` and ``templates/``: what each template needs; Jinja2 files per language.
- ``crypto``: sealing of the address and the secret context.
- ``models``, ``schemas``, ``api``, ``errors``: tables, API shapes, routes, refusals.
"""
