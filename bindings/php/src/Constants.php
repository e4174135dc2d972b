<?php
// Generated from include/lts.h by scripts/gen_php_decls.py. Do not edit.

namespace Lts;

final class Constants
{
    public const LTS_LOG_OFF = (-1);
    public const LTS_VERSION_MAJOR = 0;
    public const LTS_VERSION_MINOR = 1;
    public const LTS_VERSION_PATCH = 0;
    public const LTS_VERSION_STRING = "0.1.0";
    public const LTS_AUTH_TOKEN = 0;
    public const LTS_AUTH_EOP = 1;
    public const LTS_LOG_ERROR = 3;
    public const LTS_LOG_WARN = 4;
    public const LTS_LOG_INFO = 6;
    public const LTS_LOG_DEBUG = 7;
    public const LTS_CALLBACK_THREAD = 0;
    public const LTS_CALLBACK_POLL = 1;
    public const LTS_FIELD_STR = 0;
    public const LTS_FIELD_I64 = 1;
    public const LTS_FIELD_F64 = 2;
    public const LTS_ABI_VERSION = 0;
    public const LTS_OK = 0;
    public const LTS_ERR_INVALID_ARGUMENT = 1;
    public const LTS_ERR_INVALID_KEY = 2;
    public const LTS_ERR_INVALID_VALUE = 3;
    public const LTS_ERR_TOO_LARGE = 4;
    public const LTS_ERR_INVALID_STATE = 5;
    public const LTS_ERR_AUTH = 100;
    public const LTS_ERR_NETWORK = 101;
    public const LTS_ERR_TIMEOUT = 102;
    public const LTS_ERR_SERVER = 103;
    public const LTS_ERR_BUFFER_FULL = 104;
    public const LTS_ERR_CLOSED = 105;
    public const LTS_ERR_REENTRANT = 106;
    public const LTS_ERR_INTERNAL = 900;
}
