"""Configs, the training loop, checkpoints, augmentation, fine-tuning, evaluation and its
reports. Imports data, model, reading and common."""
