"""Transcripts: captions and feed transcripts parsed, audio cut (ffmpeg) and heard (speech-to-text),
windows stitched, names fixed by the glossary."""
