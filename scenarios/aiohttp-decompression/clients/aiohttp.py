"""aiohttp decompression (GHSA-6mq8-rvhq-8wgg, CVE-2025-69223; #11898 in 3.13.3, #11966 in 3.14.0).

Case ``bomb``: one gzip bomb (512 MiB of zeros, about 530 KB on the wire) read the way a careful streaming
caller reads an untrusted body: ``resp.content.read(64 KiB)`` until ``prefixBytes`` (1 MiB), then the response
is closed with the rest unread. The step records what came out, and the memory high-water mark right after
(the contract records start_rss_kib / peak_rss_kib around the whole case).

Case ``valid-payload``: 40 MiB of zeros, gzip (40 KiB on the wire: it arrives in one network read), read whole
with ``resp.content.iter_chunked(64 KiB)`` with Content-Length framing and with chunked framing; the length and
sha256 of what came out. The reference is the same body read with the standard library alone (http.client,
zlib), never with aiohttp.
"""
import hashlib

import regress_core
import regress_aiohttp as ra

KiB = 1024
MiB = 1024 * KiB


def high_water_kib():
    return regress_core._rss_high_water()[0]


def with_step(url, step):
    """The URL with step=<name>, by which the judge finds the server's record of it."""
    return "%s%sstep=%s" % (url, "&" if "?" in url else "?", step)


async def bomb(ctx):
    data = ctx.input
    session = ctx.api.session(connector=ctx.api.connector(force_close=True), timeout=ctx.api.timeout(total=45))
    async with ctx.closing(session):
        started = ctx.clock()
        decoded = reads = largest = 0
        zeros = True
        status = None
        try:
            async with session.get(with_step(data["bombUrl"], "bomb")) as response:
                status = response.status
                while decoded < data["prefixBytes"]:
                    chunk = await response.content.read(64 * KiB)
                    if not chunk:
                        break
                    decoded += len(chunk)
                    reads += 1
                    largest = max(largest, len(chunk))
                    zeros = zeros and chunk.count(0) == len(chunk)
                chunk = None
                # Leaving the block releases the response with the rest of the body unread (the connector
                # closes the connection: force_close).
        except Exception as exc:  # the behaviour under test (MemoryError, a decompression limit): record it
            ctx.record_error("bomb", started, exc, decoded_bytes=decoded, hwm_kib=high_water_kib())
            return
        ctx.record("bomb", started, ok=True, status=status, decoded_bytes=decoded, chunks=reads, largest_chunk=largest, all_zeros=zeros, hwm_kib=high_water_kib())


async def valid_payload(ctx):
    data = ctx.input
    ctx.gzip_reference("reference", with_step(data["validUrls"]["length"], "reference"))
    session = ctx.api.session(timeout=ctx.api.timeout(total=30))
    async with ctx.closing(session):
        for framing in ("length", "chunked"):
            name = "valid-" + framing
            started = ctx.clock()
            digest = hashlib.sha256()
            decoded = chunks = largest = 0
            try:
                async with session.get(with_step(data["validUrls"][framing], name)) as response:
                    status = response.status
                    async for chunk in response.content.iter_chunked(64 * KiB):
                        digest.update(chunk)
                        decoded += len(chunk)
                        chunks += 1
                        largest = max(largest, len(chunk))
            except Exception as exc:  # a guard that refuses real data: the failure this case looks for
                ctx.record_error(name, started, exc, decoded_bytes=decoded)
                continue
            ctx.record(name, started, ok=True, status=status, framing=framing, decoded_bytes=decoded, chunks=chunks, largest_chunk=largest, sha256=digest.hexdigest(), hwm_kib=high_water_kib())


CASES = {"bomb": bomb, "valid-payload": valid_payload}


async def scenario(ctx):
    case = ctx.input["case"]
    if case not in CASES:
        raise RuntimeError("unknown case %r" % case)
    await CASES[case](ctx)


ra.main(scenario)
