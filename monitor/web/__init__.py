"""The watcher web application: server-rendered pages mounted on the service's aiohttp app.

Nothing outside ``monitor.web`` imports it. Pages are registered like plugins: each module in
``monitor.web.pages`` has a ``setup(app)`` that adds its routes (see :data:`PAGES`).
"""
