#!/usr/bin/env python3
"""An independent reader of liblts request bodies: its own LZ4 block decompressor and its
own protobuf wire-format parser, sharing no code with liblts or lts-local.

Usage: independent_decoder.py CAPTURE_DIR  -> prints a JSON list of decoded logs.
Each N.bin is a body as sent; N.json names its compress type and raw size.
"""
import json
import os
import struct
import sys


def lz4_block_decompress(src, raw_size):
    out = bytearray()
    i = 0
    while i < len(src):
        token = src[i]
        i += 1
        lit = token >> 4
        if lit == 15:
            while True:
                b = src[i]
                i += 1
                lit += b
                if b != 255:
                    break
        out += src[i:i + lit]
        i += lit
        if i >= len(src):
            break  # the last sequence has literals only
        offset = src[i] | (src[i + 1] << 8)
        i += 2
        if offset == 0 or offset > len(out):
            raise ValueError("bad lz4 offset")
        match = token & 15
        if match == 15:
            while True:
                b = src[i]
                i += 1
                match += b
                if b != 255:
                    break
        match += 4
        start = len(out) - offset
        for k in range(match):  # may overlap its own output
            out.append(out[start + k])
    if len(out) != raw_size:
        raise ValueError(f"lz4 gave {len(out)} bytes, header says {raw_size}")
    return bytes(out)


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of one message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v


def any_value(buf):
    for num, wt, v in fields(buf):
        if num == 1 and wt == 2:
            return ["string", v.decode("utf-8")]
        if num == 3 and wt == 0:
            return ["int", v - (1 << 64) if v >= 1 << 63 else v]
        if num == 4 and wt == 1:
            return ["double", struct.unpack("<d", v)[0]]
    raise ValueError("unsupported AnyValue")


def key_value(buf):
    key, value = None, None
    for num, wt, v in fields(buf):
        if num == 1:
            key = v.decode("utf-8")
        elif num == 2:
            value = any_value(v)
    return [key] + value


def decode_logs_data(raw):
    logs = []
    for num, _, resource_logs in fields(raw):
        assert num == 1, "LogsData.resource_logs"
        labels, scopes = [], []
        for rnum, _, rv in fields(resource_logs):
            if rnum == 1:  # Resource
                labels = [key_value(v) for n, _, v in fields(rv) if n == 1]
            elif rnum == 2:  # ScopeLogs
                scopes.append(rv)
        for scope_logs in scopes:
            scope = {}
            records = []
            for snum, _, sv in fields(scope_logs):
                if snum == 1:
                    scope = {("name" if n == 1 else "version"): v.decode() for n, _, v in fields(sv) if n in (1, 2)}
                elif snum == 2:
                    records.append(sv)
            for rec in records:
                log = {"labels": labels, "scope": scope, "contents": []}
                for n, wt, v in fields(rec):
                    if n == 1 and wt == 1:
                        log["time_unix_nano"] = struct.unpack("<Q", v)[0]
                    elif n == 5:
                        log["body"] = any_value(v)
                    elif n == 6:
                        log["contents"].append(key_value(v))
                logs.append(log)
    return logs


def main():
    d = sys.argv[1]
    logs = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        meta = json.load(open(os.path.join(d, name)))
        body = open(os.path.join(d, name[:-5] + ".bin"), "rb").read()
        raw = lz4_block_decompress(body, int(meta["raw_size"])) if meta["compress"] == "lz4" else body
        for log in decode_logs_data(raw):
            log["batch_id"] = meta["batch_id"]
            logs.append(log)
    print(json.dumps(logs))


if __name__ == "__main__":
    main()
