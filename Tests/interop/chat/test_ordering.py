"""Concurrent sends into one conversation are delivered in seq order, with no gap and no duplicate."""

import threading

from chat_e2e import WAIT

PER_DEVICE = 100


def fire(device, cid, label, acks, errors, done):
    """Emits PER_DEVICE sends back to back without waiting, collecting acks as they come."""
    lock = threading.Lock()

    def on_ack(ack):
        with lock:
            if isinstance(ack, dict) and ack.get("success"):
                acks.append(ack["data"])
            else:
                errors.append(ack)
            if len(acks) + len(errors) == PER_DEVICE:
                done.set()

    for n in range(PER_DEVICE):
        device.client.emit("message:send", {"conversationId": cid, "content": f"{label} {n}", "clientMessageId": f"{label}-{n}"},
                           callback=on_ack)


def test_200_concurrent_sends_from_two_devices_arrive_in_seq_order(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1, a2 = devices.device(alice), devices.device(alice, transports=["polling"])
    b1 = devices.device(bob)

    results = {}
    threads = []
    for device, label in ((a1, "ws"), (a2, "poll")):
        acks, errors, done = [], [], threading.Event()
        results[label] = (acks, errors, done)
        threads.append(threading.Thread(target=fire, args=(device, cid, label, acks, errors, done)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for label, (acks, errors, done) in results.items():
        assert done.wait(WAIT * 6), f"{label}: only {len(acks)} acks"
        assert errors == []

    all_acks = results["ws"][0] + results["poll"][0]
    seqs = sorted(m["seq"] for m in all_acks)
    assert seqs == list(range(1, 2 * PER_DEVICE + 1)), "acked seqs must be 1..200 with no gap or duplicate"

    received = b1.wait_count("message:new", 2 * PER_DEVICE, timeout=WAIT * 6)
    assert [m["seq"] for m in received] == list(range(1, 2 * PER_DEVICE + 1))
    assert {m["id"] for m in received} == {m["id"] for m in all_acks}
    # Each sending device hears the other's messages, also in order, and never its own.
    for device, other in ((a1, "poll"), (a2, "ws")):
        heard = device.wait_count("message:new", PER_DEVICE, timeout=WAIT * 6)
        assert [m["seq"] for m in heard] == sorted(m["seq"] for m in results[other][0])
    # One device's sends are stored in the order it sent them: the server handles a connection's events in order.
    for label in ("ws", "poll"):
        in_send_order = sorted(results[label][0], key=lambda m: int(m["content"].split()[1]))
        seqs_in_send_order = [m["seq"] for m in in_send_order]
        assert seqs_in_send_order == sorted(seqs_in_send_order), f"{label}: sends overtook each other"
    history = server.history(bob, cid, limit=100)
    assert len(history) == 100 and history[-1]["seq"] == 2 * PER_DEVICE


def test_many_conversations_at_once_each_arrive_complete_and_in_order(server, devices):
    """Six conversations, both members of each sending at the same time: no message lost, none out of order."""
    per_sender = 40
    pairs = []
    for n in range(6):
        left, right = server.register(f"left{n}"), server.register(f"right{n}")
        cid = server.direct(left, right)["id"]
        transports = ["polling"] if n % 3 == 0 else ["websocket"]
        pairs.append((cid, devices.device(left, transports=transports), devices.device(right)))

    pending = threading.Semaphore(0)
    errors = []

    def on_ack(ack):
        if not (isinstance(ack, dict) and ack.get("success")):
            errors.append(ack)
        pending.release()

    def fire(device, cid):
        for n in range(per_sender):
            device.client.emit("message:send", {"conversationId": cid, "content": f"m{n}"}, callback=on_ack)

    threads = [threading.Thread(target=fire, args=(device, cid)) for cid, left, right in pairs for device in (left, right)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(len(threads) * per_sender):
        assert pending.acquire(timeout=WAIT * 6), "not every send was acked"
    assert errors == []

    for cid, left, right in pairs:
        for device in (left, right):
            heard = device.wait_count("message:new", per_sender, timeout=WAIT * 3)
            assert all(m["conversationId"] == cid for m in heard)
            seqs = [m["seq"] for m in heard]
            assert seqs == sorted(seqs) and len(set(seqs)) == per_sender
        history = server.history(left.account, cid, limit=100)
        assert [m["seq"] for m in history] == list(range(1, 2 * per_sender + 1))
