"""Serialisation helpers for the category model's `.npz` file.

`CategoryModel.save` / `CategoryModel.load` (in `classifier_model`) use these: vocabularies
stored as newline-separated UTF-8 byte arrays, and the errors a damaged or foreign file can
raise. numpy is imported inside the functions only.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class _IncompatibleFormat(Exception):
    """A model file of a format version this code cannot read."""


#: What reading a damaged or foreign file can raise: a bad zip or deflate stream, a missing
#: member, undecodable JSON or UTF-8, a refused (pickled) or malformed array, wrong types.
_CORRUPT = (
    zipfile.BadZipFile,
    zlib.error,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    OSError,
    EOFError,
)


def _utf8(text: str) -> NDArray[np.uint8]:
    import numpy as np

    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _terms_by_id(vocab: dict[str, int]) -> list[str]:
    terms = [""] * len(vocab)
    for term, i in vocab.items():
        terms[i] = term
    return terms


def _split_terms(array: NDArray[Any]) -> list[str]:
    if array.dtype.kind != "u" or array.ndim != 1:
        raise ValueError("vocabulary is not a UTF-8 byte array")
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []
