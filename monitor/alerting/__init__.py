"""Alerts to the superiors of ASN about alleged violations (pengawasan berjenjang).

Channels (e-mail, Telegram, webhook, plugins) live in :mod:`monitor.alerting.channels`; the
editable Jinja2 templates in ``templates/`` are rendered by :mod:`monitor.alerting.render`.
"""
