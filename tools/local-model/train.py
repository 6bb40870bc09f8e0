"""Trains Agent Lab's tiny offline model: a ~1M-parameter Llama-architecture transformer on
the project's own guide (guide.py, MIT), in the chat format of chat_format.py.

    nice -n 10 /usr/bin/python3 tools/local-model/train.py            # trains, writes build/ and the reference
    /usr/bin/python3 tools/local-model/export_gguf.py                 # build/ → models/agent-lab-tiny.gguf

Writes tools/local-model/build/{tokenizer.model,model.pt} and
models/agent-lab-tiny.reference.json: PyTorch's greedy output (token ids and text) for fixed
prompts, which the node-llama-cpp test must reproduce from the GGUF file.
Deterministic: fixed seeds, one thread.
"""

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import sentencepiece as spm
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chat_format import ASSISTANT, END, SPECIAL_TOKENS, encode, render  # noqa: E402
from corpus import conversation, tokenizer_sentences  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD = HERE / "build"
REFERENCE = REPO / "models" / "agent-lab-tiny.reference.json"

CONFIG = {
    "vocab_size": 512,
    "dim": 128,
    "n_layers": 4,
    "n_heads": 4,
    "ffn_dim": 384,
    "context_length": 384,
    "rope_base": 10000.0,
    "norm_eps": 1e-5,
}

REFERENCE_CASES = [
    [{"role": "user", "content": "What is Agent Lab?"}],
    [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is TTFT?"},
    ],
]
MAX_NEW_TOKENS = 96


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim: int, length: int, base: float):
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotates adjacent pairs (x[2i], x[2i+1]): llama.cpp's 'normal' RoPE used by LLM_ARCH_LLAMA."""
    b, t, h, d = x.shape
    pairs = x.view(b, t, h, d // 2, 2)
    x0, x1 = pairs[..., 0], pairs[..., 1]
    cos, sin = cos[:t].view(1, t, 1, d // 2), sin[:t].view(1, t, 1, d // 2)
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).view(b, t, h, d)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        dim, self.n_heads = c["dim"], c["n_heads"]
        self.attn_norm = RMSNorm(dim, c["norm_eps"])
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.ffn_norm = RMSNorm(dim, c["norm_eps"])
        self.w_gate = nn.Linear(dim, c["ffn_dim"], bias=False)
        self.w_up = nn.Linear(dim, c["ffn_dim"], bias=False)
        self.w_down = nn.Linear(c["ffn_dim"], dim, bias=False)

    def forward(self, x, cos, sin):
        b, t, dim = x.shape
        hd = dim // self.n_heads
        h = self.attn_norm(x)
        q = apply_rope(self.wq(h).view(b, t, self.n_heads, hd), cos, sin).transpose(1, 2)
        k = apply_rope(self.wk(h).view(b, t, self.n_heads, hd), cos, sin).transpose(1, 2)
        v = self.wv(h).view(b, t, self.n_heads, hd).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        attention = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v
        x = x + self.wo(attention.transpose(1, 2).reshape(b, t, dim))
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class TinyLlama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.tok_embeddings = nn.Embedding(c["vocab_size"], c["dim"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["n_layers"]))
        self.norm = RMSNorm(c["dim"], c["norm_eps"])
        self.output = nn.Linear(c["dim"], c["vocab_size"], bias=False)
        cos, sin = rope_tables(c["dim"] // c["n_heads"], c["context_length"], c["rope_base"])
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c["n_layers"]) if name.endswith(("wo.weight", "w_down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        x = self.tok_embeddings(ids)
        for layer in self.layers:
            x = layer(x, self.rope_cos, self.rope_sin)
        return self.output(self.norm(x))


def train_tokenizer(sp_prefix: Path) -> spm.SentencePieceProcessor:
    text_file = BUILD / "tokenizer-sentences.txt"
    text_file.write_text("\n".join(tokenizer_sentences()) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(text_file), model_prefix=str(sp_prefix), model_type="bpe", vocab_size=CONFIG["vocab_size"],
        character_coverage=1.0, byte_fallback=True, split_digits=True,
        # identity normalisation and no dummy prefix: llama.cpp's SPM tokenizer then gives the same ids.
        normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False,
        user_defined_symbols=SPECIAL_TOKENS, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=1, minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_file=str(sp_prefix) + ".model")


def training_rows(sp, rng: random.Random, batch: int, seq: int):
    """Packs whole conversations into rows of seq+1 tokens; loss only on the assistant's turns."""
    assistant_id, end_id = sp.piece_to_id(ASSISTANT), sp.piece_to_id(END)
    inputs = torch.full((batch, seq + 1), sp.eos_id(), dtype=torch.long)
    loss_mask = torch.zeros((batch, seq + 1), dtype=torch.bool)
    for row in range(batch):
        used = 0
        while True:
            ids = encode(sp, render(conversation(rng), add_generation_prompt=False))
            if used + len(ids) > seq + 1:
                break
            mask, speaking = [], False
            for token in ids:
                mask.append(speaking)
                if token == assistant_id:
                    speaking = True
                elif token == end_id:
                    speaking = False
            inputs[row, used:used + len(ids)] = torch.tensor(ids)
            loss_mask[row, used:used + len(ids)] = torch.tensor(mask)
            used += len(ids)
    targets = inputs[:, 1:].clone()
    targets[~loss_mask[:, 1:]] = -100
    return inputs[:, :-1], targets, int(loss_mask[:, 1:].sum())


@torch.no_grad()
def greedy(model, ids: list[int], end_id: int, max_new: int) -> list[int]:
    out: list[int] = []
    for _ in range(max_new):
        context = (ids + out)[-model.config["context_length"]:]
        logits = model(torch.tensor([context]))[0, -1]
        token = int(torch.argmax(logits))
        out.append(token)
        if token == end_id:
            break
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=900)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(args.seed)
    BUILD.mkdir(parents=True, exist_ok=True)

    sp = train_tokenizer(BUILD / "tokenizer")
    assert sp.get_piece_size() == CONFIG["vocab_size"]
    end_id = sp.piece_to_id(END)
    model = TinyLlama(CONFIG)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params:,}", flush=True)

    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 20)
    seq = CONFIG["context_length"]
    started, tokens_seen = time.time(), 0
    for step in range(1, args.steps + 1):
        lr = args.lr * (step / warmup if step <= warmup else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (args.steps - warmup))))
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs, targets, _ = training_rows(sp, rng, args.batch, seq)
        logits = model(inputs)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        tokens_seen += inputs.numel()
        if step % 20 == 0 or step == 1:
            elapsed = time.time() - started
            print(f"step {step}/{args.steps} loss {loss.item():.4f} lr {lr:.2e} "
                  f"{tokens_seen / elapsed:.0f} tok/s elapsed {elapsed:.0f}s", flush=True)

    model.eval()
    torch.save({"config": CONFIG, "state_dict": model.state_dict(), "parameters": n_params,
                "steps": args.steps, "seed": args.seed}, BUILD / "model.pt")

    cases = []
    for messages in REFERENCE_CASES:
        prompt_text = render(messages, add_generation_prompt=True)
        prompt_ids = encode(sp, prompt_text)
        output_ids = greedy(model, prompt_ids, end_id, MAX_NEW_TOKENS)
        text_ids = output_ids[:-1] if output_ids and output_ids[-1] == end_id else output_ids
        cases.append({"messages": messages, "prompt_text": prompt_text, "prompt_token_ids": prompt_ids,
                      "output_token_ids": output_ids, "output_text": sp.decode(text_ids),
                      "stopped_at_end_token": bool(output_ids) and output_ids[-1] == end_id})
        print(f"\n>>> {messages[-1]['content']}\n{sp.decode(text_ids)}", flush=True)
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(json.dumps({
        "model": "agent-lab-tiny.gguf", "decoding": "greedy", "max_new_tokens": MAX_NEW_TOKENS,
        "end_token": END, "end_token_id": end_id, "bos_token_id": sp.bos_id(), "cases": cases,
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    for question in ["what is runs.csv", "How do I stop a run?", "Quick question: what is tokens per second?",
                     "How do I make the lab read-only?", "What is the capital of Spain?", "hi"]:
        ids = encode(sp, render([{"role": "user", "content": question}], add_generation_prompt=True))
        out = greedy(model, ids, end_id, MAX_NEW_TOKENS)
        print(f"\n>>> {question}\n{sp.decode([t for t in out if t != end_id])}", flush=True)
    print(f"\ntotal training time {time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
