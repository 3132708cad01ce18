"""Text to vectors, shared by the log, session and task features.

Sentence embedders behind one protocol (MiniLM through onnxruntime or torch, Gemini,
the distilled static table) with a cache, the TF-IDF surface features, and the linear
head the log and task classifiers put on top. No feature is imported here.
"""
