"""What several test modules share: the project root, small documents, a loopback HTTP
server, the tiny extractor's training recipe."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


PAIRS = [
    ("Artemisia annua", "artemisinin"),
    ("Taxus brevifolia", "paclitaxel"),
    ("Coptis chinensis", "berberine"),
    ("Papaver somniferum", "morphine"),
    ("Penicillium chrysogenum", "penicillin G"),
    ("Streptomyces griseus", "streptomycin"),
]


def one_relation_documents(abstract: str, count: int):
    """Small labelled documents, one (organism, chemical) relation each; `abstract` is a
    format string with {org} and {chem}."""
    from npre.data.records import Chemical, Document, Entity

    return [
        Document(
            PMID=str(i),
            ArticleTitle=f"Metabolites of {org}",
            AbstractText=abstract.format(org=org, chem=chem),
            organisms=[Entity(id="o", label=org)],
            chemicals=[Chemical(id="c", label=chem)],
            relations=[("o", "c")],
        )
        for i, (org, chem) in enumerate(PAIRS[:count])
    ]


def send_json(handler, data: bytes, status: int = 200) -> None:
    """Answer an http.server request with a JSON body (possibly deliberately broken)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def start_loopback_server(handler_class, path: str = "") -> tuple:
    """A threaded HTTP server on a free 127.0.0.1 port: (server, base URL + path)."""
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{path}"


def tiny_train_params(**overrides):
    """A recipe that trains the tiny model in seconds (not the demo's Gemma settings)."""
    from npre.config.model_params import TrainParams

    recipe = {
        "epochs": 30,  # enough that its answers are relations of the text, not filler words
        "batch_size": 2,
        "grad_accumulation": 1,
        "lr": 0.02,
        "max_length": 128,
        "lora_r": 8,
        "lora_alpha": 16,
        "lora_dropout": 0.05,
    }
    return TrainParams(**(recipe | overrides))


def train_tiny_extractor(docs, home, **train_overrides):
    """A tiny base model and a LoRA adapter trained on `docs`, under `home`: (base, adapter);
    `train_overrides` change the recipe (e.g. linearization="grouped")."""
    from npre.base_model.loading import load_base_model, load_tokenizer
    from npre.base_model.tiny import build_tiny_model
    from npre.config.model_params import DecodingParams, TinyModelParams
    from npre.decoding.extractor import ExtractorConfig
    from npre.training.lora import prepare_peft_model, save_adapter, train_lora

    base, adapter = home / "base", home / "adapter"
    params = TinyModelParams(
        vocab_size=400, n_positions=160, n_embd=32, n_layer=2, n_head=2, pretrain_epochs=2
    )
    build_tiny_model([d.text for d in docs] * 3, params, base, seed=0)
    train = tiny_train_params(**train_overrides)
    model = prepare_peft_model(load_base_model(base), train)
    train_lora(model, load_tokenizer(base), docs, train, seed=0)
    save_adapter(model, load_tokenizer(base), adapter)
    decoding = DecodingParams(max_new_tokens=24)
    config = ExtractorConfig(train.max_input_chars, train.max_length, decoding, train.linearization)
    config.save(adapter)
    return base, adapter
