"""The Space's plumbing around emotion_core: worker processes, what each input's result looks
like on the page (figures, boxed images, downloads). emotion_core never imports it."""
