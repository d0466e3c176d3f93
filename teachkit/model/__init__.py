"""Stage 2, a model's files: reading and checking any model folder or zip (ours or Teachable
Machine's), our export in Teachable Machine's format, and predicting from Python. It comes before
the features because the frozen base itself is read from a Teachable Machine export."""
