"""Turns the guide (guide.py) into chat conversations: paraphrased questions, 1-3 turns,
sometimes a system prompt. Deterministic for a given random.Random.

Run on its own to print a sample:  /usr/bin/python3 tools/local-model/corpus.py
"""

import math
import random

from guide import OFF_TOPIC_ANSWER, OFF_TOPIC_QUESTIONS, SYSTEM_PROMPTS, TOPICS

PREFIXES = ["Please tell me: ", "Quick question: ", "Can you tell me: ", "I'd like to know: ", "Hey, ",
            "Question: ", "So, ", "One more thing: ", "Hi! "]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if not text.startswith(("TTFT", "LAB_", "LOCAL_", "OPENROUTER")) else text


def question_variant(rng: random.Random, question: str) -> str:
    """A mechanical paraphrase: polite prefix, lower case, dropped punctuation, 'in Agent Lab'."""
    q = question
    roll = rng.random()
    if roll < 0.25 and q.endswith("?") and "Agent Lab" not in q and "lab" not in q:
        q = q[:-1] + rng.choice([" in Agent Lab?", " in the lab?"])
    elif roll < 0.5:
        q = rng.choice(PREFIXES) + _lower_first(q)
    if rng.random() < 0.2:
        q = q.lower()
    if rng.random() < 0.2:
        q = q.rstrip("?.!")
    return q


def all_pairs() -> list[tuple[list[str], str]]:
    return TOPICS + [(OFF_TOPIC_QUESTIONS, OFF_TOPIC_ANSWER)]


def conversation(rng: random.Random) -> list[dict]:
    """One conversation: an optional system prompt and 1-3 question/answer turns."""
    pairs = all_pairs()
    # Topics with more hand-written questions (the common first questions, off-topic) come up more often.
    weights = [math.sqrt(len(questions)) for questions, _ in pairs]
    messages: list[dict] = []
    if rng.random() < 0.3:
        messages.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    turns = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
    for _ in range(turns):
        questions, answer = rng.choices(pairs, weights=weights)[0]
        messages.append({"role": "user", "content": question_variant(rng, rng.choice(questions))})
        messages.append({"role": "assistant", "content": answer})
    return messages


def tokenizer_sentences() -> list[str]:
    """Plain sentences (one per line) for SentencePiece training."""
    lines: list[str] = []
    for questions, answer in all_pairs():
        lines.extend(questions)
        lines.extend(q.lower() for q in questions)
        lines.extend([answer] * 3)
    lines.extend(SYSTEM_PROMPTS)
    lines.extend(PREFIXES)
    return lines


if __name__ == "__main__":
    from chat_format import render

    rng = random.Random(0)
    for _ in range(3):
        print(render(conversation(rng), add_generation_prompt=False))
        print("-" * 40)
