# The firmware's own version: the one place it is set (Makefile, release and
# fleet tools read it from here).
VERSION = "0.1.0"
