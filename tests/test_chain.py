"""Chained generation (CCG): text rewrites and the cross-modal step with tiny real models.

The LLM is a local OpenAI-compatible server that writes what the instruction's fact lines
say (so a label kept in the instruction is a label kept in the text), or the tiny causal
LM of test_backends; the text-to-image pipeline and the captioner are tiny diffusers and
transformers models built here with random weights and loaded from their folders.
"""

from __future__ import annotations

import json
import re
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from helpers import one_relation_documents, send_json, start_loopback_server

from npre.config.params import ParamsError, load_section
from npre.config.synthesize_params import OpenAIParams, SynthesizeParams
from npre.data.records import read_documents, write_documents
from npre.stages.synthesize import run_synthesis
from npre.synthesis.base import BackendError
from npre.synthesis.chain import facts
from npre.synthesis.crossmodal import ImageCaptioner
from npre.synthesis.generation import GenerationCache
from npre.synthesis.openai_backend import OpenAIBackend

SEEDS = one_relation_documents("A study of {org}.", 4)  # Artemisia, Taxus, Coptis, Papaver
PROMPTS = [
    s.model_copy(
        update={
            "PMID": f"{s.PMID}-p0",
            "seed_pmid": s.PMID,
            "AbstractText": "",
            "prompt": f"Write the abstract of a study.\n{facts(s)}\nAbstract:",
        }
    )
    for s in SEEDS
]
FACT = re.compile(r"^- (.+) produces (.+)$", re.MULTILINE)
CAPTION = re.compile(r'description of an image: "(.*)"')


class FactsLLM:
    """Chat completions that state the instruction's facts. A rewrite of the Papaver
    document drops its chemical; a rewrite of the Coptis document always gets a 500."""

    def __init__(self):
        self.prompts: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][0]["content"]
                owner.prompts.append(prompt)
                rewrite = prompt.startswith("Rewrite")
                if rewrite and "Coptis" in prompt:
                    self.send_response(500)
                    self.end_headers()
                    return
                sentences = [
                    f"{org} was found to produce {chem}." for org, chem in FACT.findall(prompt)
                ]
                if rewrite and "Papaver" in prompt:
                    sentences = ["Papaver somniferum was studied again."]
                caption = CAPTION.search(prompt)
                if caption:
                    sentences.append(f"The work was inspired by {caption.group(1) or 'nothing'}.")
                text = f"Natural products remain leads. {' '.join(sentences)} "
                text += f"(seed {body['seed']}; asked in {len(prompt)} characters)"
                data = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
                send_json(self, data)

        self.server, self.url = start_loopback_server(Handler, "/v1")


@pytest.fixture
def llm():
    fake = FactsLLM()
    yield fake
    fake.server.shutdown()


def openai_backend(llm) -> OpenAIBackend:
    return OpenAIBackend(
        OpenAIParams(base_url=llm.url, model="facts", max_retries=1, backoff_s=0.01, concurrency=2)
    )


def run(settings: SynthesizeParams, backend, cache_path: Path, **kwargs):
    cache = GenerationCache(cache_path)
    try:
        return run_synthesis(PROMPTS, backend, settings, 3, cache, 2, **kwargs)
    finally:
        cache.close()


def test_text_chain_keeps_labels_validates_each_step_and_caches(llm, tmp_path):
    settings = SynthesizeParams(
        generations_per_prompt=2,
        views_per_prompt=1,
        min_alignment=1.0,
        chain=[{"kind": "text"}, {"kind": "text"}],
    )
    docs, metrics = run(settings, openai_backend(llm), tmp_path / "gen.jsonl")
    steps = metrics["steps"]
    assert [s["kind"] for s in steps] == ["generate", "text", "text"]
    assert [(s["inputs"], s["new"], s["failed"], s["kept"]) for s in steps] == [
        (4, 8, 0, 4),  # 2 generations per prompt, the best 1 kept
        (4, 3, 1, 2),  # Coptis: the server fails; Papaver: the chemical is lost
        (2, 2, 0, 2),  # only the views that passed are chained further
    ]
    assert steps[1]["below_min_alignment"] == 1 and steps[1]["mean_alignment"] == 1.0
    assert metrics["generations"] == {"requested": 14, "cached": 0, "new": 13, "failed": 1}
    assert metrics["kept_per_prompt"] == {"mean": 2.0, "distribution": {"1": 2, "3": 2}}
    assert metrics["failures"][0]["step"] == 1 and "Coptis" not in json.dumps(metrics["failures"])
    # the rewrite instruction lists the labels and carries the previous text
    rewrite = next(p for p in llm.prompts if p.startswith("Rewrite") and "Artemisia" in p)
    assert "- Artemisia annua produces artemisinin" in rewrite and "(seed 3; asked" in rewrite
    assert len({d.PMID for d in docs}) == len(docs) == 8
    chained = [d for d in docs if d.PMID.startswith("0-p0")]
    assert [(d.PMID, d.chain_step) for d in chained] == [
        ("0-p0-v0", 0),
        ("0-p0-v0-s1", 1),
        ("0-p0-v0-s2", 2),
    ]
    assert chained[2].extra["parent"] == chained[1].PMID and chained[1].extra["parent"] == "0-p0-v0"
    assert all(d.alignment_score == 1.0 for d in docs)
    # rerun: nothing generated again; only the failed rewrite is asked for (with its retry)
    asked = len(llm.prompts)
    again, rerun = run(settings, openai_backend(llm), tmp_path / "gen.jsonl")
    assert rerun["generations"] == {"requested": 14, "cached": 13, "new": 0, "failed": 1}
    assert len(llm.prompts) - asked == 2 and all("Coptis" in p for p in llm.prompts[asked:])
    assert [d.model_dump() for d in again] == [d.model_dump() for d in docs]


def tiny_text_to_image(folder: Path) -> Path:
    """A Stable Diffusion pipeline of tiny random components (UNet, VAE, CLIP text encoder)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in "abcdefghijklmnopqrstuvwxyz.,":
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=1,
            num_attention_heads=2,
            projection_dim=32,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(32, 64),
        cross_attention_dim=32,
        attention_head_dim=(2, 4),
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        latent_channels=4,
        sample_size=32,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
    )
    StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=DDIMScheduler(clip_sample=False, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    ).save_pretrained(folder)
    return folder


def tiny_captioner(folder: Path) -> Path:
    """A VisionEncoderDecoder (ViT encoder, GPT-2 decoder) with random weights."""
    import torch
    from transformers import (
        GPT2Config,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    from npre.base_model.tiny import train_tokenizer

    tokenizer = train_tokenizer(["a green plant with red berries", "a fungus on bark"] * 5, 300)
    encoder = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    special = dict(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    decoder = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=1,
        n_head=2,
        add_cross_attention=True,
        **special,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = tokenizer.bos_token_id
    config.pad_token_id, config.eos_token_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    torch.manual_seed(0)
    model = VisionEncoderDecoderModel(config=config)
    model.generation_config.update(decoder_start_token_id=tokenizer.bos_token_id, **special)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def crossmodal_models(tmp_path_factory) -> dict:
    import torch

    torch.set_num_threads(1)  # 2 shared cores: one thread is fastest
    root = tmp_path_factory.mktemp("crossmodal")
    return {
        "kind": "crossmodal",
        "text_to_image": str(tiny_text_to_image(root / "sd")),
        "captioner": str(tiny_captioner(root / "captioner")),
        "num_inference_steps": 2,
        "height": 32,
        "width": 32,
        "max_caption_tokens": 6,
        "batch_size": 3,
    }


def test_crossmodal_step_end_to_end_cached_and_validated(llm, tmp_path, crossmodal_models):
    settings = SynthesizeParams(
        generations_per_prompt=1,
        views_per_prompt=1,
        min_alignment=1.0,
        chain=[crossmodal_models],
    )
    made = []

    def captioner_for(step, where):
        made.append(ImageCaptioner(step, where))
        return made[-1]

    docs, metrics = run(
        settings, openai_backend(llm), tmp_path / "gen.jsonl", captioner_for=captioner_for
    )
    step = metrics["steps"][1]
    assert step["kind"] == "crossmodal" and made[0]._loaded
    assert step["captions"] == {"requested": 4, "cached": 0, "new": 4, "failed": 0}
    assert (step["inputs"], step["new"], step["kept"], step["mean_alignment"]) == (4, 4, 4, 1.0)
    crossmodal = [d for d in docs if d.chain_step == 1]
    assert len(crossmodal) == 4 and len(docs) == 8
    for doc in crossmodal:  # the caption drove the LLM, the labels were kept
        assert f"inspired by {doc.extra['caption'] or 'nothing'}." in doc.AbstractText
        assert doc.generator == "crossmodal>openai:facts"
        assert f'description of an image: "{doc.extra["caption"]}"' in doc.prompt
    # rerun: every caption and text from the cache; the image and caption models never load
    again, rerun = run(
        settings, openai_backend(llm), tmp_path / "gen.jsonl", captioner_for=captioner_for
    )
    assert rerun["steps"][1]["captions"] == {"requested": 4, "cached": 4, "new": 0, "failed": 0}
    assert rerun["generations"]["new"] == 0 and not made[1]._loaded
    assert [d.model_dump() for d in again] == [d.model_dump() for d in docs]


def test_cli_chain_with_the_transformers_backend(tmp_path, root, crossmodal_models):
    from test_backends import tiny_causal_lm
    from typer.testing import CliRunner

    from npre.cli import app

    params = yaml.safe_load((root / "params.yaml").read_text())
    params["synthesize"].update(
        {
            "backend": "transformers",
            "generations_per_prompt": 2,
            "views_per_prompt": 2,
            "transformers": {
                "model": str(tiny_causal_lm(tmp_path / "lm")),
                "batch_size": 4,
                "max_new_tokens": 12,
            },
            "chain": [{"kind": "text"}, crossmodal_models],
        }
    )
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    write_documents(tmp_path / "prompts.jsonl", PROMPTS)
    args = [
        "synthesize",
        str(tmp_path / "prompts.jsonl"),
        "--out",
        str(tmp_path / "out.jsonl"),
        "--cache",
        str(tmp_path / "gen.jsonl"),
        "--metrics",
        str(tmp_path / "m.json"),
        "--params",
        str(tmp_path / "params.yaml"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "m.json").read_text())
    # random weights write nonsense: it is scored (0), kept (min_alignment 0), chained on
    assert [(s["kind"], s["inputs"], s["kept"]) for s in metrics["steps"]] == [
        ("generate", 4, 8),
        ("text", 8, 8),
        ("crossmodal", 8, 8),
    ]
    assert metrics["generations"] == {"requested": 24, "cached": 0, "new": 24, "failed": 0}
    assert metrics["kept_per_prompt"] == {"mean": 6.0, "distribution": {"6": 4}}
    docs = read_documents(tmp_path / "out.jsonl")
    assert len(docs) == 24 and all(d.alignment_score is not None for d in docs)
    assert {d.generator for d in docs} >= {f"transformers:{tmp_path / 'lm'}"}
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rerun = json.loads((tmp_path / "m.json").read_text())
    assert rerun["generations"] == {"requested": 24, "cached": 24, "new": 0, "failed": 0}
    assert rerun["steps"][2]["captions"]["new"] == 0


def test_chain_settings_are_checked(tmp_path, monkeypatch):
    (tmp_path / "p.yaml").write_text("synthesize:\n  chain:\n    - kind: image\n")
    with pytest.raises(ParamsError, match="synthesize.chain.0"):
        load_section("synthesize", tmp_path / "p.yaml")
    (tmp_path / "p.yaml").write_text("synthesize:\n  chain:\n    - kind: crossmodal\n")
    with pytest.raises(ParamsError, match="synthesize.chain.0.crossmodal.text_to_image"):
        load_section("synthesize", tmp_path / "p.yaml")
    monkeypatch.setitem(sys.modules, "diffusers", None)  # as when diffusers is absent
    step = SynthesizeParams(
        chain=[{"kind": "crossmodal", "text_to_image": "x", "captioner": "y"}]
    ).chain[0]
    with pytest.raises(BackendError, match=r"pip install 'npre\[crossmodal\]'"):
        ImageCaptioner(step).captions(["a plant"], [0])
