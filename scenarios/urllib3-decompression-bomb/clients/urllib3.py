"""urllib3 decompression bombs: GHSA-2xpw-w6gg-jr37 (CVE-2025-66471, the streaming API inflates far more
than the caller asked for) and GHSA-gm62-xv2j-4w53 (CVE-2025-66418, an unbounded Content-Encoding chain),
fixed in urllib3 2.6.0; and two holes that fix left, in read_chunked() (2.6.2, #3736) and drain_conn()
(GHSA-mf9v-mfxr-j63j, 2.7.0).

Bomb cases: one gzip bomb (zeros that inflate to 512 MiB, about 530 KB on the wire) read the way a careful
streaming caller reads an untrusted body, each read on its own connection (the input's ``bombReads``, by
the step names of BOMB_READS below). Each step records the memory high-water mark (VmHWM) right after it;
it only ever rises, so the smaller reads go first. ``decode_content=True`` is passed on purpose: on a
chunked response urllib3 2.x's ``stream()`` hands ``None`` on to ``read_chunked()``, which then does not
decode at all.

Case ``encoding-chain``: plain requests (the body preloaded, urllib3's default) for a small JSON payload
encoded 2 (the control: RFC 9110 allows a list), 10 and 100 times with gzip; the decoded payload, or the
error and the CPU it took.

Case ``valid-payload``: 40 MiB of text, gzip, read with ``stream(64 KiB, decode_content=True)`` with
Content-Length framing and with chunked framing; the length and sha256 of what came out. The reference is
the same body read with the standard library alone (http.client, zlib), never with urllib3.
"""
import hashlib
import json
import time

import regress_core
import regress_urllib3 as ru

KiB = 1024
MiB = 1024 * KiB


def high_water_kib():
    """The process's memory high-water mark (the contract's own reading, the one behind peak_rss_kib)."""
    return regress_core._rss_high_water()[0]


def with_step(url, step):
    """The URL with a step=<name> query parameter, by which the judge finds the server's record of it."""
    return "%s%sstep=%s" % (url, "&" if "?" in url else "?", step)


# The bounded reads of the bomb, by step name: (how, amount). The judge knows the same names.
BOMB_READS = {
    # stream(amt) until 1 MiB of decoded data: Content-Length bodies go through read(amt), chunked ones
    # through read_chunked(amt). 16 KiB on the chunked body keeps the read short of the body's end however
    # the server sizes its chunks (2.6.0 - 2.6.1 yield at most amt per chunk and inflate the rest at the end).
    "stream-64k": ("stream", 64 * KiB),
    "stream-16k": ("stream", 16 * KiB),
    # One read(1 MiB): more than the whole compressed body, so a release that inflates all it read inflates the bomb.
    "read-1m": ("read", MiB),
    # read(64 KiB), then drain_conn() to put the connection back in reusable shape (GHSA-mf9v-mfxr-j63j).
    "read-64k-drain": ("drain", 64 * KiB),
}


def read_bomb(ctx, manager, name, url):
    """One bounded read of the bomb: how much came out, in how many chunks, all zeros or not, and the
    memory high-water mark right after. The response is then closed (not released to the pool) with most
    of the body unread, as a caller that has what it wanted does."""
    how, amount = BOMB_READS[name]
    timeout = ctx.api.timeout(connect=10, read=30)
    started = ctx.clock()
    cpu = time.process_time()
    response = None
    decoded = chunks = largest = 0
    zeros = True
    try:
        response = manager.request("GET", with_step(url, name), preload_content=False, timeout=timeout)
        if how == "stream":
            for chunk in response.stream(amount, decode_content=True):
                decoded += len(chunk)
                chunks += 1
                largest = max(largest, len(chunk))
                zeros = zeros and chunk.count(0) == len(chunk)
                if decoded >= MiB:
                    break
        else:
            chunk = response.read(amount, decode_content=True)
            decoded, chunks, largest = len(chunk), 1, len(chunk)
            zeros = chunk.count(0) == len(chunk)
            if how == "drain":
                response.drain_conn()
        chunk = None  # the bytes go now, before the next step's reading
    except Exception as exc:  # the behaviour under test (MemoryError included): record it
        ctx.record_error(name, started, exc, decoded_bytes=decoded, hwm_kib=high_water_kib(), cpu_s=round(time.process_time() - cpu, 3))
    else:
        ctx.record(
            name,
            started,
            ok=True,
            status=response.status,
            decoded_bytes=decoded,
            chunks=chunks,
            largest_chunk=largest,
            all_zeros=zeros,
            content_encoding=response.headers.get("content-encoding"),
            hwm_kib=high_water_kib(),
            cpu_s=round(time.process_time() - cpu, 3),
        )
    finally:
        if response is not None:
            closing = ctx.clock()
            try:
                response.close()
            except Exception as exc:
                ctx.record_error(name + "-close", closing, exc)


def bomb_reads(ctx):
    """The case's reads of the bomb in the order the input lists them, each on its own connection."""
    data = ctx.input
    manager = ctx.api.pool_manager(retries=ctx.api.retry(total=0))
    with ctx.closing(manager):
        for name in data["bombReads"]:
            read_bomb(ctx, manager, name, data["bombUrl"])


def encoding_chain(ctx):
    data = ctx.input
    manager = ctx.api.pool_manager(retries=ctx.api.retry(total=0))
    timeout = ctx.api.timeout(connect=10, read=30)
    with ctx.closing(manager):
        for depth in data["depths"]:
            name = "chain-%d" % depth
            url = with_step("%s&depth=%d" % (data["chainUrl"], depth), name)
            started = ctx.clock()
            cpu = time.process_time()
            try:
                response = manager.request("GET", url, timeout=timeout)
                body = response.data
            except Exception as exc:  # the fix: a DecodeError that names the chain
                ctx.record_error(name, started, exc, depth=depth, cpu_s=round(time.process_time() - cpu, 3))
                continue
            try:
                payload = json.loads(body.decode("utf-8"))
            except ValueError:
                payload = None
            ctx.record(
                name,
                started,
                ok=True,
                status=response.status,
                depth=depth,
                links=len([c for c in (response.headers.get("content-encoding") or "").split(",") if c.strip()]),
                decoded_bytes=len(body),
                # The payload names its own depth: equal means every layer was undone.
                decoded_depth=payload.get("depth") if isinstance(payload, dict) else None,
                body_head=body[:60].decode("latin-1"),
                cpu_s=round(time.process_time() - cpu, 3),
            )




def valid_payload(ctx):
    data = ctx.input
    ctx.gzip_reference("reference", with_step(data["validUrls"]["length"], "reference"))
    manager = ctx.api.pool_manager(retries=ctx.api.retry(total=0))
    timeout = ctx.api.timeout(connect=10, read=30)
    with ctx.closing(manager):
        for framing in ("length", "chunked"):
            name = "valid-" + framing
            started = ctx.clock()
            digest = hashlib.sha256()
            decoded = chunks = largest = 0
            try:
                response = manager.request("GET", with_step(data["validUrls"][framing], name), preload_content=False, timeout=timeout)
                for chunk in response.stream(64 * KiB, decode_content=True):
                    digest.update(chunk)
                    decoded += len(chunk)
                    chunks += 1
                    largest = max(largest, len(chunk))
                response.release_conn()
            except Exception as exc:  # a guard that refuses real data: the failure this case looks for
                ctx.record_error(name, started, exc, decoded_bytes=decoded)
                continue
            ctx.record(
                name,
                started,
                ok=True,
                status=response.status,
                framing=framing,
                decoded_bytes=decoded,
                chunks=chunks,
                largest_chunk=largest,
                sha256=digest.hexdigest(),
                hwm_kib=high_water_kib(),
            )


ru.main(lambda ctx: {"encoding-chain": encoding_chain, "valid-payload": valid_payload}.get(ctx.input["case"], bomb_reads)(ctx))
