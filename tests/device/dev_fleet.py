# Fleet OTA on the board (issue 7): run the fleet agent the way docs/fleet.md's main.py
# does, with the test's public key (CFG["key"], hex; the board's own fleet.pub is left alone) and
# the default fleet.json / fleet.veto. Reports "fleet" (the record's TXT) at start and on
# every change, "ready" once the host name and the record are claimed, and "reset" just
# before the agent resets the board (slots switched, or new firmware not marked valid in
# time: the bootloader then rolls back). The host offers images with `fleet upgrade`.
import binascii
import machine

from mdns import fleet

wdt = fleet.guard(CFG["watchdog_ms"])  # as docs/fleet.md's main.py: before Wi-Fi
ip = wifi()
h0 = heap()
Responder = api("Responder")
r = Responder(CFG["hostname"])


def fleet_reset():
    report("reset", ota=agent.ota, heap_peak=agent.heap_peak, heap_free=heap())
    time.sleep_ms(300)  # let the report leave the UART
    machine.reset()


agent = fleet.advertise(r, key=binascii.unhexlify(CFG["key"]), reset=fleet_reset,
                        watchdog_ms=CFG["watchdog_ms"], wdt=wdt)
last = None
ready = False
end = time.ticks_add(time.ticks_ms(), CFG["run_s"] * 1000)
while time.ticks_diff(end, time.ticks_ms()) > 0:
    t = r.next_timeout_ms()
    r.poll(100 if t < 0 or t > 100 else t)
    agent.tick()
    rec = dict((k, v) for k, v in agent.txt() if k != "progress")
    if rec != last:
        last = rec
        report("fleet", name=agent.offer_instance(), **rec)
    if not ready and r.claimed and agent.service.claimed:
        ready = True
        report("ready", ip=ip, name=agent.offer_instance(), heap_free_before=h0, heap_free_running=heap())
r.close()
report("done", heap_free_after=heap())
