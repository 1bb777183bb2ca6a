"""Handoff: one set of numbers for sales and marketing.

The library behind the dashboard, the command line and the tests. Nothing here imports
Streamlit except `handoff.ui`.
"""

from handoff.errors import HandoffError

__all__ = ["HandoffError"]
__version__ = "0.1.0"
