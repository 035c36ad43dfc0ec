"""The headless Chromium fixture of the preview page's tests, shared."""

from tests.deliver.test_preview_browser import browser

__all__ = ["browser"]
