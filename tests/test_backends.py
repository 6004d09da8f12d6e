"""The in-process generation backends: transformers (a tiny causal LM built here) and llama_cpp."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from helpers import one_relation_documents

from npre.config.model_params import TinyModelParams
from npre.config.synthesize_params import SynthesizeParams, TransformersParams
from npre.synthesis.backends import make_backend
from npre.synthesis.base import BackendError
from npre.synthesis.generation import GenerationCache, generate_all, generation_key
from npre.synthesis.prompts import build_prompts
from npre.synthesis.transformers_backend import TransformersBackend

CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant:{% endif %}"
)
SEEDS = one_relation_documents(
    "Chemical study of {org}: {chem} was isolated and its structure elucidated by NMR.", 5
)
PROMPTS = [p for seed in SEEDS for p in build_prompts(seed, 1, 2, seed=0)]


def tiny_causal_lm(folder: Path, chat_template: str | None = CHAT_TEMPLATE) -> Path:
    """A GPT-2-like LM with random weights and a BPE tokenizer trained here, saved to `folder`."""
    import torch

    from npre.base_model.tiny import build_model, train_tokenizer

    corpus = [seed.AbstractText for seed in SEEDS] + [p.prompt for p in PROMPTS]
    tokenizer = train_tokenizer(corpus, 300)
    if chat_template:
        tokenizer.chat_template = chat_template
    torch.manual_seed(0)
    params = TinyModelParams(vocab_size=300, n_positions=256, n_embd=32, n_layer=1, n_head=2)
    build_model(tokenizer, params).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def lm_path(tmp_path_factory) -> Path:
    import torch

    torch.set_num_threads(1)  # 2 shared cores: one thread is fastest
    return tiny_causal_lm(tmp_path_factory.mktemp("tiny_lm"))


def test_batched_left_padded_generation_equals_one_by_one(lm_path):
    params = TransformersParams(model=str(lm_path), batch_size=4, max_new_tokens=6, do_sample=False)
    backend = make_backend(SynthesizeParams(backend="transformers", transformers=params))
    assert isinstance(backend, TransformersBackend) and backend.device == "cpu"
    assert backend.tokenizer.padding_side == "left"
    rendered = backend.render("Write an abstract.")
    assert rendered.startswith("<s>user: Write an abstract.</s>") and rendered.endswith(
        "assistant:"
    )
    items = [(p, 0) for p in PROMPTS[:4]]
    lengths = {len(backend.tokenizer(backend.render(p.prompt)).input_ids) for p, _ in items}
    assert len(lengths) > 1  # prompts of different lengths: padding really happens
    batched = backend.generate_batch(items, seed=1)
    alone = [backend.generate(p, 0, seed=1) for p, _ in items]
    assert batched == alone and all(isinstance(t, str) for t in batched)


def test_sampling_is_seeded_batched_and_cached(lm_path, tmp_path, capsys):
    params = TransformersParams(model=str(lm_path), batch_size=4, max_new_tokens=8, temperature=1.0)
    backend = TransformersBackend(params)
    calls = []
    original = backend.generate_batch
    backend.generate_batch = lambda items, seed: calls.append(len(items)) or original(items, seed)
    cache = GenerationCache(tmp_path / "gen.jsonl")
    first, report = generate_all(PROMPTS, backend, 2, seed=7, cache=cache)
    cache.close()
    assert report.generated == 10 and not report.failures and calls == [4, 4, 2]
    # a fresh process with the same seed samples the same; the rerun asks the model nothing
    capsys.readouterr()
    cache = GenerationCache(tmp_path / "gen.jsonl")
    again, rerun = generate_all(PROMPTS, backend, 2, seed=7, cache=cache)
    assert again == first and rerun.from_cache == 10 and rerun.generated == 0 and len(calls) == 3
    assert "10/10" in capsys.readouterr().err  # the progress bar counts cached ones
    other = GenerationCache(tmp_path / "other.jsonl")
    same_seed, _ = generate_all(PROMPTS, backend, 2, seed=7, cache=other)
    assert same_seed == first
    # the key covers backend, model, prompt, sampling params and seed
    hotter = TransformersBackend(params.model_copy(update={"temperature": 0.5}))
    key = generation_key(backend, PROMPTS[0], 7, 0)
    assert key != generation_key(hotter, PROMPTS[0], 7, 0)
    assert key != generation_key(backend, PROMPTS[0], 8, 0)
    assert key != generation_key(backend, PROMPTS[1], 7, 0)


def test_plain_prompt_without_a_chat_template(tmp_path):
    path = tiny_causal_lm(tmp_path / "plain", chat_template=None)
    backend = TransformersBackend(TransformersParams(model=str(path), max_new_tokens=4))
    assert backend.render("Write an abstract.") == "Write an abstract."
    assert isinstance(backend.generate(PROMPTS[0], 0, seed=0), str)


def test_clear_errors_for_a_missing_model(tmp_path):
    with pytest.raises(BackendError, match="synthesize.transformers.model is empty"):
        make_backend(SynthesizeParams(backend="transformers"))
    missing = str(tmp_path / "no-model")
    with pytest.raises(BackendError, match="synthesize.transformers.model"):
        make_backend(SynthesizeParams(backend="transformers", transformers={"model": missing}))


def test_llama_cpp_without_the_extra_names_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as when llama-cpp-python is absent
    settings = SynthesizeParams(backend="llama_cpp", llama_cpp={"model_path": str(tmp_path)})
    with pytest.raises(BackendError, match=r"pip install 'npre\[llama\]'"):
        make_backend(settings)


def test_llama_cpp_backend_calls_the_chat_api(monkeypatch, tmp_path):
    """The wiring to llama-cpp-python's API (a stand-in module: the package is not installed)."""
    calls = {}

    class Llama:
        def __init__(self, **kwargs):
            calls["init"] = kwargs

        def create_chat_completion(self, **kwargs):
            calls["chat"] = kwargs
            return {"choices": [{"message": {"role": "assistant", "content": " An abstract. "}}]}

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    settings = SynthesizeParams(backend="llama_cpp", llama_cpp={"model_path": str(gguf)})
    with pytest.raises(BackendError, match="no GGUF file"):
        make_backend(SynthesizeParams(backend="llama_cpp", llama_cpp={"model_path": "x.gguf"}))
    backend = make_backend(settings, seed=5)
    assert backend.generate(PROMPTS[0], 2, seed=5) == "An abstract."
    assert calls["init"]["model_path"] == str(gguf) and calls["init"]["seed"] == 5
    assert calls["chat"]["messages"] == [{"role": "user", "content": PROMPTS[0].prompt}]
    assert calls["chat"]["seed"] == 7 and calls["chat"]["max_tokens"] == 512


def test_llama_cpp_completes_a_base_model_prompt_up_to_its_stop(monkeypatch, tmp_path):
    """A base GGUF model: the prompt goes to the completion API with the stop sequences."""
    calls = {}

    class Llama:
        def __init__(self, **kwargs):
            pass

        def create_completion(self, **kwargs):
            calls["completion"] = kwargs
            return {"choices": [{"text": " Baicalin was isolated from the roots. "}]}

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    gguf = tmp_path / "base.gguf"
    gguf.write_bytes(b"GGUF")
    llama = {"model_path": str(gguf), "completion": True, "stop": ["\n"]}
    backend = make_backend(SynthesizeParams(backend="llama_cpp", llama_cpp=llama))
    assert backend.generate(PROMPTS[0], 1, seed=3) == "Baicalin was isolated from the roots."
    assert calls["completion"]["prompt"] == PROMPTS[0].prompt
    assert calls["completion"]["stop"] == ["\n"] and calls["completion"]["seed"] == 4


def test_synthesize_stops_with_the_backend_problem(tmp_path, root):
    import yaml
    from typer.testing import CliRunner

    from npre.cli import app
    from npre.data.records import write_documents

    params = yaml.safe_load((root / "params.yaml").read_text())
    params["synthesize"]["backend"] = "transformers"  # and no model named
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    write_documents(tmp_path / "prompts.jsonl", PROMPTS)
    args = ["synthesize", str(tmp_path / "prompts.jsonl"), "--out", str(tmp_path / "out.jsonl")]
    args += ["--cache", str(tmp_path / "gen.jsonl"), "--metrics", str(tmp_path / "m.json")]
    result = CliRunner().invoke(app, [*args, "--params", str(tmp_path / "params.yaml")])
    assert result.exit_code == 1
    assert "synthesize.transformers.model is empty" in result.output


def test_cut_at_stop_keeps_the_answer_before_the_first_stop():
    from npre.synthesis.transformers_backend import cut_at_stop

    text = "Baicalin was isolated.\nTitle: next example\n\nInstructions: more"
    assert cut_at_stop(text, ["\n"]) == "Baicalin was isolated."
    assert cut_at_stop(text, ["Instructions:", "Title:"]) == "Baicalin was isolated.\n"
    assert cut_at_stop(text, ["", "absent"]) == text


def test_completion_prompts_end_at_the_stop_sequence(tmp_path):
    """A base model (no chat template) completes the prompt text and stops at `stop`; in a
    batch each row is cut at its own stop, though generation runs until every row stopped."""
    path = tiny_causal_lm(tmp_path / "base", chat_template=None)
    greedy = {"model": str(path), "max_new_tokens": 24, "do_sample": False, "batch_size": 2}
    free = TransformersBackend(TransformersParams(**greedy))
    assert free.render(PROMPTS[0].prompt) == PROMPTS[0].prompt  # completion style
    full = free.generate(PROMPTS[0], 0, seed=0)
    assert len(full) > 6
    stop = full[3:5]  # a piece of what the model writes anyway: a known place to stop
    stopped = TransformersBackend(TransformersParams(**greedy, stop=[stop]))
    assert stopped.sampling["stop"] == [stop]
    assert stopped.generate(PROMPTS[0], 0, seed=0) == full[: full.find(stop)].strip()
    batch = stopped.generate_batch([(PROMPTS[0], 0), (PROMPTS[1], 0)], seed=0)
    other = free.generate(PROMPTS[1], 0, seed=0)
    assert batch[0] == full[: full.find(stop)].strip()
    assert batch[1] == (other[: other.find(stop)] if stop in other else other).strip()
    assert generation_key(free, PROMPTS[0], 0, 0) != generation_key(stopped, PROMPTS[0], 0, 0)


def test_generation_dtype_follows_the_hardware(monkeypatch):
    import torch

    from npre import hardware
    from npre.hardware import pick_dtype

    monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: True)
    assert pick_dtype("auto", "cpu") == torch.bfloat16
    monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: False)
    assert pick_dtype("auto", "cpu") == torch.float32
    assert pick_dtype("bfloat16", "cpu") == torch.bfloat16  # asked for: slow but exact enough
    assert pick_dtype("float16", "cpu") == torch.float32
