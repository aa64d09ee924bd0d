# Type stubs for the sstep package (editors complete from these).
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

Size = Union[int, str]
ArrayLike = Any  # a float32 NCHW numpy array or torch CPU tensor

class Error(Exception): ...
class ModelError(Error): ...
class SlideError(Error): ...
class BudgetError(Error): ...

class Plan:
    """A compiled model: run it on arrays, save it as a plan file."""
    @property
    def inputs(self) -> List[Dict[str, Any]]: ...
    @property
    def outputs(self) -> List[Dict[str, Any]]: ...
    @property
    def target(self) -> str: ...
    @property
    def precision(self) -> str: ...
    memory_budget: Optional[Size]
    def save(self, path: str) -> None: ...
    def run(
        self,
        x: Union[ArrayLike, Mapping[str, ArrayLike]],
        *,
        backend: str = "cpu",
        tile: Union[str, int] = "auto",
        memory_budget: Optional[Size] = None,
        threads: Optional[int] = None,
        stats: Optional[Dict[str, Any]] = None,
        normalize: Optional[str] = None,
        store: str = "auto",
        scratch: Optional[Union[str, os.PathLike]] = None,
    ) -> Union[np.ndarray, Dict[str, np.ndarray]]: ...
    @property
    def weights(self) -> Dict[str, Tuple[int, ...]]: ...
    def get_weights(self) -> Dict[str, np.ndarray]: ...
    def set_weights(self, weights: Mapping[str, ArrayLike]) -> None: ...
    def _release_forward_memory(self) -> None: ...
    def backward(
        self,
        x: ArrayLike,
        grad_output: ArrayLike,
        *,
        backend: str = "cpu",
        tile: Union[str, int] = "auto",
        memory_budget: Optional[Size] = None,
        threads: Optional[int] = None,
        input_grad: bool = True,
        normalize: Optional[str] = None,
        segments: Optional[int] = None,
    ) -> Dict[str, Any]: ...
    def run_slide(
        self,
        slide: str,
        out: Union[str, os.PathLike, Mapping[str, str]],
        *,
        level: int = 0,
        backend: str = "cpu",
        tile: Union[str, int] = "auto",
        memory_budget: Optional[Size] = None,
        threads: Optional[int] = None,
        tissue_mask: bool = False,
        normalize: str = "imagenet",
        progress: Optional[Callable[[int, int, float], Any]] = None,
        store: str = "auto",
        scratch: Optional[Union[str, os.PathLike]] = None,
    ) -> Dict[str, Any]: ...
    def run_patches(
        self,
        slide: str,
        out: str,
        patch: int,
        *,
        stride: Optional[int] = None,
        level: int = 0,
        backend: str = "cpu",
        tile: Union[str, int] = "auto",
        memory_budget: Optional[Size] = None,
        threads: Optional[int] = None,
        tissue_mask: bool = False,
        min_tissue: float = 0.0,
        layout: str = "table",
        normalize: str = "imagenet",
        progress: Optional[Callable[[int, int, float], Any]] = None,
    ) -> Dict[str, Any]: ...

class Slide:
    """A whole-slide image; a context manager."""
    def __init__(self, path: str) -> None: ...
    @property
    def path(self) -> str: ...
    @property
    def levels(self) -> List[Dict[str, Any]]: ...
    def read_region(self, level: int, x: int, y: int, w: int, h: int) -> np.ndarray: ...
    def tissue_mask(self, max_side: int = 2048) -> Tuple[np.ndarray, float]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Slide": ...
    def __exit__(self, *args: Any) -> None: ...

def compile(
    model: Union[str, os.PathLike, bytes, Any],
    example_input: Optional[ArrayLike] = None,
    *,
    target: str = "cpu",
    precision: str = "fp32",
    memory_budget: Optional[Size] = None,
    recompute: str = "auto",
) -> Plan: ...
def load(path: str) -> Plan: ...
def backends() -> List[str]: ...
