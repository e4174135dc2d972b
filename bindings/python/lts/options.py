"""Options by name, from the core's own table (lts_config_schema): every key the core has
is settable here, as an attribute or with `set(key, value)`, and checked by the core when
set. Nothing is listed here but the official SDK's older names for some keys."""
import json

from ._errors import LogException
from . import _lts

LTS_ERR_INVALID_ARGUMENT = 1
SCHEMA = json.loads(_lts.config_schema())
CLIENT_KEYS = {o["name"]: o for o in SCHEMA["client"]}
PRODUCER_KEYS = {o["name"]: o for o in SCHEMA["producer"]}


def to_text(value):
    """A Python value as the core reads it: booleans as true/false, lists joined by commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(int(v)) for v in value)
    return str(value)


def from_text(option, text):
    """The core's text as a Python value of the option's type."""
    kind = option["type"]
    if kind == "integer":
        return int(text)
    if kind == "bool":
        return text == "true"
    if kind == "integer list":
        return [int(v) for v in text.split(",") if v]
    return text


class Options:
    """A config whose options are the core's. Subclasses give `_kind` ("client" or
    "producer"), `_keys`, `_aliases` ({older name: (key, to the key's value, back)}) and
    `_scratch()`, a native config of that kind on which the core checks each value."""

    _kind = None
    _keys = {}
    _aliases = {}

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def set(self, key, value):
        """Sets option `key` (a name from CONFIGURATION.md); the core checks it now, raising
        LogException (LTS_ERR_INVALID_ARGUMENT) for an unknown key or a bad value."""
        if key in self._aliases:
            key, convert, _ = self._aliases[key]
            value = convert(value)
        if not isinstance(key, str):
            raise LogException(LTS_ERR_INVALID_ARGUMENT, f"option names are str, not {type(key).__name__}",
                               "LTS_ERR_INVALID_ARGUMENT")
        text = to_text(value)
        self._scratch().set(key, text)
        self._values[key] = text

    def get(self, key):
        """The option's value (as set, or the core's default), typed."""
        back = None
        if key in self._aliases:
            key, _, back = self._aliases[key]
        option = self._keys.get(key)
        if option is None:
            raise LogException(LTS_ERR_INVALID_ARGUMENT, f"unknown {self._kind} option {key!r}",
                               "LTS_ERR_INVALID_ARGUMENT")
        if option["write_only"]:
            raise LogException(LTS_ERR_INVALID_ARGUMENT, f"{self._kind} option {key} is write-only",
                               "LTS_ERR_INVALID_ARGUMENT")
        value = from_text(option, self._values.get(key, option["default"]))
        return back(value) if back else value

    def options(self):
        """The options set so far, as the core reads them ({key: text})."""
        return dict(self._values)

    def _apply(self, native):
        for key, text in self._values.items():
            native.set(key, text)

    def __setattr__(self, name, value):
        if name.startswith("_") or name in type(self).__dict__ or name in self._plain:
            object.__setattr__(self, name, value)
        elif name in self._keys or name in self._aliases:
            self.set(name, value)
        else:
            raise LogException(LTS_ERR_INVALID_ARGUMENT,
                               f"unknown {self._kind} option {name!r}; the options are: {', '.join(self._keys)}",
                               "LTS_ERR_INVALID_ARGUMENT")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._keys or name in self._aliases:
            return self.get(name)
        raise AttributeError(name)


class NativeClientOptions(Options):
    _kind = "client"
    _keys = CLIENT_KEYS
    _plain = ()

    @staticmethod
    def _scratch():
        return _lts.ClientConfig("http://127.0.0.1", "ak", "sk", "")


class NativeProducerOptions(Options):
    _kind = "producer"
    _keys = PRODUCER_KEYS
    _plain = ()

    @staticmethod
    def _scratch():
        return _lts.ProducerConfig()
