# The package's public names, loaded on first use, inside real MicroPython.
import sys

from mpytest import eq, raises


def test_lazy_names_load_only_their_module():
    import mdns

    assert "mdns.browser" not in sys.modules
    t = mdns.tcp("http", "printer")
    eq(str(t), "_http._tcp,_printer")
    assert "mdns.servicetype" in sys.modules
    assert "mdns.browser" not in sys.modules, "tcp() must not pull in the browser"
    assert mdns.Responder.__name__ == "Responder"
    assert mdns.Browser.__name__ == "Browser"


def test_unknown_name_is_attribute_error():
    import mdns

    raises(AttributeError, getattr, mdns, "no_such_name")


def test_version():
    import mdns
    from mdns import version

    eq(mdns.__version__, version.VERSION)


def test_dir_of_package_does_not_raise():
    # MicroPython's dir(module) probes names through the module's __getattr__.
    import mdns

    d = dir(mdns)
    assert "__version__" in d
