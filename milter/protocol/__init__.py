"""The milter protocol: constants and the codec (frames in, frames out; no sockets)."""
