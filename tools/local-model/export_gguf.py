"""Exports the trained tiny model (build/model.pt + build/tokenizer.model) to GGUF v3, F32,
as a llama.cpp 'llama' architecture model: models/agent-lab-tiny.gguf.

    /usr/bin/python3 tools/local-model/export_gguf.py [--out models/agent-lab-tiny.gguf]

A small self-contained GGUF writer (Debian packages no `gguf` module): header, key/value
metadata, tensor infos, then the tensor data, each piece aligned to 32 bytes.
"""

import argparse
import struct
import sys
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chat_format import END, SPECIAL_TOKENS  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ALIGNMENT = 32

# GGUF value types
UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY = 4, 5, 6, 7, 8, 9
GGML_TYPE_F32 = 0

# Kept for llama.cpp tools that read the template from the file; Agent Lab applies it itself.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def gguf_string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def gguf_value(value_type: int, value) -> bytes:
    if value_type == UINT32:
        return struct.pack("<I", value)
    if value_type == INT32:
        return struct.pack("<i", value)
    if value_type == FLOAT32:
        return struct.pack("<f", value)
    if value_type == BOOL:
        return struct.pack("<B", 1 if value else 0)
    if value_type == STRING:
        return gguf_string(value)
    raise ValueError(f"unsupported GGUF value type {value_type}")


def gguf_kv(key: str, value_type: int, value, element_type: int | None = None) -> bytes:
    out = gguf_string(key) + struct.pack("<I", value_type)
    if value_type == ARRAY:
        out += struct.pack("<IQ", element_type, len(value))
        out += b"".join(gguf_value(element_type, item) for item in value)
    else:
        out += gguf_value(value_type, value)
    return out


def pad(length: int) -> int:
    return (ALIGNMENT - length % ALIGNMENT) % ALIGNMENT


def write_gguf(path: Path, metadata: list[bytes], tensors: list[tuple[str, np.ndarray]]) -> None:
    infos, offset = [], 0
    for name, array in tensors:
        # GGUF lists dimensions innermost first: a PyTorch [out, in] matrix is ne = [in, out].
        dims = list(reversed(array.shape))
        infos.append(gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
                     + struct.pack("<IQ", GGML_TYPE_F32, offset))
        offset += array.nbytes + pad(array.nbytes)
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    head = header + b"".join(metadata) + b"".join(infos)
    with path.open("wb") as file:
        file.write(head + b"\0" * pad(len(head)))
        for _, array in tensors:
            data = np.ascontiguousarray(array, dtype="<f4").tobytes()
            file.write(data + b"\0" * pad(len(data)))


def token_type(sp, token_id: int) -> int:
    """llama.cpp token types: 1 normal, 2 unknown, 3 control, 5 unused, 6 byte. The chat markers
    become control tokens, so text typed by a user cannot forge them."""
    if sp.is_unknown(token_id):
        return 2
    if sp.is_control(token_id) or sp.id_to_piece(token_id) in SPECIAL_TOKENS:
        return 3
    if sp.is_byte(token_id):
        return 6
    if sp.is_unused(token_id):
        return 5
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default=str(HERE / "build" / "model.pt"))
    parser.add_argument("--tokenizer", default=str(HERE / "build" / "tokenizer.model"))
    parser.add_argument("--out", default=str(REPO / "models" / "agent-lab-tiny.gguf"))
    args = parser.parse_args()

    checkpoint = torch.load(args.checkpoint, map_location="cpu")
    c, state = checkpoint["config"], checkpoint["state_dict"]
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    tokens = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    scores = [sp.get_score(i) for i in range(sp.get_piece_size())]
    types = [token_type(sp, i) for i in range(sp.get_piece_size())]
    end_id = sp.piece_to_id(END)

    metadata = [
        gguf_kv("general.architecture", STRING, "llama"),
        gguf_kv("general.name", STRING, "Agent Lab tiny"),
        gguf_kv("general.description", STRING,
                f"Agent Lab's tiny offline demo model (~{checkpoint['parameters'] / 1e6:.1f}M parameters), trained on the "
                "project's own guide; a toy that shows the whole loop, not a useful assistant."),
        gguf_kv("general.license", STRING, "MIT"),
        gguf_kv("general.file_type", UINT32, 0),
        gguf_kv("general.alignment", UINT32, ALIGNMENT),
        gguf_kv("llama.context_length", UINT32, c["context_length"]),
        gguf_kv("llama.embedding_length", UINT32, c["dim"]),
        gguf_kv("llama.block_count", UINT32, c["n_layers"]),
        gguf_kv("llama.feed_forward_length", UINT32, c["ffn_dim"]),
        gguf_kv("llama.attention.head_count", UINT32, c["n_heads"]),
        gguf_kv("llama.attention.head_count_kv", UINT32, c["n_heads"]),
        gguf_kv("llama.attention.layer_norm_rms_epsilon", FLOAT32, c["norm_eps"]),
        gguf_kv("llama.rope.freq_base", FLOAT32, c["rope_base"]),
        gguf_kv("llama.rope.dimension_count", UINT32, c["dim"] // c["n_heads"]),
        gguf_kv("llama.vocab_size", UINT32, len(tokens)),
        gguf_kv("tokenizer.ggml.model", STRING, "llama"),
        gguf_kv("tokenizer.ggml.tokens", ARRAY, tokens, STRING),
        gguf_kv("tokenizer.ggml.scores", ARRAY, scores, FLOAT32),
        gguf_kv("tokenizer.ggml.token_type", ARRAY, types, INT32),
        gguf_kv("tokenizer.ggml.bos_token_id", UINT32, sp.bos_id()),
        # <|end|> closes every turn, so it is the end-of-generation token.
        gguf_kv("tokenizer.ggml.eos_token_id", UINT32, end_id),
        gguf_kv("tokenizer.ggml.eot_token_id", UINT32, end_id),
        gguf_kv("tokenizer.ggml.unknown_token_id", UINT32, sp.unk_id()),
        gguf_kv("tokenizer.ggml.add_bos_token", BOOL, True),
        gguf_kv("tokenizer.ggml.add_eos_token", BOOL, False),
        gguf_kv("tokenizer.ggml.add_space_prefix", BOOL, False),
        gguf_kv("tokenizer.chat_template", STRING, CHAT_TEMPLATE),
    ]

    def tensor(name: str) -> np.ndarray:
        return state[name].detach().to(torch.float32).numpy()

    tensors = [("token_embd.weight", tensor("tok_embeddings.weight"))]
    for i in range(c["n_layers"]):
        prefix = f"layers.{i}."
        tensors += [
            (f"blk.{i}.attn_norm.weight", tensor(prefix + "attn_norm.weight")),
            (f"blk.{i}.attn_q.weight", tensor(prefix + "wq.weight")),
            (f"blk.{i}.attn_k.weight", tensor(prefix + "wk.weight")),
            (f"blk.{i}.attn_v.weight", tensor(prefix + "wv.weight")),
            (f"blk.{i}.attn_output.weight", tensor(prefix + "wo.weight")),
            (f"blk.{i}.ffn_norm.weight", tensor(prefix + "ffn_norm.weight")),
            (f"blk.{i}.ffn_gate.weight", tensor(prefix + "w_gate.weight")),
            (f"blk.{i}.ffn_up.weight", tensor(prefix + "w_up.weight")),
            (f"blk.{i}.ffn_down.weight", tensor(prefix + "w_down.weight")),
        ]
    tensors += [("output_norm.weight", tensor("norm.weight")), ("output.weight", tensor("output.weight"))]

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_gguf(out, metadata, tensors)
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(tensors)} tensors, {len(tokens)} tokens)")


if __name__ == "__main__":
    main()
