# Type hints of the mimo package (python/mimo/__init__.py and the extension mimo._core).
from typing import Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

SnrGrid = Union[float, int, str, Sequence[float]]
Array = npt.ArrayLike

class DatasetError(OSError): ...

class schema:
    H: str
    H_est: str
    y: str
    x: str
    bits: str
    snr_db: str
    noise_var: str
    user_gain_db: str
    info_bits: str
    version: int

class Detector:
    def __init__(self, spec: Union[str, Callable[..., object]], modulation: str, *, name: Optional[str] = ...,
                 llr: bool = ...) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def modulation(self) -> str: ...
    @property
    def provides_llr(self) -> bool: ...
    def detect(self, y: Array, H: Array, noise_var: Union[float, Array], *, H_est: Optional[Array] = ...,
               threads: int = ...) -> tuple[npt.NDArray[np.int32], Optional[npt.NDArray[np.float32]]]: ...

DetectorLike = Union[str, Detector, Callable[..., object]]

def generate(nt: int, nr: int, modulation: str = ..., channel: str = ..., *, snr_db: Optional[SnrGrid] = ...,
             snr_range: Optional[Sequence[float]] = ..., samples: int, seed: int = ..., snr_unit: str = ...,
             csi_error_var: float = ..., user_power_spread_db: float = ..., uses_per_realization: int = ...,
             threads: int = ..., **channel_options: Union[float, str]) -> dict[str, np.ndarray]: ...
def read(path: str, first: int = ..., count: Optional[int] = ...) -> dict[str, np.ndarray]: ...
def info(path: str) -> dict[str, object]: ...
def evaluate(nt: Optional[int] = ..., nr: Optional[int] = ..., modulation: Optional[str] = ...,
             detectors: Union[str, Sequence[DetectorLike]] = ..., *, snr_db: Optional[SnrGrid] = ...,
             channel: Optional[str] = ..., data: Optional[str] = ..., min_errors: int = ..., max_bits: float = ...,
             seed: Optional[int] = ..., snr_unit: Optional[str] = ..., csi_error_var: Optional[float] = ...,
             user_power_spread_db: Optional[float] = ..., uses_per_realization: Optional[int] = ...,
             code: Optional[str] = ..., min_block_errors: int = ...,
             threads: int = ..., **channel_options: Union[float, str]) -> list[dict[str, object]]: ...
def constellation(modulation: str) -> npt.NDArray[np.complex128]: ...
def bits_per_symbol(modulation: str) -> int: ...
def detector_names() -> list[str]: ...
