"""Rebuild a wheel with exact-text edits and a local version: the sentinel builds (harness/sentinels/).

Reads one JSON object on stdin:
  {"wheel": "/path/httpx-0.28.1-py3-none-any.whl", "outDir": "/dir", "local": "sentinel.closeleak",
   "edits": [{"file": "httpx/_client.py", "find": "...", "replace": "..."}]}
and prints one JSON line:
  {"wheel": "/dir/httpx-0.28.1+sentinel.closeleak-py3-none-any.whl", "version": "0.28.1+sentinel.closeleak"}
or, when an edit's text is not in the release exactly once (the sentinel is stale for it):
  {"stale": [{"file": "...", "matches": 0, "find": "first line of the text"}]}
and writes nothing.

Standard library only, so it runs on the interpreter the environments are built from without installing
anything. It does what `wheel unpack` + `wheel pack` do, plus the renaming `wheel pack` leaves to the
caller: the version in METADATA and in the .dist-info directory name, and the file name. RECORD is
regenerated from the bytes written; signature files (RECORD.jws, RECORD.p7s) are dropped because the
edits invalidate them. Entries keep the original order, modes and timestamps, so a rebuild with no edits
differs from the original only in its version.
"""
import base64
import hashlib
import json
import os
import re
import sys
import tempfile
import zipfile

# PEP 427: {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl
WHEEL_NAME = re.compile(r"^(?P<dist>[^-]+)-(?P<version>[^-]+)(?P<rest>(-\d[^-]*)?-[^-]+-[^-]+-[^-]+)\.whl$")
LOCAL = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def telling_line(find, text):
    """The line of the text looked for that says most about why it is gone: the first one the file lacks."""
    lines = [line.strip() for line in find.splitlines() if line.strip()]
    missing = [line for line in lines if line not in text]
    return (missing or lines or [""])[0]


def rebuild(request):
    source = request["wheel"]
    local = request["local"]
    if not LOCAL.match(local):
        raise ValueError("local version label %r is not PEP 440 (lowercase letters, digits, dots)" % local)
    name = WHEEL_NAME.match(os.path.basename(source))
    if not name:
        raise ValueError("%s is not a wheel file name" % os.path.basename(source))
    dist, version = name.group("dist"), name.group("version")
    if "+" in version:
        raise ValueError("%s already has a local version" % os.path.basename(source))
    new_version = "%s+%s" % (version, local)
    old_info = "%s-%s.dist-info/" % (dist, version)
    new_info = "%s-%s.dist-info/" % (dist, new_version)

    with zipfile.ZipFile(source) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist() if not info.is_dir()]
    contents = {info.filename: data for info, data in entries}

    stale = []
    for edit in request["edits"]:
        data = contents.get(edit["file"])
        text = data.decode("utf-8") if data is not None else ""
        matches = text.count(edit["find"]) if data is not None else 0
        if matches != 1:
            stale.append({"file": edit["file"], "matches": matches, "missingFile": data is None,
                          "find": telling_line(edit["find"], text)})
            continue
        contents[edit["file"]] = text.replace(edit["find"], edit["replace"]).encode("utf-8")
    if stale:
        return {"stale": stale}

    out_entries = []
    for info, _ in entries:
        filename = info.filename
        if not filename.startswith(old_info):
            if ".dist-info/" in filename:
                raise ValueError("%s has an unexpected dist-info entry %s" % (os.path.basename(source), filename))
            out_entries.append((filename, info, contents[filename]))
            continue
        tail = filename[len(old_info):]
        if tail in ("RECORD", "RECORD.jws", "RECORD.p7s"):
            continue
        data = contents[filename]
        if tail == "METADATA":
            data, count = re.subn(rb"(?m)^Version: .*$", ("Version: %s" % new_version).encode("ascii"), data, count=1)
            if count != 1:
                raise ValueError("METADATA of %s has no Version line" % os.path.basename(source))
        out_entries.append((new_info + tail, info, data))
    if not any(f == new_info + "METADATA" for f, _, _ in out_entries):
        raise ValueError("%s has no %sMETADATA" % (os.path.basename(source), old_info))

    record_lines = ["%s,%s,%d" % (f, record_hash(data), len(data)) for f, _, data in out_entries]
    record_name = new_info + "RECORD"
    record_lines.append("%s,," % record_name)
    record = ("\n".join(record_lines) + "\n").encode("utf-8")

    target_name = "%s-%s%s.whl" % (dist, new_version, name.group("rest"))
    out_dir = request["outDir"]
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".rebuild-", suffix=".whl")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zout:
            for filename, info, data in out_entries:
                zout.writestr(clone(info, filename), data)
            zout.writestr(clone(entries[-1][0], record_name, mode=0o644), record)
        target = os.path.join(out_dir, target_name)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return {"wheel": target, "version": new_version}


def clone(info, filename, mode=None):
    copy = zipfile.ZipInfo(filename, date_time=info.date_time)
    copy.compress_type = zipfile.ZIP_DEFLATED
    copy.external_attr = ((mode << 16) if mode is not None else info.external_attr)
    copy.create_system = info.create_system
    return copy


def main():
    try:
        result = rebuild(json.load(sys.stdin))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        result = {"error": "%s: %s" % (type(exc).__name__, exc)}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
