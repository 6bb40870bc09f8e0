"""The tiny model's chat template and tokenisation, shared by training, the reference and export.

Template (every turn closed by <|end|>, which is also the model's end-of-generation token):

    <s><|system|>\\n{system}<|end|>\\n<|user|>\\n{question}<|end|>\\n<|assistant|>\\n{answer}<|end|>\\n ...

The system turn is optional. A prompt for generation ends with "<|assistant|>\\n".
Special tokens are split out before SentencePiece sees the text, exactly as llama.cpp does
with `parse_special`, and no dummy space prefix is added, so PyTorch and llama.cpp produce
the same token ids.
"""

import re

SYSTEM, USER, ASSISTANT, END = "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"
SPECIAL_TOKENS = [SYSTEM, USER, ASSISTANT, END]
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(token) for token in SPECIAL_TOKENS) + ")")

ROLE_TOKENS = {"system": SYSTEM, "user": USER, "assistant": ASSISTANT}


def render(messages: list[dict], add_generation_prompt: bool) -> str:
    """Messages ({role, content}) → template text (without the leading BOS)."""
    parts = [f"{ROLE_TOKENS[m['role']]}\n{m['content']}{END}\n" for m in messages]
    if add_generation_prompt:
        parts.append(f"{ASSISTANT}\n")
    return "".join(parts)


def encode(sp, text: str, add_bos: bool = True) -> list[int]:
    """Template text → token ids: special tokens by id, other fragments by SentencePiece."""
    ids = [sp.bos_id()] if add_bos else []
    for fragment in _SPECIAL_RE.split(text):
        if fragment == "":
            continue
        if fragment in SPECIAL_TOKENS:
            ids.append(sp.piece_to_id(fragment))
        else:
            ids.extend(sp.encode(fragment))
    return ids
