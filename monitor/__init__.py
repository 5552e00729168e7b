"""ASN neutrality monitor: find partisan social-media activity of registered civil servants.

The public surface is small on purpose; see ``docs/architecture.md`` for how a post flows
through collector -> rules -> identity -> scorer -> store.
"""

__version__ = "0.1.0"
