"""Build the dispatcher from ``[alerts]`` (channels validated at start, secrets from the environment)."""

from __future__ import annotations

from typing import Any

from monitor.alerting.channels import make_channel
from monitor.alerting.dispatcher import Db, Dispatcher
from monitor.config import Config


def make_dispatcher(config: Config, db: Db, **kw: Any) -> Dispatcher:
    channels = {
        name: make_channel(name, block.type, block.options())
        for name, block in config.alerts.channels.items()
        if block.enabled
    }
    alerts = config.alerts
    if alerts.template_dir is not None:
        alerts = alerts.model_copy(update={"template_dir": config.resolve(alerts.template_dir)})
    return Dispatcher(db, alerts, tz=config.office.tz, office_name=config.office.name, channels=channels,
                      lang=config.office.language, **kw)
