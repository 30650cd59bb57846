"""The Hugging Face Hub side of the model set: publish it to a model repo, fetch it at start-up.

emotion_core never imports this package: hub/ only hands it a folder that load_model_set has
verified, so the app runs the same with or without the Hub.
"""
