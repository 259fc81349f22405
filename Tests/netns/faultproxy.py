#!/usr/bin/env python3
"""A fault-injecting TCP proxy for the multi-host tests (Tests/netns/README.md).

Listens on LISTEN (host:port), forwards each connection to TARGET (host:port) and, per
direction, delays every chunk by DELAY ± JITTER ms while keeping byte order, now and then
stalls a direction for STALL ms, and every CUT_MIN..CUT_MAX seconds closes one open
connection at random (both sides). Prints one JSON line of counters on SIGTERM.
"""
import argparse, asyncio, json, random, signal, sys, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--delay-ms", type=float, default=20)
    ap.add_argument("--jitter-ms", type=float, default=5)
    ap.add_argument("--stall-probability", type=float, default=0.002)
    ap.add_argument("--stall-ms", type=float, default=800)
    ap.add_argument("--cut-min", type=float, default=6)
    ap.add_argument("--cut-max", type=float, default=12)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    random.seed(a.seed)
    stats = {"connections": 0, "cuts": 0, "stalls": 0, "chunks": 0, "bytes": 0}
    live = set()

    async def pump(reader, writer, conn):
        queue = asyncio.Queue()
        async def deliver():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            writer.close()
        task = asyncio.create_task(deliver())
        last_due = 0.0
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                delay = max(0.0, random.uniform(a.delay_ms - a.jitter_ms, a.delay_ms + a.jitter_ms)) / 1000
                if random.random() < a.stall_probability:
                    delay += a.stall_ms / 1000
                    stats["stalls"] += 1
                last_due = max(last_due, time.monotonic() + delay)   # order preserved
                stats["chunks"] += 1
                stats["bytes"] += len(data)
                await queue.put((last_due, data))
        except (ConnectionError, OSError):
            pass
        await queue.put((0, None))
        try:
            await task
        except (ConnectionError, OSError):
            pass

    async def handle(creader, cwriter):
        host, port = a.target.rsplit(":", 1)
        try:
            sreader, swriter = await asyncio.open_connection(host, int(port))
        except OSError:
            cwriter.close()
            return
        stats["connections"] += 1
        conn = (cwriter, swriter)
        live.add(conn)
        try:
            await asyncio.gather(pump(creader, swriter, conn), pump(sreader, cwriter, conn))
        finally:
            live.discard(conn)

    async def cutter():
        while True:
            await asyncio.sleep(random.uniform(a.cut_min, a.cut_max))
            if live:
                cw, sw = random.choice(sorted(live, key=id))
                for w in (cw, sw):
                    try:
                        w.transport.abort()
                    except Exception:
                        pass
                stats["cuts"] += 1

    async def run():
        host, port = a.listen.rsplit(":", 1)
        server = await asyncio.start_server(handle, host, int(port))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        asyncio.create_task(cutter())
        print(json.dumps({"ready": True}), flush=True)
        await stop.wait()
        server.close()
        print(json.dumps(stats), flush=True)

    asyncio.run(run())

if __name__ == "__main__":
    main()
