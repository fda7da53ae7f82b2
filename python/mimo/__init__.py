"""mimo from Python: the channel generator, stored data sets, every detector and the BER engine, on numpy arrays.

    import mimo
    d = mimo.generate(8, 8, "qam16", snr_db=[10, 14], samples=20000, seed=1)
    symbols, llr = mimo.Detector("kbest:k=16", "qam16").detect(d[mimo.schema.y], d[mimo.schema.H], d[mimo.schema.noise_var])
    rows = mimo.evaluate(8, 8, "qam16", ["mmse", "ep", my_detector], snr_db="0:2:20")

Arrays are named, shaped and typed as in the data-set schema (datasets/SCHEMA.md): H [n, nr, nt] complex64,
y [n, nr], x [n, nt], bits [n, nt*m] uint8, snr_db [n] and noise_var [n] float32. Errors are ValueError for bad
arguments and OSError (mimo.DatasetError) for unreadable files, with the command line's one-line messages.
"""
from __future__ import annotations

import numbers

from typing import Any, Callable, Optional, Sequence, Union

from . import _core
from ._core import DatasetError, Detector, bits_per_symbol, constellation, detector_names, schema

__all__ = ["generate", "read", "info", "evaluate", "Detector", "DatasetError", "schema", "constellation",
           "bits_per_symbol", "detector_names"]

SnrGrid = Union[float, int, str, Sequence[float]]


def _number(value: Any, what: str) -> str:
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a 0-d numpy array
        value = value.item()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    raise ValueError(f"{what} must be a number (got {value!r})")


def _integer(value: Any, what: str, lo: int, hi: int) -> int:
    """An integer argument in [lo, hi], or a one-line ValueError (not pybind11's multi-line TypeError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= int(value) <= hi:
        raise ValueError(f"{what} must be an integer in [{lo}, {hi}] (got {value!r})")
    return int(value)


_MAX_COUNT = 2 ** 63 - 1


def _grid(value: SnrGrid, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, range)) or getattr(value, "ndim", 0) > 0:
        values = [_number(v, what) for v in value]
        if not values:
            raise ValueError(f"{what} is empty")
        return ",".join(values)
    return _number(value, what)


def _channel_flags(nt, nr, modulation, channel, snr_db, snr_range, snr_unit, seed, csi_error_var,
                   user_power_spread_db, uses_per_realization, options) -> list:
    """The settings as `mimo generate` flags: the C++ side parses them with the command line's own definitions."""
    flags = ["--nt", _number(nt, "nt"), "--nr", _number(nr, "nr"), "--mod", str(modulation), "--channel", str(channel),
             "--snr-unit", str(snr_unit), "--seed", _number(seed, "seed"),
             "--csi-error-var", _number(csi_error_var, "csi_error_var"),
             "--user-power-spread-db", _number(user_power_spread_db, "user_power_spread_db"),
             "--uses-per-realization", _number(uses_per_realization, "uses_per_realization")]
    if snr_db is not None:
        flags += ["--snr-db", _grid(snr_db, "snr_db")]
    if snr_range is not None:
        lo, hi = snr_range
        flags += ["--snr-range", f"{_number(lo, 'snr_range')}:{_number(hi, 'snr_range')}"]
    known = _core._channel_options()
    for name, value in options.items():
        if name not in known:
            raise ValueError(f"unknown channel option '{name}' (the models' options: {', '.join(sorted(known))})")
        flag = "--" + name.replace("_", "-")
        flags += [flag, value if isinstance(value, str) else _number(value, name)]
    return flags


def generate(nt: int, nr: int, modulation: str = "qpsk", channel: str = "rayleigh", *,
             snr_db: Optional[SnrGrid] = None, snr_range: Optional[Sequence[float]] = None,
             samples: int, seed: int = 1, snr_unit: str = "snr", csi_error_var: float = 0.0,
             user_power_spread_db: float = 0.0, uses_per_realization: int = 1, threads: int = 0,
             **channel_options: Union[float, str]) -> dict:
    """Draws `samples` channel uses y = H x + n: the arrays `mimo generate` writes for the same arguments.

    snr_db is a grid cycled over the samples (10, [5, 15], or "0:2:20"); snr_range=(lo, hi) draws each sample's
    SNR uniformly instead. channel_options are the model's parameters under their flag names with underscores
    (rho_tx=0.7, k_factor=3, cdl_model="C", ...; `mimo generate --help` lists them). Returns a dict of numpy
    arrays keyed by mimo.schema names (H_est only with csi_error_var > 0, user_gain_db only with a power spread).
    Every array is held in memory: for data sets larger than memory, use `mimo generate` and mimo.read in parts.
    """
    flags = _channel_flags(nt, nr, modulation, channel, snr_db, snr_range, snr_unit, seed, csi_error_var,
                           user_power_spread_db, uses_per_realization, channel_options)
    return _core._generate(flags, _integer(samples, "samples", 1, _MAX_COUNT), _integer(threads, "threads", 0, 1024))


def read(path: str, first: int = 0, count: Optional[int] = None) -> dict:
    """Samples [first, first + count) of a mimo data set (all by default) as the dict mimo.generate returns. For a
    coded data set (`mimo generate --code`) whose range is whole transport blocks, also info_bits [blocks, K]."""
    return _core._read(str(path), _integer(first, "first", 0, _MAX_COUNT),
                       None if count is None else _integer(count, "count", 0, _MAX_COUNT))


def info(path: str) -> dict:
    """How a data set was made: channel, nt, nr, the model's parameters, modulation, SNR unit and schedule, seed,
    samples, ... (the attributes `mimo inspect` prints); code: None, or the LDPC code of a coded data set (spec, k,
    e, iterations, uses_per_block, blocks)."""
    return _core._info(str(path))


DetectorLike = Union[str, Detector, Callable]


def evaluate(nt: Optional[int] = None, nr: Optional[int] = None, modulation: Optional[str] = None,
             detectors: Sequence[DetectorLike] = ("zf", "mmse"), *, snr_db: Optional[SnrGrid] = None,
             channel: Optional[str] = None, data: Optional[str] = None, min_errors: int = 1000,
             max_bits: float = 1e8, seed: Optional[int] = None, snr_unit: Optional[str] = None,
             csi_error_var: Optional[float] = None, user_power_spread_db: Optional[float] = None,
             uses_per_realization: Optional[int] = None, code: Optional[str] = None, min_block_errors: int = 100,
             threads: int = 0, **channel_options: Union[float, str]) -> list:
    """BER/SER versus SNR of several detectors on identical channel realizations: the rows of `mimo evaluate`.

    detectors mixes specs ("mmse", "kbest:k=16"), mimo.Detector objects and plain callables f(y, H, noise_var)
    (wrapped as Detector(f, modulation): hard decisions; make the Detector yourself for LLRs or a name). Each SNR
    point stops when every detector has min_errors bit errors or after max_bits bits. With data=path the points
    are the stored data set's SNR values (no channel arguments then, as `mimo evaluate --data` refuses them).
    Unset channel arguments take `mimo evaluate`'s defaults (qpsk, rayleigh, seed 1, ...). code="ldpc:k=1024,rate=0.5" sends 5G NR LDPC
    transport blocks and adds the BLER columns (min_block_errors). Returns one dict per (SNR, detector) with the
    CSV's columns: detector, channel, modulation, nt, nr, snr_db, esn0_db, ebn0_db, bits, bit_errors, ber, ber_lo,
    ber_hi, symbols, symbol_errors, ser, seconds, llr_info (None without LLRs) [, blocks, block_errors, bler,
    bler_lo, bler_hi, coded_ber].
    """
    settings = dict(nt=nt, nr=nr, modulation=modulation, snr_db=snr_db, channel=channel, seed=seed,
                    snr_unit=snr_unit, csi_error_var=csi_error_var, user_power_spread_db=user_power_spread_db,
                    uses_per_realization=uses_per_realization, **channel_options)
    if data is not None:
        given = [name for name, value in settings.items() if value is not None]
        if given:
            raise ValueError(f"with data= the channel is the data set's: {', '.join(given)} cannot be given")
        flags = None
        modulation = info(data)["modulation"]
    else:
        if nt is None or nr is None:
            raise ValueError("give nt and nr (or data=)")
        modulation = "qpsk" if modulation is None else modulation
        flags = _channel_flags(nt, nr, modulation, channel or "rayleigh", snr_db, None, snr_unit or "snr",
                               1 if seed is None else seed, csi_error_var or 0.0, user_power_spread_db or 0.0,
                               1 if uses_per_realization is None else uses_per_realization, channel_options)
    if code is not None and not isinstance(code, str):
        raise ValueError(f"code must be a spec such as 'ldpc:k=1024,rate=0.5' (got {code!r})")
    if isinstance(detectors, str):
        detectors = _core._split_detectors(detectors)  # "zf,kbest:k=16,mmse" as on the command line
    elif isinstance(detectors, Detector) or callable(detectors):
        detectors = [detectors]
    made = [d if isinstance(d, Detector) else Detector(d, modulation) for d in detectors]
    return _core._evaluate(flags, data, made, _integer(min_errors, "min_errors", 1, _MAX_COUNT),
                           float(_number(max_bits, "max_bits")), _integer(threads, "threads", 0, 1024), code,
                           _integer(min_block_errors, "min_block_errors", 1, _MAX_COUNT))
