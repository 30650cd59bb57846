"""The voice channel: the features front end's windows, voice activity, and the speech model."""
