"""`python -m mdns services [--timeout S] [--json]`: the service types on the link
(a query for _services._dns-sd._udp.local, RFC 6763 s9), one per line."""
import json
import sys

from mdns.host import cmd_browse


def add_arguments(p):
    cmd_browse.add_common(p, 3.0)


def run(args):
    from mdns import resolve

    d = cmd_browse.open_checked(args, None)
    try:
        types = resolve.service_types(int(args.timeout * 1000), d)
    finally:
        d.flush()
        d.net.close()
    if args.json:
        print(json.dumps(types))
    else:
        for t in types:
            print(t)
    return 0
