"""Command line: `python -m mdns COMMAND ...`. Each command lives in its own module
with `add_arguments(parser)` and `run(args) -> int` (exit status).

Exit status, every command: 2 bad input or usage, 1 runtime failure, 0 success, 130 Ctrl-C.
A command raises UsageError for bad input (one line, exit 2); an OSError that reaches here
is a runtime failure (one line, exit 1)."""
import argparse
import importlib
import math
import sys

# command -> (module under mdns.host, one-line help)
COMMANDS = {
    "advertise": ("cmd_advertise", "claim a hostname and advertise services until interrupted"),
    "browse": ("cmd_browse", "browse a DNS-SD service type (like avahi-browse -r)"),
    "resolve": ("cmd_resolve", "resolve NAME.local to addresses, or an address to its name"),
    "services": ("cmd_services", "list the service types on the network"),
    "fleet": ("fleet_cli", "list a fleet of devices and upgrade it over the air"),
}
EXIT_RULE = "exit status: 2 bad input or usage, 1 runtime failure, 0 success, 130 Ctrl-C"


class UsageError(ValueError):
    """Bad input from the command line: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # one line, not argparse's usage block (--help has it)
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))

    def _parse_optional(self, arg):
        # -4/-6 are options, so argparse would take any -N (a port, a timeout) for one too
        if arg[:1] == "-" and arg[1:].replace(".", "", 1).isdigit() and arg not in self._option_string_actions:
            return None
        return super()._parse_optional(arg)


def seconds(s):
    """argparse type: a duration in seconds, finite and >= 0."""
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % s)
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError("%r: seconds must be 0 or more" % s)
    return v


def port(s):
    """argparse type (and parse_service's check): a port number, 0-65535."""
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError("port %r is not a number" % s)
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError("port: %d out of range 0-65535" % v)
    return v


def main(argv=None):
    parser = Parser(prog="python -m mdns", description=__doc__.split("\n")[0], epilog=EXIT_RULE)
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
        p = sub.add_parser(name, help=help_, description=help_, epilog=EXIT_RULE)
        mod.add_arguments(p)
        mods[name] = mod
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("a COMMAND is required: " + ", ".join(mods))
    prog = "%s %s" % (parser.prog, args.command)
    try:
        rc = mods[args.command].run(args)
    except KeyboardInterrupt:
        rc = 130
    except UsageError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        rc = 2
    except OSError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        rc = 1
    sys.exit(rc or 0)
