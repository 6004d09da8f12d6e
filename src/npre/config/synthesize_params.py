"""The `synthesize` section of params.yaml: the generation backend, its settings, the chain."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from npre.config.section import Section

ESCAPES = {"\\n": "\n", "\\t": "\t"}


def unescape(text: str) -> str:
    """A written `\\n` or `\\t` as the character: `dvc exp run -S` (Hydra's override
    grammar) cannot pass a line break, so a stop sequence may spell it out."""
    for written, char in ESCAPES.items():
        text = text.replace(written, char)
    return text


StopSequences = Annotated[list[str], AfterValidator(lambda stops: [unescape(s) for s in stops])]


class OpenAIParams(Section):
    """An OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama)."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "lmsys/vicuna-13b-v1.5"
    api_key_env: str = "OPENAI_API_KEY"  # the key is read from this variable, never logged
    temperature: float = Field(0.7, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(512, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(4, ge=0)
    backoff_s: float = Field(2.0, ge=0)
    concurrency: int = Field(4, ge=1)


Device = Literal["auto", "cpu", "cuda"]  # auto: CUDA when present, else CPU


class TransformersParams(Section):
    """A local or hub causal LM run in-process, batched (left padding)."""

    model: str = ""  # a local folder or a hub id
    # an instruction model: its chat template around the prompt; a base model (or False):
    # the prompt as text to complete, ending in "Abstract:"
    use_chat_template: bool = True  # when the tokenizer has one
    stop: StopSequences = []  # an answer ends before the first of these ("\n": one paragraph)
    batch_size: int = Field(8, ge=1)
    max_new_tokens: int = Field(512, ge=1)
    do_sample: bool = True
    temperature: float = Field(0.7, gt=0)
    top_p: float = Field(0.95, gt=0, le=1)
    repetition_penalty: float = Field(1.0, gt=0)
    device: Device = "auto"
    # auto: bfloat16 on CUDA or a CPU with bf16 units (AVX512-BF16, AMX), float16 on older
    # CUDA, else float32; float16 on a CPU falls back to float32
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"


class LlamaCppParams(Section):
    """A GGUF model through llama-cpp-python (the optional extra `npre[llama]`)."""

    model_path: str = ""
    n_ctx: int = Field(4096, ge=64)
    n_gpu_layers: int = Field(0, ge=-1)  # -1: all layers on the GPU when llama.cpp has one
    chat_format: str | None = None  # None: the GGUF's own chat template
    completion: bool = False  # a base model: the prompt as text to complete, no chat template
    stop: StopSequences = []  # an answer ends before the first of these
    temperature: float = Field(0.7, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(512, ge=1)


class TextStepParams(Section):
    """A chain step: the LLM rewrites the previous generation, keeping its labels."""

    kind: Literal["text"]
    instruction: str | None = None  # None: the built-in one; else a template with {facts} {text}


class CrossModalStepParams(Section):
    """A chain step: text -> image (diffusers) -> caption (image-to-text) -> text (the LLM)."""

    kind: Literal["crossmodal"]
    text_to_image: str  # a diffusers pipeline folder or hub id
    captioner: str  # an image-to-text model folder or hub id (VisionEncoderDecoder, BLIP, GIT)
    num_inference_steps: int = Field(25, ge=1)
    guidance_scale: float = Field(7.5, ge=0)
    height: int = Field(512, ge=8)
    width: int = Field(512, ge=8)
    max_caption_tokens: int = Field(40, ge=1)
    batch_size: int = Field(4, ge=1)
    device: Device = "auto"
    instruction: str | None = None  # None: the built-in one; else a template with {facts} {caption}


ChainStep = Annotated[TextStepParams | CrossModalStepParams, Field(discriminator="kind")]


class SynthesizeParams(Section):
    backend: Literal["template", "openai", "transformers", "llama_cpp"] = "template"
    generations_per_prompt: int = Field(2, ge=1)  # N generated per prompt
    views_per_prompt: int = Field(1, ge=1)  # the best k (by alignment score) kept, at each step
    # generations scoring less are neither kept nor chained (0: keep the best k whatever)
    min_alignment: float = Field(0.0, ge=0, le=1)
    chain: list[ChainStep] = []  # chained generation (CCG) steps after the first generation
    # worked examples before each prompt (a seed's prompt and its real abstract): what a
    # base model needs to write an abstract; the synthesize stage then reads the seeds
    few_shot: int = Field(0, ge=0)
    few_shot_max_chars: int = Field(1200, ge=100)  # longer seed abstracts are not examples
    openai: OpenAIParams = OpenAIParams()
    transformers: TransformersParams = TransformersParams()
    llama_cpp: LlamaCppParams = LlamaCppParams()
