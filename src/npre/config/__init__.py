"""The params.yaml sections as typed models (code defaults = the demo values); the grid."""
