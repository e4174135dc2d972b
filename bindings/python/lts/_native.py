"""ctypes bindings to liblts: loading, signatures, errors, and the packed item layout.

Nothing here implements the LTS protocol: items are handed to the core, which validates,
encodes and sends them.
"""
import ctypes
import ctypes.util
import os
import struct

ABI_VERSION = 0

c_result = ctypes.c_int32
SEND_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p)
STATS_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class LogException(Exception):
    """An error from liblts: `code` (LTS_ERR_* number), `name`, and the library's message."""

    def __init__(self, code, message, name=None):
        self.code = code
        self.name = name or (_lib.lts_result_name(code).decode() if _lib else str(code))
        self.message = message
        super().__init__(f"{self.name}: {message}")


def _candidates():
    env = os.environ.get("LTS_LIBRARY_PATH")
    if env:
        yield os.path.join(env, "liblts.so") if os.path.isdir(env) else env
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("liblts.so", "liblts.so.0"):
        yield os.path.join(here, name)
    found = ctypes.util.find_library("lts")
    if found:
        yield found
    yield "liblts.so.0"


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        lib.lts_abi_version.restype = ctypes.c_uint32
        if lib.lts_abi_version() != ABI_VERSION:
            errors.append(f"{path}: ABI version {lib.lts_abi_version()}, this package needs {ABI_VERSION}")
            continue
        return lib
    raise ImportError("liblts not found; set LTS_LIBRARY_PATH to liblts.so. Tried:\n  " + "\n  ".join(errors))


_lib = None
_lib = _load()

P = ctypes.c_void_p
S = ctypes.c_char_p
_SIGS = {
    "lts_version": ([], S),
    "lts_result_name": ([c_result], S),
    "lts_last_error_message": ([], S),
    "lts_now_ns": ([], ctypes.c_int64),
    "lts_check_key": ([S, ctypes.c_bool], c_result),
    "lts_client_config_new": ([S, S, S, S, ctypes.POINTER(P)], c_result),
    "lts_client_config_set_request_timeout_ms": ([P, ctypes.c_uint32], c_result),
    "lts_client_config_set_compress_type": ([P, S], c_result),
    "lts_client_config_set_user_agent": ([P, S], c_result),
    "lts_client_config_set_retries": ([P, ctypes.c_uint32], c_result),
    "lts_client_config_add_no_retry_status_code": ([P, ctypes.c_int32], c_result),
    "lts_client_config_set_auth_mode": ([P, ctypes.c_uint32], c_result),
    "lts_client_config_set_profile": ([P, S, S], c_result),
    "lts_client_config_set": ([P, S, S], c_result),
    "lts_client_config_get": ([P, S], ctypes.c_void_p),
    "lts_producer_config_set": ([P, S, S], c_result),
    "lts_producer_config_get": ([P, S], ctypes.c_void_p),
    "lts_producer_config_set_stats_callback": ([P, STATS_CALLBACK, ctypes.c_void_p], c_result),
    "lts_config_schema": ([], S),
    "lts_string_free": ([ctypes.c_void_p], None),
    "lts_producer_stats_json": ([P], ctypes.c_void_p),
    "lts_set_log_callback": ([LOG_CALLBACK, ctypes.c_void_p], None),
    "lts_set_log_level": ([ctypes.c_int32], None),
    "lts_client_config_free": ([P], None),
    "lts_client_new": ([P, ctypes.POINTER(P)], c_result),
    "lts_client_free": ([P], None),
    "lts_put_logs_packed": ([P, S, S, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.POINTER(P)], c_result),
    "lts_response_status_code": ([P], ctypes.c_int32),
    "lts_response_message": ([P], S),
    "lts_response_error": ([P], S),
    "lts_response_free": ([P], None),
    "lts_producer_config_new": ([ctypes.POINTER(P)], c_result),
    "lts_producer_config_set_batch_size_bytes": ([P, ctypes.c_size_t], c_result),
    "lts_producer_config_set_batch_count": ([P, ctypes.c_uint32], c_result),
    "lts_producer_config_set_linger_ms": ([P, ctypes.c_uint32], c_result),
    "lts_producer_config_set_worker_count": ([P, ctypes.c_uint32], c_result),
    "lts_producer_config_set_buffer_bytes": ([P, ctypes.c_size_t], c_result),
    "lts_producer_config_set_max_block_ms": ([P, ctypes.c_uint32], c_result),
    "lts_producer_config_set_callback_mode": ([P, ctypes.c_uint32], c_result),
    "lts_producer_config_free": ([P], None),
    "lts_producer_new": ([P, ctypes.POINTER(P)], c_result),
    "lts_producer_add_client": ([P, P], c_result),
    "lts_producer_start": ([P], c_result),
    "lts_producer_send_packed": (
        [P, S, S, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, SEND_CALLBACK, ctypes.c_void_p],
        c_result,
    ),
    "lts_producer_poll": ([P, ctypes.c_size_t, ctypes.c_uint32, ctypes.POINTER(ctypes.c_size_t)], c_result),
    "lts_producer_safe_close": ([P], c_result),
    "lts_producer_close": ([P, ctypes.c_uint32], c_result),
    "lts_producer_free": ([P], None),
    "lts_send_result_code": ([P], c_result),
    "lts_send_result_status_code": ([P], ctypes.c_int32),
    "lts_send_result_error": ([P], S),
    "lts_send_result_message": ([P], S),
    "lts_send_result_log_count": ([P], ctypes.c_size_t),
    "lts_send_result_attempts": ([P], ctypes.c_uint32),
}
for _name, (_args, _ret) in _SIGS.items():
    _f = getattr(_lib, _name)
    _f.argtypes = _args
    _f.restype = _ret

lib = _lib
LTS_OK = 0
LTS_ERR_SERVER = 103
LTS_ERR_TIMEOUT = 102
LTS_ERR_REENTRANT = 106
LTS_CALLBACK_THREAD = 0
LTS_ERR_INVALID_ARGUMENT = 1


def take_string(ptr):
    """A `char *` the library handed over, as str (freed); None for NULL."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.lts_string_free(ptr)


def check(r):
    """Raises LogException for a failed call, with this thread's detail."""
    if r != LTS_OK:
        raise LogException(r, lib.lts_last_error_message().decode("utf-8", "replace"))


def cstr(s, what):
    if not isinstance(s, str):
        raise LogException(1, f"{what} must be a str, not {type(s).__name__}", "LTS_ERR_INVALID_ARGUMENT")
    return s.encode("utf-8")


# --- the packed item layout (see lts_producer_send_packed in lts.h) ---------------------
_I64 = struct.Struct("<q")
_U32 = struct.Struct("<I")
_F64 = struct.Struct("<d")
# type byte + key length + key bytes, per value type, cached: keys repeat from log to log.
_prefixes = ({}, {}, {})


def _prefix(key, kind):
    p = _prefixes[kind].get(key)
    if p is None:
        kb = key.encode("utf-8")
        p = bytes((kind,)) + _U32.pack(len(kb)) + kb
        if len(_prefixes[kind]) < 65536:
            _prefixes[kind][key] = p
    return p


def pack_fields(fields):
    """Packs an ordered {key: value} dict: str → 0, int → 1, float → 2, others as str()."""
    u32, i64, f64 = _U32.pack, _I64.pack, _F64.pack
    strs, ints, floats = _prefixes
    out = [u32(len(fields))]
    put = out.append
    for k, v in fields.items():
        t = type(v)
        if t is str:
            vb = v.encode("utf-8")
            put(strs.get(k) or _prefix(k, 0))
            put(u32(len(vb)))
            put(vb)
        elif t is int:
            put(ints.get(k) or _prefix(k, 1))
            put(i64(v))
        elif t is float:
            put(floats.get(k) or _prefix(k, 2))
            put(f64(v))
        elif t is not bool and isinstance(v, int):
            put(_prefix(k, 1))
            put(i64(v))
        elif isinstance(v, float):
            put(_prefix(k, 2))
            put(f64(v))
        else:  # bool and every other type travel as their str()
            vb = str(v).encode("utf-8")
            put(_prefix(k, 0))
            put(u32(len(vb)))
            put(vb)
    return b"".join(out)


def pack_item(ts, msg, contents, labels):
    mb = msg.encode("utf-8")
    return b"".join((_I64.pack(ts), _U32.pack(len(mb)), mb, pack_fields(contents), pack_fields(labels)))
