"""The official `openai` client against a running `seed serve`: chat, streaming with usage, completions
with echo and logprobs, and errors. Prints one line per check and exits non-zero on the first failure.

usage: python3 openai_client_check.py BASE_URL MODEL API_KEY
"""
import json
import sys
import urllib.request

import openai

base_url, model, api_key = sys.argv[1], sys.argv[2], sys.argv[3]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is Paris?"}]


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"ok {name}")


models = client.models.list()
check("models", [m.id for m in models.data] == [model], models)

chat = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0,
                                      logprobs=True, top_logprobs=3)
choice = chat.choices[0]
check("chat", choice.message.role == "assistant" and choice.finish_reason in ("stop", "length"), chat)
check("chat usage", chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens, chat.usage)
check("chat logprobs", all(len(entry.top_logprobs) == 3 for entry in choice.logprobs.content), choice.logprobs)

pieces, usage, finish = [], None, None
for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0,
                                            stream=True, stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        pieces.append(c.delta.content or "")
        finish = c.finish_reason or finish
check("chat stream text", "".join(pieces) == choice.message.content, ("".join(pieces), choice.message.content))
check("chat stream usage", usage is not None and usage.completion_tokens == chat.usage.completion_tokens, usage)
check("chat stream finish", finish == choice.finish_reason, finish)

two = client.chat.completions.create(model=model, messages=messages, max_tokens=4, n=2, temperature=1, seed=5)
check("chat n=2", sorted(c.index for c in two.choices) == [0, 1], two)

prompt = "Paris is the capital of France."
scored = client.completions.create(model=model, prompt=prompt, max_tokens=1, logprobs=1, echo=True, temperature=0)
lp = scored.choices[0].logprobs
request = urllib.request.Request(base_url.rsplit("/v1", 1)[0] + "/tokenize", data=json.dumps({"prompt": prompt}).encode(),
                                 headers={"Content-Type": "application/json"})
tokens = json.loads(urllib.request.urlopen(request).read())["tokens"]
check("echo length", len(lp.token_logprobs) == len(tokens) + 1 == len(lp.tokens) == len(lp.text_offset), lp)
check("echo first null", lp.token_logprobs[0] is None and lp.top_logprobs[0] is None, lp.token_logprobs[:2])
check("echo text", scored.choices[0].text.startswith(prompt), scored.choices[0].text)
by_ids = client.completions.create(model=model, prompt=[tokens, tokens[:3]], max_tokens=1, logprobs=1, echo=True, temperature=0)
check("token prompts", [len(c.logprobs.token_logprobs) for c in sorted(by_ids.choices, key=lambda c: c.index)] == [len(tokens) + 1, 4], by_ids)
same = sorted(by_ids.choices, key=lambda c: c.index)[0].logprobs.token_logprobs
check("text and ids agree", all(abs(a - b) < 1e-6 for a, b in zip(same[1:], lp.token_logprobs[1:])), (same, lp.token_logprobs))

streamed = "".join(c.choices[0].text for c in client.completions.create(model=model, prompt="The quick", max_tokens=6, temperature=0, stream=True) if c.choices)
plain = client.completions.create(model=model, prompt="The quick", max_tokens=6, temperature=0).choices[0].text
check("completion stream", streamed == plain, (streamed, plain))


def expect_error(name, status, call):
    try:
        call()
    except openai.APIStatusError as error:
        check(name, error.status_code == status and isinstance(error.body, dict) and "message" in error.body, (error.status_code, error.body))
        return
    check(name, False, "no error raised")


expect_error("unknown model", 400, lambda: client.chat.completions.create(model="gpt-9", messages=messages))
expect_error("too long", 400, lambda: client.completions.create(model=model, prompt=[1] * 100000, max_tokens=1))
expect_error("bad type", 400, lambda: client.completions.create(model=model, prompt="hi", max_tokens="many"))
expect_error("no key", 401, lambda: openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list())

print("all openai client checks passed")
