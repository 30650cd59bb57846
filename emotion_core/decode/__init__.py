"""Decoding: files, microphone and webcam input into 16 kHz mono audio and RGB frames, with the limits checked on the way."""
