"""Stage 1, photos to a dataset: the class folders, decoding any photo, the held-out split that
keeps near-copies together, and the dataset report (``teachkit check``)."""
