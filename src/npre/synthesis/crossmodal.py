"""Text -> image -> caption for the cross-modal chain step, with real models.

The image comes from a diffusers text-to-image pipeline (e.g. Stable Diffusion), the
caption from an image-to-text model loaded with transformers' `AutoModelForImageTextToText`
(VisionEncoderDecoder, BLIP, GIT), both from a local folder or a hub id. Transformers 5
has no image-to-text pipeline any more, so the captioner is driven directly. Models load
on first use: a rerun whose captions are all cached loads nothing.
"""

from __future__ import annotations

import logging

from npre.config.synthesize_params import CrossModalStepParams
from npre.hardware import pick_device, pick_dtype
from npre.synthesis.base import BackendError, GenerationError, missing_extra

log = logging.getLogger(__name__)


class ImageCaptioner:
    def __init__(self, params: CrossModalStepParams, where: str = "synthesize.chain"):
        self.params = params
        self.where = where
        self.name = "crossmodal"
        self.key_parts = [  # everything that changes a caption
            params.text_to_image,
            params.captioner,
            {
                "num_inference_steps": params.num_inference_steps,
                "guidance_scale": params.guidance_scale,
                "height": params.height,
                "width": params.width,
                "max_caption_tokens": params.max_caption_tokens,
            },
        ]
        self._loaded = False

    def _load(self) -> None:
        try:
            from diffusers import AutoPipelineForText2Image
        except ImportError as exc:
            raise missing_extra(f"{self.where} (crossmodal)", "crossmodal", exc) from None
        from transformers import AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer

        params = self.params
        self.device = pick_device(params.device)
        self.dtype = pick_dtype("auto", self.device)
        try:
            self.pipe = AutoPipelineForText2Image.from_pretrained(
                params.text_to_image, dtype=self.dtype
            )
        except (OSError, ValueError) as exc:
            raise BackendError(
                f"{self.where}.text_to_image {params.text_to_image!r}: {exc}"
            ) from None
        self.pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)
        try:
            self.model = AutoModelForImageTextToText.from_pretrained(
                params.captioner, dtype=self.dtype
            )
            self.image_processor = AutoImageProcessor.from_pretrained(params.captioner)
            self.tokenizer = AutoTokenizer.from_pretrained(params.captioner)
        except (OSError, ValueError) as exc:
            raise BackendError(f"{self.where}.captioner {params.captioner!r}: {exc}") from None
        self.model.to(self.device).eval()
        self._loaded = True
        log.info(
            "cross-modal step: %s -> %s on %s", params.text_to_image, params.captioner, self.device
        )

    def images(self, prompts: list[str], seeds: list[int]):
        import torch

        generators = [torch.Generator(self.device).manual_seed(s) for s in seeds]
        return self.pipe(
            prompt=prompts,
            num_inference_steps=self.params.num_inference_steps,
            guidance_scale=self.params.guidance_scale,
            height=self.params.height,
            width=self.params.width,
            generator=generators,
        ).images

    def caption(self, images) -> list[str]:
        import torch

        pixels = self.image_processor(images=images, return_tensors="pt").pixel_values
        with torch.inference_mode():
            ids = self.model.generate(
                pixel_values=pixels.to(self.device, self.dtype),
                max_new_tokens=self.params.max_caption_tokens,
                do_sample=False,
            )
        texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        # one line, no double quotes: the caption is quoted inside the next instruction
        return [" ".join(text.split()).replace('"', "'") for text in texts]

    def captions(self, prompts: list[str], seeds: list[int]) -> list[str]:
        """One caption per prompt, of the image the prompt was turned into."""
        if not self._loaded:
            self._load()
        try:
            return self.caption(self.images(prompts, seeds))
        except (RuntimeError, ValueError, IndexError) as exc:  # e.g. CUDA out of memory
            raise GenerationError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
