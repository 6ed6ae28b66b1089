"""Command line: `python -m mdns COMMAND ...`. Each command lives in its own module
with `add_arguments(parser)` and `run(args) -> int` (exit status)."""
import argparse
import importlib
import sys

# command -> (module under mdns.host, one-line help)
COMMANDS = {
    "advertise": ("cmd_advertise", "claim a hostname and advertise services until interrupted"),
    "browse": ("cmd_browse", "browse a DNS-SD service type (like avahi-browse -r)"),
    "resolve": ("cmd_resolve", "resolve NAME.local to addresses, or an address to its name"),
    "services": ("cmd_services", "list the service types on the network"),
    "fleet": ("fleet_cli", "list a fleet of devices and upgrade it over the air"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mdns", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    mods = {}
    for name in COMMANDS:
        modname, help_ = COMMANDS[name]
        try:
            mod = importlib.import_module("mdns.host." + modname)
        except ImportError as e:
            if getattr(e, "name", None) != "mdns.host." + modname:
                raise
            continue  # command not built yet
        p = sub.add_parser(name, help=help_, description=help_)
        mod.add_arguments(p)
        mods[name] = mod
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        rc = mods[args.command].run(args)
    except KeyboardInterrupt:
        rc = 130
    sys.exit(rc or 0)
