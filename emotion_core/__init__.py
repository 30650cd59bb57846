"""emotion-stream's core: decoding, features, LiteRT models and results, without Gradio or TensorFlow."""

from .analyzer import Analyzer
from .decode.audio import AudioError
from .labels import LABELS
from .model_set import ModelSetError
from .results import AudioResult, WindowResult

__all__ = ["Analyzer", "AudioError", "AudioResult", "LABELS", "ModelSetError", "WindowResult"]
