"""Channels to the dlkit daemon that carry its token.

Every call to dlkitd needs a token (``authorization: Bearer <token>`` metadata), on
loopback too. It is ``$DLKIT_TOKEN`` when set, else the first line of
``$DLKIT_HOME/token`` (``~/.dlkit/token``), which the daemon writes (mode 0600) at its first
start. Trial processes need none: they talk to their own Reporter.

A daemon started with ``--tls_cert``/``--tls_key`` speaks TLS: give its CA (or its
self-signed certificate) as ``$DLKIT_TLS_CA``.
"""

import os
from typing import Any, Optional


def daemon_home() -> str:
    """The daemon's state folder: ``$DLKIT_HOME``, else ``~/.dlkit``."""
    return os.environ.get("DLKIT_HOME") or os.path.join(os.path.expanduser("~"), ".dlkit")


def find_token(home: Optional[str] = None) -> str:
    """``$DLKIT_TOKEN``, else the daemon's token file in ``home``; "" when neither exists."""
    token = os.environ.get("DLKIT_TOKEN", "").strip()
    if token:
        return token
    try:
        with open(os.path.join(home or daemon_home(), "token"), encoding="utf-8") as f:
            return f.readline().strip()
    except OSError:
        return ""


def daemon_channel(address: str, token: Optional[str] = None) -> Any:
    """A gRPC channel to ``address`` whose every call sends ``token`` (found by
    :func:`find_token` when not given)."""
    import grpc
    token = find_token() if token is None else token
    ca_file = os.environ.get("DLKIT_TLS_CA", "")
    if ca_file:
        with open(ca_file, "rb") as f:
            channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(f.read()))
    else:
        channel = grpc.insecure_channel(address)
    if not token:
        return channel
    metadata = (("authorization", "Bearer " + token),)

    class _WithToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                     grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
        @staticmethod
        def _details(details: Any) -> Any:
            return details._replace(metadata=tuple(details.metadata or ()) + metadata)

        def intercept_unary_unary(self, continuation, details, request):  # type: ignore
            return continuation(self._details(details), request)

        def intercept_unary_stream(self, continuation, details, request):  # type: ignore
            return continuation(self._details(details), request)

        def intercept_stream_unary(self, continuation, details, requests):  # type: ignore
            return continuation(self._details(details), requests)

        def intercept_stream_stream(self, continuation, details, requests):  # type: ignore
            return continuation(self._details(details), requests)

    return grpc.intercept_channel(channel, _WithToken())
