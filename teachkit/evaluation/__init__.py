"""Stage 4, honest numbers: held-out metrics, calibration, the model card's content, and
``teachkit evaluate`` on a folder the model never saw."""
