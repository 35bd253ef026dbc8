"""The urllib3 decompression advisories seen through requests (GHSA-2xpw-w6gg-jr37, GHSA-gm62-xv2j-4w53):
requests decodes nothing itself, its ``iter_content(n)`` is urllib3's ``stream(n, decode_content=True)``
and ``.content`` joins ``iter_content`` chunks, so the verdict follows the urllib3 it is installed with.
The same steps as clients/urllib3.py, in requests' words:

  ``stream-64k`` / ``stream-16k``  ``iter_content(64 KiB / 16 KiB)`` until 1 MiB of decoded data, then close;
  ``read-1m``                      one ``response.raw.read(1 MiB, decode_content=True)``, then close;
  ``chain-N``                      a plain ``session.get`` (the body read into ``.content``);
  ``valid-length`` / ``valid-chunked``  ``iter_content(64 KiB)`` over a valid 40 MiB gzip payload.

requests has no ``drain_conn()`` of its own (``Response.close()`` closes the raw response), so the
drain-after-partial-read case is not applicable to it.
"""
import hashlib
import json
import time

import regress_core
import regress_requests as rr

KiB = 1024
MiB = 1024 * KiB

# Step name -> (how, chunk size), as clients/urllib3.py's BOMB_READS.
BOMB_READS = {
    "stream-64k": ("stream", 64 * KiB),
    "stream-16k": ("stream", 16 * KiB),
    "read-1m": ("read", MiB),
}


def high_water_kib():
    """The process's memory high-water mark (the contract's own reading, the one behind peak_rss_kib)."""
    return regress_core._rss_high_water()[0]


def with_step(url, step):
    """The URL with a step=<name> query parameter, by which the judge finds the server's record of it."""
    return "%s%sstep=%s" % (url, "&" if "?" in url else "?", step)


def read_bomb(ctx, session, name, url):
    how, amount = BOMB_READS[name]
    started = ctx.clock()
    cpu = time.process_time()
    response = None
    decoded = chunks = largest = 0
    zeros = True
    try:
        response = session.get(with_step(url, name), stream=True, timeout=(10, 30))
        if how == "stream":
            for chunk in response.iter_content(amount):
                decoded += len(chunk)
                chunks += 1
                largest = max(largest, len(chunk))
                zeros = zeros and chunk.count(0) == len(chunk)
                if decoded >= MiB:
                    break
        else:
            # requests' documented raw access (Response.raw, "Raw Response Content"): one read of the
            # urllib3 response, whatever the framing (iter_content on a chunked body reads chunk by chunk).
            chunk = response.raw.read(amount, decode_content=True)
            decoded, chunks, largest = len(chunk), 1, len(chunk)
            zeros = chunk.count(0) == len(chunk)
        chunk = None  # the bytes go now, before the next step's reading
    except Exception as exc:  # the behaviour under test (MemoryError included): record it
        ctx.record_error(name, started, exc, decoded_bytes=decoded, hwm_kib=high_water_kib(), cpu_s=round(time.process_time() - cpu, 3))
    else:
        ctx.record(
            name,
            started,
            ok=True,
            status=response.status_code,
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
    data = ctx.input
    if any(name not in BOMB_READS for name in data["bombReads"]):
        reason = "requests has no drain_conn() of its own: Response.close() closes the raw response unread"
        # The evidence keeps what the API lacks, then the case is not-applicable.
        ctx.record("configure", ctx.clock(), ok=False, unsupported=reason)
        raise rr.NotApplicable(reason)
    session = ctx.api.session(adapter=ctx.api.adapter(max_retries=0))
    with ctx.closing(session):
        for name in data["bombReads"]:
            read_bomb(ctx, session, name, data["bombUrl"])


def encoding_chain(ctx):
    data = ctx.input
    session = ctx.api.session(adapter=ctx.api.adapter(max_retries=0))
    with ctx.closing(session):
        for depth in data["depths"]:
            name = "chain-%d" % depth
            url = with_step("%s&depth=%d" % (data["chainUrl"], depth), name)
            started = ctx.clock()
            cpu = time.process_time()
            try:
                response = session.get(url, timeout=(10, 30))
                body = response.content
            except Exception as exc:  # the fix: ContentDecodingError over urllib3's DecodeError naming the chain
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
                status=response.status_code,
                depth=depth,
                links=len([c for c in (response.headers.get("content-encoding") or "").split(",") if c.strip()]),
                decoded_bytes=len(body),
                decoded_depth=payload.get("depth") if isinstance(payload, dict) else None,
                body_head=body[:60].decode("latin-1"),
                cpu_s=round(time.process_time() - cpu, 3),
            )




def valid_payload(ctx):
    data = ctx.input
    ctx.gzip_reference("reference", with_step(data["validUrls"]["length"], "reference"))
    session = ctx.api.session(adapter=ctx.api.adapter(max_retries=0))
    with ctx.closing(session):
        for framing in ("length", "chunked"):
            name = "valid-" + framing
            started = ctx.clock()
            digest = hashlib.sha256()
            decoded = chunks = largest = 0
            try:
                response = session.get(with_step(data["validUrls"][framing], name), stream=True, timeout=(10, 30))
                for chunk in response.iter_content(64 * KiB):
                    digest.update(chunk)
                    decoded += len(chunk)
                    chunks += 1
                    largest = max(largest, len(chunk))
                response.close()
            except Exception as exc:  # a guard that refuses real data: the failure this case looks for
                ctx.record_error(name, started, exc, decoded_bytes=decoded)
                continue
            ctx.record(
                name,
                started,
                ok=True,
                status=response.status_code,
                framing=framing,
                decoded_bytes=decoded,
                chunks=chunks,
                largest_chunk=largest,
                sha256=digest.hexdigest(),
                hwm_kib=high_water_kib(),
            )


rr.main(lambda ctx: {"encoding-chain": encoding_chain, "valid-payload": valid_payload}.get(ctx.input["case"], bomb_reads)(ctx))
