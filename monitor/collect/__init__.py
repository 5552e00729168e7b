"""Async collection framework: source plugins, HTTP client with retries, the runner."""
