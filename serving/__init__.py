"""The npre extraction API (BentoML): `serving.service:Extractor`.

The service reads its settings (params.yaml `serve:`, NPRE_<KEY> overrides) when
`serving.service` is imported, because BentoML's decorators take the batching and
concurrency limits at class definition; nothing else happens at import.
"""
