"""Machine configuration: presets, parameter tables, `--set`, and checked input files.

A machine is a preset name (images/machines/NAME.toml), a preset file (PATH.toml) or
`XxYxP`. Its parameters come in layers, each overriding the one before: the defaults of
the parameter classes (emulator.timing.TimingParams for `timing`; the CLI adds
kernel.kern.costs.KernelCosts for `kernel`, so this module never imports kernel/), the preset's
`[timing]` and `[kernel]` tables, then the command line (`--set TABLE.NAME=VALUE`, repeated;
`--quantum N` is `--set timing.quantum=N`). Every key of a preset is checked: an unknown
table or key, or a value of the wrong type, is a ConfigError naming the key and the file.
The default machine is the preset whose [machine] table says `default = true`.

Host files go through two checks made before anything is done with them: read_input_file
(presets here, programs in the CLI) refuses what is not a regular file or is too large
before reading it; check_writable (--stats FILE) refuses a file a write would fail on.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from almos.emulator.cache import CacheConfig
from almos.emulator.timing import TimingParams
from almos.emulator.topology import (
    MAX_CORES_PER_CLUSTER,
    MAX_SHOWN_PATH,
    Topology,
    TopologyError,
    parse_size,
    shorten,
)

_REPO_PRESETS = Path(__file__).resolve().parent.parent / "images" / "machines"
# a repository checkout's presets, else those an installed package carries (setup.py)
PRESET_DIR = _REPO_PRESETS if _REPO_PRESETS.is_dir() else Path(__file__).resolve().parent \
    / "machines"
PRESET_SUFFIX = ".toml"
MAX_PRESET_BYTES = 64 << 10         # a preset is a few lines; anything bigger is a mistake
_PRESET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
KeyKind = type | tuple[type, ...]
MACHINE_KEYS: dict[str, KeyKind] = {"x": int, "y": int, "cores": int, "memory": (str, int),
                                    "default": bool}
CACHE_KEYS: dict[str, KeyKind] = {"l1": str, "l2": str}
PARAM_TABLES = ("timing", "kernel")  # tables of parameters, in the order `almos info` lists
_SPEC = re.compile(r"^(\d{1,3})x(\d{1,3})x(\d{1,3})$")
_SETTING = re.compile(r"^([a-z_]+)\.([a-z0-9_]+)=(.*)$", re.DOTALL)
_INTEGER = re.compile(r"^-?\d+$")
MAX_DIGITS = 20                      # more is no parameter's value (and int() would refuse)

# Origins of a parameter's value, as `almos info` shows them.
FROM_DEFAULT, FROM_PRESET, FROM_COMMAND_LINE = "default", "preset", "--set"


class ConfigError(TopologyError):
    """A preset, a setting or an input file that cannot be used (one line for the user)."""


class Params(Protocol):
    """What a parameter table offers (TimingParams, KernelCosts)."""

    def names(self) -> list[str]: ...

    def with_values(self, values: dict[str, Any]) -> Any: ...

    def as_dict(self) -> dict[str, Any]: ...

    def doc(self, name: str) -> str: ...


@dataclass(frozen=True)
class MachineConfig:
    """A topology and the parameter tables in force, with where each value came from."""

    topology: Topology
    params: dict[str, Params]                       # table -> values in force
    origin: dict[str, str] = field(default_factory=dict)   # "table.name" -> FROM_*

    @property
    def timing(self) -> TimingParams:
        return self.params["timing"]  # type: ignore[return-value]


# -- files ------------------------------------------------------------------------------------

def read_input_file(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The whole of a regular file of at most `limit` bytes. A FIFO, a device, a directory
    or a larger file is refused before anything is read (a FIFO would block, /dev/zero or a
    sparse file of gigabytes would be read for ever)."""
    name = shorten(str(path), MAX_SHOWN_PATH)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)   # a FIFO must not block the open
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {what} {name}: {_reason(e)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{what} {name} is not a regular file ({_file_kind(st.st_mode)})")
        if st.st_size > limit:
            raise ConfigError(f"{what} {name} is {_mib(st.st_size)}: more than the "
                              f"{_mib(limit)} allowed")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)                        # a file that grows stops here
    except OSError as e:
        raise ConfigError(f"cannot read {what} {name}: {_reason(e)}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ConfigError(f"{what} {name} is more than the {_mib(limit)} allowed")
    return data


def check_writable(path: str, what: str) -> None:
    """Refuse a file that cannot be written, before a run rather than after it: a
    zero-length write fails where a real one would (/dev/full), and a FIFO with no reader
    fails the open instead of blocking it. Creates the file if it is missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK, 0o666)
        try:
            os.write(fd, b"")
        finally:
            os.close(fd)
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot write {what} to {shorten(path, MAX_SHOWN_PATH)}: "
                          f"{_reason(e)}") from None


def _reason(e: Exception) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or str(e)


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a file"


def _mib(n: int) -> str:
    return f"{n} bytes" if n < 1 << 20 else f"{n / (1 << 20):.0f} MiB"


# -- presets ----------------------------------------------------------------------------------

def presets(directory: Path = PRESET_DIR) -> list[str]:
    """Names of the shipped presets."""
    return sorted(p.stem for p in directory.glob(f"*{PRESET_SUFFIX}"))


def preset_path(spec: str, directory: Path = PRESET_DIR) -> Path | None:
    """The file of a preset name or of a PATH.toml; None if spec names neither."""
    if _PRESET_NAME.match(spec) and (directory / f"{spec}{PRESET_SUFFIX}").is_file():
        return directory / f"{spec}{PRESET_SUFFIX}"
    if spec.endswith(PRESET_SUFFIX):
        return Path(spec)
    return None


def read_preset(path: Path) -> dict[str, Any]:
    """A preset file's tables, every key and type checked (ConfigError otherwise)."""
    try:
        text = read_input_file(path, MAX_PRESET_BYTES, "machine file").decode()
        data = tomllib.loads(text)
    except ConfigError:
        raise
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise _bad(path, str(e)) from None
    except RecursionError:
        raise _bad(path, "nested too deeply") from None
    known = ("machine", "cache", *PARAM_TABLES)
    for table, body in data.items():
        if table not in known:
            raise _bad(path, f"unknown table [{shorten(table)}] (known: {', '.join(known)})")
        if not isinstance(body, dict):
            raise _bad(path, f"{table} = {shorten(repr(body))}: needs a [{table}] table")
    if "machine" not in data:
        raise _bad(path, "needs a [machine] table")
    for table, keys in (("machine", MACHINE_KEYS), ("cache", CACHE_KEYS)):
        for key, value in data.get(table, {}).items():
            if key not in keys:
                raise _bad(path, f"unknown key '{shorten(key)}' in [{table}] "
                                 f"(known: {', '.join(keys)})")
            if not _is(value, keys[key]):
                raise _bad(path, f"[{table}] {key} = {shorten(repr(value))}: "
                                 f"{_type_name(keys[key])} expected")
    missing = [k for k in ("x", "y", "cores") if k not in data["machine"]]
    if missing:
        raise _bad(path, f"[machine] lacks {', '.join(missing)}")
    return data


def parse_spec(spec: str) -> dict[str, int]:
    """'XxYxP' -> the Topology fields it sets."""
    m = _SPEC.match(spec.strip().lower())
    if not m:
        raise TopologyError(f"bad topology '{shorten(spec)}': expected XxYxP (X, Y 1..16, "
                            f"P 1..{MAX_CORES_PER_CLUSTER}) or a preset ({', '.join(presets())})")
    return dict(x_size=int(m.group(1)), y_size=int(m.group(2)),
                cores_per_cluster=int(m.group(3)))


def default_preset(directory: Path = PRESET_DIR) -> str:
    """The preset whose [machine] table says `default = true` (exactly one must)."""
    chosen = [name for name in presets(directory)
              if read_preset(directory / f"{name}{PRESET_SUFFIX}")["machine"].get("default")]
    if len(chosen) != 1:
        which = ", ".join(chosen) or "none"
        raise ConfigError(f"exactly one preset in {directory} must say 'default = true' in "
                          f"[machine] (found: {which})")
    return chosen[0]


def _bad(path: Path, why: str) -> ConfigError:
    return ConfigError(f"{_bad_file(path)}: {why}")


def _bad_file(path: Path) -> str:
    return f"bad machine file {shorten(str(path), MAX_SHOWN_PATH)}"


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that a TOML boolean is not a number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "a whole number", str: "a string", bool: "true or false", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


# -- settings ---------------------------------------------------------------------------------

def parse_setting(text: str) -> tuple[str, str, str]:
    """'timing.quantum=2000' -> ('timing', 'quantum', '2000')."""
    m = _SETTING.match(text.strip())
    if not m:
        raise ConfigError(f"bad --set '{shorten(text)}': expected TABLE.NAME=VALUE, "
                          f"e.g. timing.quantum=2000 (TABLE: {', '.join(PARAM_TABLES)})")
    return m.group(1), m.group(2), m.group(3).strip()


def _value(text: str, like: Any) -> Any:
    """A command-line value, of the type of the default it replaces."""
    if isinstance(like, bool):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError("true or false expected")
        return text.lower() in ("true", "1")
    if isinstance(like, int):
        if not _INTEGER.match(text):
            raise ValueError("not a whole number")
        if len(text.lstrip("-")) > MAX_DIGITS:
            raise ValueError("out of range")
        return int(text)
    if isinstance(like, float):
        try:
            return float(text)
        except ValueError:
            raise ValueError("not a number") from None
    return text


def _apply(table: str, params: Params, values: Mapping[str, Any], where: str) -> Params:
    """params with values applied; where says what set them, for the message."""
    defaults = params.as_dict()
    for key, value in values.items():
        if key not in defaults:
            raise _unknown(table, key, params, where)
        if not _is(value, type(defaults[key])):
            raise ConfigError(f"{where}: {table}.{key} = {shorten(repr(value))}: "
                              f"{_type_name(type(defaults[key]))} expected")
    try:
        return params.with_values(dict(values))
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _unknown(table: str, key: str, params: Params, where: str) -> ConfigError:
    return ConfigError(f"{where}: unknown parameter {table}.{shorten(key)} "
                       f"(known: {', '.join(params.names())})")


# -- the whole configuration -------------------------------------------------------------------

def load_config(spec: str | None = None, memory: str | None = None, l1: str | None = None,
                l2: str | None = None, settings: Iterable[str] = (),
                tables: Mapping[str, Params] | None = None,
                directory: Path = PRESET_DIR) -> MachineConfig:
    """The machine of a preset or XxYxP with its parameters: defaults, then the preset's
    tables, then `settings` ('TABLE.NAME=VALUE'); memory and cache geometries override the
    preset's. tables: the parameter tables' defaults by name (timing's if not given); a
    preset's table that is not among them is left unread (the kernel's, for the emulator
    alone)."""
    params: dict[str, Params] = {"timing": TimingParams(), **(tables or {})}
    origin = {f"{t}.{n}": FROM_DEFAULT for t, p in params.items() for n in p.names()}
    spec = spec if spec is not None else default_preset(directory)
    path = preset_path(spec, directory)
    if path is None:
        fields: dict[str, Any] = parse_spec(spec)
    else:
        fields = _preset_layer(path, params, origin)
    _command_line_layer(settings, params, origin)
    if memory is not None:
        fields["ram_per_cluster"] = parse_size(memory)
    fields.update({k: v for k, v in (("l1", l1), ("l2", l2)) if v})
    topo = Topology(**fields)
    try:                                   # each geometry, and that they fit together
        CacheConfig.from_strings(l1=topo.l1, l2=topo.l2)
    except ValueError as e:
        raise TopologyError(f"bad cache geometry: {e}") from None
    return MachineConfig(topo, params, origin)


def _preset_layer(path: Path, params: dict[str, Params], origin: dict[str, str]
                  ) -> dict[str, Any]:
    """Apply a preset's parameter tables to params; its Topology fields."""
    data = read_preset(path)
    m = data["machine"]
    fields = dict(x_size=m["x"], y_size=m["y"], cores_per_cluster=m["cores"],
                  **data.get("cache", {}))
    if "memory" in m:
        try:
            fields["ram_per_cluster"] = parse_size(str(m["memory"]))
        except TopologyError as e:
            raise _bad(path, str(e)) from None
    for table in params:
        values = data.get(table, {})
        params[table] = _apply(table, params[table], values, _bad_file(path))
        origin.update({f"{table}.{k}": FROM_PRESET for k in values})
    return fields


def _command_line_layer(settings: Iterable[str], params: dict[str, Params],
                        origin: dict[str, str]) -> None:
    """Apply 'TABLE.NAME=VALUE' settings to params; the last one of a name wins."""
    given: dict[str, dict[str, Any]] = {}
    for text in settings:
        table, key, raw = parse_setting(text)
        where = f"bad --set '{shorten(text)}'"
        if table not in params:
            raise ConfigError(f"{where}: no table '{table}' (tables: {', '.join(params)})")
        defaults = params[table].as_dict()
        if key not in defaults:
            raise _unknown(table, key, params[table], where)
        try:
            given.setdefault(table, {})[key] = _value(raw, defaults[key])
        except ValueError as e:
            raise ConfigError(f"{where}: {e}") from None
    for table, values in given.items():       # all of a table at once: checks see the whole
        params[table] = _apply(table, params[table], values, "bad command-line parameter")
        origin.update({f"{table}.{k}": FROM_COMMAND_LINE for k in values})
