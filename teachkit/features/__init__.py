"""Stage 3, a dataset to features: the frozen MobileNetV2 base (read from a Teachable Machine
export, and its TensorFlow Lite twin), the augmented views, and the embeddings cached by photo
content."""
