# `python -m mdns ...`: host tools (not frozen into the firmware).
from .host.cli import main

main()
