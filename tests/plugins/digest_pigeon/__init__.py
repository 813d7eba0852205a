"""A third-party delivery backend, as another package would ship it (used by the plugin test).

``pigeon://PATH`` appends each message to one file (relative to DIGEST_DATA_DIR), with a
line naming the recipient before it. Declared through the ``digest.backends`` entry point.
"""

from __future__ import annotations

from digest.deliver.base import BaseBackend, OutgoingMessage, SendResult


class PigeonBackend(BaseBackend):
    scheme = "pigeon"

    def send_one(self, message: OutgoingMessage) -> SendResult:
        path = self.data_path(self.parts.netloc + self.parts.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(f"=== to {message.recipient}\n".encode() + message.data + b"\n")
        return SendResult(message, ok=True, code=250, reply="carried by pigeon")
