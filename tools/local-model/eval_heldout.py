"""Held-out check of the tiny model: natural first questions a new user asks, none of them in
the guide verbatim (asserted), each with the answer it should get (a pattern that the old and
the new guide's answer for that topic both contain). Greedy decoding in PyTorch.

    /usr/bin/python3 tools/local-model/eval_heldout.py [build-dir]      # default: tools/local-model/build

Prints every question with the answer and a verdict, then the score. Also reports how many of
the guide's own questions get their answer verbatim.
"""

import re
import sys
from pathlib import Path

import sentencepiece as spm
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from chat_format import END, encode, render  # noqa: E402
from train import TinyLlama, greedy  # noqa: E402

WHAT_IS = r"self-hosted lab"
WHO = r"one million parameters"
HELLO = r"^Hello"
THANKS = r"welcome"
KEY = r"OPENROUTER_API_KEY"
STOP = r"Stop or Esc|Esc"
TTFT = r"time to first token"
TPS = r"divided by the generation time"
RUNS = r"data/runs\.csv"
SESSION = r"data/sessions"
COST = r"price times tokens|cost"
OFFLINE = r"no key and no network|without a network|offline"
START = r"npm start"
FALLBACK = r"cannot answer|only know about Agent Lab"

HELD_OUT: list[tuple[str, str]] = [
    ("What's Agent Lab?", WHAT_IS),
    ("what is this thing", WHAT_IS),
    ("Can you explain what this app is?", WHAT_IS),
    ("What is this website for?", WHAT_IS),
    ("Who am I talking to?", WHO),
    ("what are you exactly?", WHO),
    ("Which LLM is this?", WHO),
    ("What model am I chatting with?", WHO),
    ("hey there", HELLO),
    ("Good evening", HELLO),
    ("Howdy!", HELLO),
    ("Thank you so much!", THANKS),
    ("How do I add my API key?", KEY),
    ("How can I use OpenRouter?", KEY),
    ("Where does my OpenRouter key go?", KEY),
    ("How can I stop the model while it is answering?", STOP),
    ("How do I abort a generation?", STOP),
    ("What does TTFT stand for?", TTFT),
    ("What's tokens/s?", TPS),
    ("What does tokens per second measure?", TPS),
    ("Where are my runs stored?", RUNS),
    ("Where can I find my past runs?", RUNS),
    ("Where is my chat history saved?", SESSION),
    ("How much does it cost to use this?", COST),
    ("Can I use it without internet?", OFFLINE),
    ("How do I run it on my machine?", START),
    ("What's the weather in Paris?", FALLBACK),
    ("Write a haiku about cats.", FALLBACK),
    ("Who was Albert Einstein?", FALLBACK),
    ("How do I make pancakes?", FALLBACK),
    ("What is 2+2?", FALLBACK),
    ("Recommend a good movie.", FALLBACK),
]


def main():
    build = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "build"
    guide_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE
    sys.path.insert(0, str(guide_dir))
    import importlib
    guide = importlib.import_module("guide")
    known = {q.lower().rstrip("?.!") for qs, _ in guide.TOPICS for q in qs}
    known |= {q.lower().rstrip("?.!") for q in guide.OFF_TOPIC_QUESTIONS}
    for question, _ in HELD_OUT:
        assert question.lower().rstrip("?.!") not in known, f"held-out question is in the guide: {question}"

    torch.set_num_threads(1)
    sp = spm.SentencePieceProcessor(model_file=str(build / "tokenizer.model"))
    saved = torch.load(build / "model.pt", map_location="cpu")
    model = TinyLlama(saved["config"])
    model.load_state_dict(saved["state_dict"])
    model.eval()
    end_id = sp.piece_to_id(END)

    def answer(question: str, max_new: int = 96) -> str:
        ids = encode(sp, render([{"role": "user", "content": question}], add_generation_prompt=True))
        return sp.decode([t for t in greedy(model, ids, end_id, max_new) if t != end_id])

    good = 0
    for question, pattern in HELD_OUT:
        text = answer(question)
        ok = re.search(pattern, text) is not None
        good += ok
        print(f"{'OK ' if ok else 'BAD'} {question!r}\n    {text}")
    print(f"\nheld-out: {good}/{len(HELD_OUT)} sensible")

    if "--guide" in sys.argv:
        pairs = guide.TOPICS + [(guide.OFF_TOPIC_QUESTIONS, guide.OFF_TOPIC_ANSWER)]
        total = exact = 0
        for questions, expected in pairs:
            for q in questions:
                total += 1
                got = answer(q, 200)
                exact += got == expected
                if got != expected:
                    print(f"guide miss {q!r}: {got[:90]}")
        print(f"guide questions answered verbatim: {exact}/{total}")


if __name__ == "__main__":
    main()
