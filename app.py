"""Handoff: the entry point. The frame (sign-in, the database check, navigation, the shared
filters) and then the page the URL asks for; handoff/site.py lists the pages."""

from handoff import ui

ui.app_frame().run()
