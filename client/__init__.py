"""The Python client of Media Day Live: `MediaDayClient` (connection, mirror, requests),
the `mediaday` CLI (`client.cli`) and, in `client/web/`, the kiosk and crew pages."""

import logging

# A library logs, the application decides where it goes: without this, Python's last-resort
# handler would print warnings ("no pong ...") across the CLI's live dashboard.
logging.getLogger(__name__).addHandler(logging.NullHandler())
