"""The face channel: finding faces, cutting and standardising the crop, and the face model."""
