# Claim CFG["hostname"] and a test service, keep answering for CFG["hold_s"] seconds (the
# host checks meanwhile), then close: goodbye packets. Heap before and after is reported.
ip = wifi()
h0 = heap()
Responder = api("Responder")
Service = api("Service")
svc = Service(CFG["instance"], CFG["type"], CFG["port"], txt=CFG["txt"])
r = Responder(CFG["hostname"], services=[svc])
t0 = time.ticks_ms()
if not r.wait_claimed(CFG.get("claim_ms", 8000)):
    raise OSError("responder: %s not claimed in time" % CFG["hostname"])
report("ready", ip=ip, hostname=r.hostname, instance=svc.instance, claim_ms=time.ticks_diff(time.ticks_ms(), t0),
       heap_free_before=h0, heap_free_running=heap())
end = time.ticks_add(time.ticks_ms(), CFG["hold_s"] * 1000)
while time.ticks_diff(end, time.ticks_ms()) > 0:
    t = r.next_timeout_ms()
    left = time.ticks_diff(end, time.ticks_ms())
    r.poll(left if t < 0 else min(t, left))
r.close()
report("done", heap_free_before=h0, heap_free_after=heap())
