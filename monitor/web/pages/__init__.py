"""Page modules of the web application. Each exposes ``setup(app)``, which adds its routes."""
