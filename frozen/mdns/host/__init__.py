# Host-only code (CLI, fleet host side, device simulator). Not frozen into the firmware.
