"""Stage 5, features to a trained model: the head, optional fine-tuning, and the train pipeline
that runs every stage in order and writes the model folder."""
